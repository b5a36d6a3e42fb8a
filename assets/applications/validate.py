"""Validating staged application rows with the pandera schema and quarantining failures."""

from __future__ import annotations

import duckdb
import pandas as pd
import pandera.pandas as pa

from assets.sql import read_sql
from schemas.applications import CHECK_COLUMN, application_schema

# Columns whose raw value is never shown (the staged frame has no CPR, but be explicit).
WITHHELD = {"cpr_status": "(CPR number withheld)"}
RAW_COLUMNS = ["school_institution_number", "school_name", "school_kommune", "residence_kommune", "grade",
               "applicant_type", "priority", "education_code", "eux", "application_date"]


def typed_frame(con: duckdb.DuckDBPyConnection, years: list[int]) -> pd.DataFrame:
    frame = con.execute(read_sql("applications", "application_rows_typed"), {"years": years}).df()
    frame["application_date"] = pd.to_datetime(frame["application_date"])
    return frame.set_index("row_id")


def failures(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per (row_id, column, rule) that fails; empty when all rows pass."""
    schema = application_schema()
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as err:
        cases = err.failure_cases
    else:
        return pd.DataFrame(columns=["row_id", "column_name", "rule", "message"])
    cases = cases[cases["index"].notna()].copy()
    messages = {}
    for name, column in schema.columns.items():
        for check in column.checks:
            messages[(name, check.error)] = (check.name, check.error)
    for check in schema.checks:
        messages[(None, check.error)] = (check.name, check.error)

    def explain(row) -> tuple[str, str, str]:
        check = str(row["check"])
        if row["schema_context"] == "DataFrameSchema":
            name, error = messages[(None, check)]
            return CHECK_COLUMN.get(name, row["column"]), name, error
        column = row["column"]
        if check == "not_nullable":
            dtype = schema.columns[column].dtype
            what = "a date (YYYY-MM-DD or DD-MM-YYYY)" if column in ("year", "application_date") else f"a valid {dtype}"
            return ("application_date" if column == "year" else column), "required_value", f"{column} is missing or not {what}"
        if (column, check) in messages:
            return (column, *messages[(column, check)])
        return column, check, check

    explained = cases.apply(explain, axis=1, result_type="expand")
    explained.columns = ["column_name", "rule", "message"]
    explained["row_id"] = cases["index"].astype("int64")
    return explained.drop_duplicates(["row_id", "column_name", "rule"]).reset_index(drop=True)


def quarantine_failures(con: duckdb.DuckDBPyConnection, found: pd.DataFrame, run_id: str | None) -> None:
    """Write failures with file, line and the raw value from staging."""
    con.register("found_failures", found)
    raw_value = "CASE f.column_name " + " ".join(f"WHEN '{c}' THEN s.{c}" for c in RAW_COLUMNS) + " END"
    withheld = " ".join(f"WHEN '{c}' THEN '{v}'" for c, v in WITHHELD.items())
    con.execute(
        f"""
        INSERT INTO quarantine (dataset, year, source_file, source_line, row_id, column_name, value, rule, message, run_id)
        SELECT 'applications', s.file_year, s.source_file, s.source_line, f.row_id, f.column_name,
               CASE f.column_name {withheld} ELSE {raw_value} END, f.rule, f.message, $run_id
        FROM found_failures f JOIN staging_applications s USING (row_id)
        ORDER BY s.source_file, s.source_line
        """,
        {"run_id": run_id},
    )
    con.unregister("found_failures")
