"""The analyst views of the published warehouse (schema ``analyst``) and what every column means.

One source of truth: these pandera schemas give each view its columns (in order), the table
and column comments written into DuckDB, and the data dictionary (docs/data_dictionary.md).
The views are the stable interface for ad hoc SQL; the tables behind them may change.
"""

from __future__ import annotations

import pandera.pandas as pa

from schemas.reference import education_codes_schema, kommuner_schema
from schemas.sources import SOURCES, Source

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
        "kommune_code": pa.Column(
            int,
            description="Kommune code. No national row: Hele landet only from published tables; the sum of "
            "the loaded kommuner is analyst.application_shares_loaded_sum.",
        ),
        "kommune_name": pa.Column(str, description="Kommune name."),
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
        "kommune_code": pa.Column(
            int,
            description="Kommune code (schools located there). No national row (see application_shares).",
        ),
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

# The marts computed from the extracts, the registry's sources, then the tables every warehouse has.
MARTS = {
    "application_shares": application_shares_schema,
    "school_application_shares": school_application_shares_schema,
    "application_shares_by_sex": application_shares_by_sex_schema,
}
REFERENCE_VIEWS = {
    "quarantine": quarantine_schema,
    "kommuner": kommuner_schema,
    "education_codes": education_codes_schema,
}


def views(sources: tuple[Source, ...] = SOURCES) -> dict[str, pa.DataFrameSchema]:
    """View name -> schema. Each view selects exactly the schema's columns from the table of that name."""
    return {**MARTS, **{s.name: s.frame_schema() for s in sources}, **REFERENCE_VIEWS}


def parquet(sources: tuple[Source, ...] = SOURCES) -> list[str]:
    """Marts also written as Parquet beside the warehouse, for tools that do not speak DuckDB."""
    return [*MARTS, *(s.name for s in sources if s.parquet)]


VIEWS = views()
PARQUET = parquet()
DESCRIPTIONS = {
    **{s.name: s.view_description for s in SOURCES if s.view_description},
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
