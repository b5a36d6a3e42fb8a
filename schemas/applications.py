"""Rules for application rows (søgedata) after pseudonymisation.

The frame validated here is the staging table cast to its types with ``TRY_CAST``
(``assets/applications/sql/application_rows_typed.sql``): a value that could not be cast is
missing, and the quarantine shows the analyst the raw text from the file beside the rule.
Codes come from the data files (``data/reference/kommuner.csv``,
``data/config/education_codes.csv``, ``data/config/column_map.yaml``), so the rules follow the
configuration. Each check has a short ``name`` (the rule in the quarantine) and an ``error``
(the sentence an analyst reads).

The same schema is checked inside DuckDB at national scale (``schemas/sql.py``): built-in
checks are translated, and each frame-wide check carries its SQL (the condition a valid row
meets) in ``statistics["sql"]`` next to its pandas function, and the values it names as DuckDB
parameters in ``statistics["params"]``. ``tests/test_validation_sql.py``
checks that both give the same failures.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from schemas.reference import applicant_type_values, education_codes, kommune_codes

MAX_PRIORITY = 20
DATE_MISSING = "application date is missing or not a date (YYYY-MM-DD, DD-MM-YYYY or DD.MM.YYYY)"


def _one_first_priority(df: pd.DataFrame) -> pd.Series:
    first = df["priority"].eq(1) & df["pupil_id"].notna()
    dup = df[first].duplicated(["year", "pupil_id"], keep=False)
    return ~dup.reindex(df.index, fill_value=False)


def _has_first_priority(df: pd.DataFrame) -> pd.Series:
    known = df["pupil_id"].notna() & df["year"].notna()
    first = known & df["priority"].eq(1).fillna(False)
    keys = set(zip(df.loc[first, "year"], df.loc[first, "pupil_id"]))
    has = pd.Series([(y, p) in keys for y, p in zip(df["year"], df["pupil_id"])], index=df.index, dtype=bool)
    return ~known | has


def _grade_for_direct(df: pd.DataFrame) -> pd.Series:
    direct = df["applicant_type"].isin(applicant_type_values("direct"))
    return ~direct | df["grade"].notna()


def _eux_only_with_eud(df: pd.DataFrame) -> pd.Series:
    codes = education_codes()
    eud = df["education_code"].map(dict(zip(codes.code, codes.group))).eq("EUD")
    return ~df["eux"].eq("J") | eud


def _year_matches_file(df: pd.DataFrame) -> pd.Series:
    return df["year"].isna() | df["year"].eq(df["file_year"])


def _code_valid_in_year(df: pd.DataFrame) -> pd.Series:
    codes = education_codes().set_index("code")
    first = df["education_code"].map(codes["valid_from_year"]).fillna(0)
    last = df["education_code"].map(codes["valid_to_year"]).fillna(9999)
    return df["year"].isna() | df["year"].between(first, last)


def _code_years() -> dict[str, list[str] | list[int]]:
    """The codes with a first or last year, and those years (0 and 9999 where open), for the
    SQL of code_valid_in_year."""
    codes = [r for r in education_codes().itertuples() if not (pd.isna(r.valid_from_year) and pd.isna(r.valid_to_year))]
    return {
        "dated_codes": [r.code for r in codes],
        "dated_from": [0 if pd.isna(r.valid_from_year) else int(r.valid_from_year) for r in codes],
        "dated_to": [9999 if pd.isna(r.valid_to_year) else int(r.valid_to_year) for r in codes],
    }


def application_schema() -> pa.DataFrameSchema:
    kommuner = kommune_codes()
    eud_codes = education_codes().query("group == 'EUD'").code
    return pa.DataFrameSchema(
        {
            "cpr_status": pa.Column(
                str,
                pa.Check.isin(
                    ["ok"],
                    name="cpr_shaped",
                    error="CPR number missing or not of the form ddmmåå-xxxx (value withheld)",
                ),
                description="Whether the CPR number was CPR-shaped at ingestion; the number itself is never stored.",
            ),
            "pupil_id": pa.Column(
                "UInt64", nullable=True, coerce=True, description="Pseudonym: first 64 bits of HMAC-SHA256(key, CPR)."
            ),
            "sex": pa.Column(
                str,
                pa.Check.isin(["M", "K"], name="sex_from_cpr"),
                nullable=True,
                description="Sex from the CPR number's last digit (M = dreng, K = pige).",
            ),
            "year": pa.Column(
                "Int64",
                pa.Check.in_range(
                    2000, 2100, name="plausible_year", error="application year must be between 2000 and 2100"
                ),
                nullable=False,
                coerce=True,
                description="Application year (from the application date).",
                metadata={"report_as": "application_date", "missing": DATE_MISSING},
            ),
            "application_date": pa.Column(
                "datetime64[ns]",
                nullable=False,
                coerce=True,
                description="Date of the application (ansøgningsdato), YYYY-MM-DD.",
                metadata={"missing": DATE_MISSING},
            ),
            "school_institution_number": pa.Column(
                str,
                pa.Check.str_matches(
                    r"^\d{6}$", name="six_digit_institution", error="institution number must be six digits"
                ),
                nullable=True,
                description="The school's institution number (STIL), six digits.",
            ),
            "school_name": pa.Column(str, nullable=True, description="The school's name as in the extract."),
            "school_kommune": pa.Column(
                "Int64",
                pa.Check.isin(
                    kommuner,
                    name="known_kommune",
                    error="kommune code must be one of the 98 municipalities in data/reference/kommuner.csv",
                ),
                nullable=False,
                coerce=True,
                description="Kommune where the school is located.",
            ),
            "residence_kommune": pa.Column(
                "Int64",
                pa.Check.isin(
                    kommuner,
                    name="known_kommune",
                    error="kommune code must be one of the 98 municipalities in data/reference/kommuner.csv",
                ),
                nullable=True,
                coerce=True,
                description="The pupil's kommune of residence.",
            ),
            "grade": pa.Column(
                "Int64",
                pa.Check.isin([9, 10], name="leaving_grade", error="grade must be 9 or 10"),
                nullable=True,
                coerce=True,
                description="Grade (klassetrin) at application: 9 or 10; empty for 'uden for skole'.",
            ),
            "applicant_type": pa.Column(
                str,
                pa.Check.isin(
                    applicant_type_values(),
                    name="known_applicant_type",
                    error="applicant type must be 'Direkte fra skole' or 'Uden for skole'",
                ),
                description="Ansøgertype as in the extract.",
            ),
            "priority": pa.Column(
                "Int64",
                pa.Check.in_range(
                    1,
                    MAX_PRIORITY,
                    name="priority_range",
                    error=f"priority must be a whole number from 1 to {MAX_PRIORITY}",
                ),
                nullable=False,
                coerce=True,
                description="Priority of the application (1 = first choice).",
            ),
            "education_code": pa.Column(
                str,
                pa.Check.isin(
                    list(education_codes().code),
                    name="known_education_code",
                    error="education code must be listed in data/config/education_codes.csv",
                ),
                description="Education applied for (code from data/config/education_codes.csv).",
            ),
            "eux": pa.Column(
                str,
                pa.Check.isin(["J", "N", ""], name="eux_flag", error="EUX must be J, N or empty"),
                description="EUX flag on an EUD application (J/N).",
            ),
        },
        checks=[
            pa.Check(
                _one_first_priority,
                name="one_first_priority",
                error="a pupil may have only one 1st priority per year",
                # A grouped subquery, not a window: at 10 M rows it costs 1.2 s instead of 2.9 s.
                statistics={
                    "sql": "NOT (priority = 1 AND pupil_id IS NOT NULL AND (year, pupil_id) IN ("
                    "SELECT (year, pupil_id) FROM ${relation} WHERE priority = 1 AND pupil_id IS NOT NULL "
                    "GROUP BY year, pupil_id HAVING count(*) > 1))"
                },
            ),
            # Without a 1st priority a pupil would leave the søgetal (numerator and denominator)
            # without a trace; each of the pupil's rows is held back instead, under this rule.
            pa.Check(
                _has_first_priority,
                name="missing_first_priority",
                error="the pupil has no 1st-priority application this year (only 2nd or later priorities)",
                statistics={
                    "sql": "pupil_id IS NULL OR year IS NULL OR (year, pupil_id) IN ("
                    "SELECT (year, pupil_id) FROM ${relation} WHERE priority = 1 AND pupil_id IS NOT NULL)"
                },
            ),
            pa.Check(
                _grade_for_direct,
                name="grade_required",
                error="'Direkte fra skole' applicants must have grade 9 or 10",
                statistics={
                    "sql": "coalesce(NOT list_contains($direct_types, applicant_type), true) OR grade IS NOT NULL",
                    "params": {"direct_types": list(applicant_type_values("direct"))},
                },
            ),
            pa.Check(
                _eux_only_with_eud,
                name="eux_only_with_eud",
                error="EUX = J is only allowed on an EUD application",
                statistics={
                    "sql": "coalesce(eux <> 'J', true) OR list_contains($eud_codes, education_code)",
                    "params": {"eud_codes": list(eud_codes)},
                },
            ),
            pa.Check(
                _year_matches_file,
                name="year_matches_file",
                error="the application date is not in the year the file is for (see its name)",
                statistics={"sql": "year IS NULL OR year = file_year"},
            ),
            pa.Check(
                _code_valid_in_year,
                name="code_valid_in_year",
                statistics={
                    "sql": "year IS NULL OR coalesce(year BETWEEN $dated_from[list_position($dated_codes, education_code)] "
                    "AND $dated_to[list_position($dated_codes, education_code)], true)",
                    "params": _code_years(),
                },
                error="education code did not exist that year (FGU from 2020; produktionsskole, EGU, KUU until 2019)",
            ),
        ],
        strict=False,
        name="applications",
    )


# Which column a frame-wide check is about, for the quarantine's `column_name`.
CHECK_COLUMN = {
    "one_first_priority": "priority",
    "missing_first_priority": "priority",
    "grade_required": "grade",
    "eux_only_with_eud": "eux",
    "code_valid_in_year": "education_code",
    "year_matches_file": "application_date",
}
