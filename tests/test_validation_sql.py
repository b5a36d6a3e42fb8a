"""The SQL that checks application rows in DuckDB finds exactly what pandera finds."""

from __future__ import annotations

import duckdb
import pandas as pd
import pandera.pandas as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemas.applications import application_schema
from schemas.sql import failures_sql

SCHEMA = application_schema()
POOLS = {
    "cpr_status": ["ok", "ok", "ok", "malformed", "missing"],
    "pupil_id": [1, 2, 3, None],
    "sex": ["M", "K", None],
    "year": [2019, 2020, 2024, 1999, None],
    "file_year": [2024, 2020],
    "school_institution_number": ["169001", "12345", "abcdef", None],
    "school_name": ["Skole", None],
    "school_kommune": [169, 259, 999, -1, None],
    "residence_kommune": [169, None, 998],
    "grade": [9, 10, 8, -1, None],
    "applicant_type": ["Direkte fra skole", "Uden for skole", "direkte", "andet"],
    "priority": [1, 1, 2, 0, 21, None],
    "education_code": ["stx", "eud_gf1", "fgu", "produktionsskole", "pilot"],
    "eux": ["J", "N", "", "X"],
}


def _frame(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    for column in ("pupil_id",):
        frame[column] = frame[column].astype("UInt64")
    for column in ("year", "file_year", "school_kommune", "residence_kommune", "grade", "priority"):
        frame[column] = frame[column].astype("Int64")
    frame["application_date"] = pd.to_datetime(frame["year"].astype("string") + "-02-20", errors="coerce")
    frame.index.name = "row_id"
    return frame


def _pandera(frame: pd.DataFrame) -> set[tuple[int, str]]:
    names = {}
    for column in SCHEMA.columns.values():
        for check in column.checks:
            names[check.error or str(check)] = check.name
    for check in SCHEMA.checks:
        names[check.error] = check.name
    try:
        SCHEMA.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as err:
        cases = err.failure_cases.dropna(subset=["index"])
        return {
            (int(r["index"]), "required_value" if r["check"] == "not_nullable" else names.get(r["check"], r["check"]))
            for _, r in cases.iterrows()
        }
    return set()


def _sql(frame: pd.DataFrame) -> set[tuple[int, str]]:
    con = duckdb.connect()
    typed = frame.reset_index()
    con.register("typed_frame", typed)
    con.execute("CREATE TABLE typed_rows AS SELECT * FROM typed_frame")
    sql, params = failures_sql(SCHEMA, "typed_rows")
    return {(int(r), rule) for r, _, rule, _ in con.execute(sql, params).fetchall()}


def test_same_failures_on_a_messy_frame_by_hand():
    base = {
        "cpr_status": "ok",
        "sex": "K",
        "year": 2024,
        "file_year": 2024,
        "school_institution_number": "169001",
        "school_name": "Skole",
        "school_kommune": 169,
        "residence_kommune": 169,
        "grade": 9,
        "applicant_type": "Direkte fra skole",
        "priority": 1,
        "education_code": "stx",
        "eux": "",
    }
    rows = [{**base, "pupil_id": 10 + i} for i in range(6)]
    rows[1]["school_kommune"] = 999  # unknown kommune
    rows[2]["eux"] = "J"  # EUX on stx
    rows[3]["grade"] = None  # direct applicant without grade
    rows[4]["pupil_id"] = 10  # second 1st priority of row 0's pupil
    rows[5]["year"] = None  # no date
    frame = _frame(rows)
    expected = {
        (1, "known_kommune"),
        (2, "eux_only_with_eud"),
        (3, "grade_required"),
        (0, "one_first_priority"),
        (4, "one_first_priority"),
        (5, "required_value"),
    }
    assert _sql(frame) == expected
    assert _pandera(frame) == expected


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])  # examples: the profile (tests/conftest.py)
@given(st.lists(st.fixed_dictionaries({k: st.sampled_from(v) for k, v in POOLS.items()}), min_size=1, max_size=25))
def test_same_failures_as_pandera(rows):
    frame = _frame(rows)
    assert _sql(frame) == _pandera(frame)
