"""The analyst views of the published warehouse (schema ``analyst``) and what every column means.

One source of truth: these pandera schemas give each view its columns (in order), the table
and column comments written into DuckDB, and the data dictionary (docs/data_dictionary.md).
The views are the stable interface for ad hoc SQL; the tables behind them may change.
"""

from __future__ import annotations

import pandera.pandas as pa

from schemas.completion import completion_status_schema
from schemas.profilmodel import profilmodel_schema
from schemas.published import published_application_shares_schema
from schemas.reference import education_codes_schema, goals_schema, kommuner_schema, targets_schema

_YEAR = pa.Column(int, description="Application year (ansøgningsår); the spring the pupils applied.")
_SERIES = pa.Column(
    str,
    description="before_2023 or from_2023: from 2023 'direkte fra skole' means enrolled at the moment of application (series break).",
)
_DEFINITION = pa.Column(
    str,
    description="Denominator: leavers_excl_10th_grade_applicants = 9th and 10th graders leaving grundskolen, 'direkte fra skole', without 9th graders applying to 10th grade (the ministry's definition).",
)
_GROUP = pa.Column(
    str,
    description="Education group of the 1st priority: EUD (incl. EUX), GYM, FGU, STU, OEVRIGT (work, abroad, ...), TIENDE (10th grade, counted but not in the denominator).",
)
_APPLICANTS = pa.Column(int, description="Pupils with this group as 1st priority.")
_DENOMINATOR = pa.Column(int, description="Pupils in the denominator for this year, area and grade.")
_SHARE = pa.Column(
    float,
    nullable=True,
    description="applicants / denominator in percent (unrounded; NULL for TIENDE). Not suppressed: blank cells of 1-4 before publishing.",
)

application_shares_schema = pa.DataFrameSchema(
    {
        "year": _YEAR,
        "series_version": _SERIES,
        "kommune_code": pa.Column(int, description="Kommune code; 0 = Hele landet (the whole country)."),
        "kommune_name": pa.Column(str, description="Kommune name, or Hele landet."),
        "geography_basis": pa.Column(
            str, description="school = pupils of schools located in the kommune; residence = pupils living in it."
        ),
        "denominator_definition": _DEFINITION,
        "grade": pa.Column(str, description="'9', '10' or '9+10' (both grades)."),
        "education_group": _GROUP,
        "applicants": _APPLICANTS,
        "denominator": _DENOMINATOR,
        "share_pct": _SHARE,
    },
    name="application_shares",
    description="Søgetal: where 9th and 10th graders applied (1st priority), by year, kommune, grade and group.",
)

school_application_shares_schema = pa.DataFrameSchema(
    {
        "year": _YEAR,
        "series_version": _SERIES,
        "kommune_code": pa.Column(int, description="Kommune where the school is located."),
        "school_institution_number": pa.Column(str, description="The school's institution number (STIL), six digits."),
        "school_name": pa.Column(str, nullable=True, description="The school's name as in the extract."),
        "denominator_definition": _DEFINITION,
        "education_group": _GROUP,
        "applicants": _APPLICANTS,
        "denominator": _DENOMINATOR,
        "share_pct": _SHARE,
    },
    name="school_application_shares",
    description="Søgetal per school, 9th and 10th grade together. Small cells are NOT blanked here.",
)

application_shares_by_sex_schema = pa.DataFrameSchema(
    {
        "year": _YEAR,
        "series_version": _SERIES,
        "kommune_code": pa.Column(int, description="Kommune code (schools located there); 0 = Hele landet."),
        "geography_basis": pa.Column(str, description="Always school."),
        "denominator_definition": _DEFINITION,
        "sex": pa.Column(str, description="M = drenge (boys), K = piger (girls), from the CPR number at ingestion."),
        "education_group": _GROUP,
        "applicants": _APPLICANTS,
        "denominator": _DENOMINATOR,
        "share_pct": _SHARE,
    },
    name="application_shares_by_sex",
    description="Søgetal for boys and girls, 9th and 10th grade together.",
)

quarantine_schema = pa.DataFrameSchema(
    {
        "dataset": pa.Column(
            str,
            description="Which input: applications (Optagelse.dk extracts), completion_status (StatBank), published_application_shares, profilmodel_projections, targets or goals.",
        ),
        "year": pa.Column(int, nullable=True, description="Application year of the file the row came from."),
        "source_file": pa.Column(str, description="File name."),
        "source_line": pa.Column(int, nullable=True, description="Line number in the file (the header is line 1)."),
        "row_id": pa.Column(
            int,
            nullable=True,
            description="Row in the working table staging_applications (NULL if the line could not be parsed).",
        ),
        "column_name": pa.Column(str, nullable=True, description="The column that broke the rule."),
        "value": pa.Column(str, nullable=True, description="The raw value from the file; a CPR number is never shown."),
        "rule": pa.Column(str, description="Short name of the rule (see schemas/)."),
        "message": pa.Column(str, description="The rule in words."),
        "run_id": pa.Column(str, nullable=True, description="Dagster run that found it."),
        "quarantined_at": pa.Column("datetime64[ns]", description="When."),
    },
    name="quarantine",
    description="Rows that failed a rule and were not loaded, one line per row and rule. Nothing is dropped silently.",
)

# View name -> schema. Each view selects exactly the schema's columns from the table of that name.
VIEWS: dict[str, pa.DataFrameSchema] = {
    "application_shares": application_shares_schema,
    "school_application_shares": school_application_shares_schema,
    "application_shares_by_sex": application_shares_by_sex_schema,
    "targets": targets_schema,
    "goals": goals_schema,
    "completion_status": completion_status_schema,
    "published_application_shares": published_application_shares_schema(),
    "profilmodel_projections": profilmodel_schema,
    "quarantine": quarantine_schema,
    "kommuner": kommuner_schema,
    "education_codes": education_codes_schema,
}
# Marts also written as Parquet beside the warehouse, for tools that do not speak DuckDB.
PARQUET = [
    "application_shares",
    "school_application_shares",
    "application_shares_by_sex",
    "completion_status",
    "targets",
    "goals",
]
DESCRIPTIONS = {
    "targets": "Måltal: the municipality's target shares per year and group, with who decided them and the source.",
    "goals": "Goals (målsætninger) with target, deadline, 'or the national average', indicator kind and source.",
    "completion_status": "Youth-education status (uddannelsesstatus) from Danmarks Statistik, e.g. STATUSU6.",
    "kommuner": "The 98 municipalities with region.",
    "education_codes": "Education codes and the group each counts in.",
}


INTERNAL = (
    "INTERNAL, not for publication: unsuppressed figures (small cells included) for the municipality's "
    "own analysts; do not share outside the administration. Publishable figures are in the publication set "
    "(var/publication/, small cells protected). "
)


def description(name: str) -> str:
    return INTERNAL + (VIEWS[name].description or DESCRIPTIONS.get(name, ""))
