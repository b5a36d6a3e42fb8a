"""ensure_table (the one place the pupil-level tables' shape is checked, at publish and before
each year's rows) compares column names and types: a working table of another version is refused
with the way out (`overgang run --rebuild`), never filled by a silent cast.

Break (fixed): names only were compared, so a share kept as an INTEGER passed and the year's rows
went in cast (19.07 % stored as 19 %). (Moved from tests/test_attack_r23.py.)
"""

from __future__ import annotations

import duckdb
import pytest


def _working_database() -> duckdb.DuckDBPyConnection:
    """An in-memory working database with the reference tables and the (empty) pupil-level tables."""
    from assets.applications.assets import ensure_application_tables
    from assets.reference.assets import TABLES
    from assets.resources import write_table
    from intake.sql import ensure_work_schema

    con = duckdb.connect()
    ensure_work_schema(con)
    for name, (_, _, load, _) in TABLES.items():
        write_table(con, name, load())
    ensure_application_tables(con)
    return con


def test_ensure_application_tables_makes_keeps_and_refuses():
    from assets.applications.assets import SHARE_TABLES, ensure_application_tables
    from intake.sql import TableShapeChanged

    con = _working_database()
    ensure_application_tables(con)  # a second time: nothing changes
    for table in ("applications", *SHARE_TABLES):
        assert con.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0
    # Rows already there are kept (nothing is rebuilt over no years).
    columns = [d[0] for d in con.execute("DESCRIBE application_shares").fetchall()]
    con.execute(
        f"INSERT INTO application_shares ({', '.join(columns)}) SELECT "
        + ", ".join("2024" if c == "year" else "NULL" for c in columns)
    )
    ensure_application_tables(con)
    assert con.execute("SELECT count(*) FROM application_shares WHERE year = 2024").fetchone()[0] == 1
    # A working database of another version: stopped, with the way out.
    con.execute("ALTER TABLE school_application_shares ADD COLUMN extra INTEGER")
    with pytest.raises(TableShapeChanged, match=r"extra.*overgang run --rebuild"):
        ensure_application_tables(con)


def test_a_working_table_with_a_column_of_another_type_is_refused():
    from assets.applications.assets import ensure_application_tables
    from assets.sql import read_sql, replace_years
    from intake.applications.validate import stage_typed_rows
    from intake.sql import TableShapeChanged
    from overgang.settings import series_break_year

    con = _working_database()
    # Same names, the share an INTEGER (another version's working database): this version's
    # shares would be cast into it, 19.07 % kept as 19 %.
    con.execute("ALTER TABLE application_shares ALTER COLUMN share_pct TYPE INTEGER")
    with pytest.raises(TableShapeChanged, match=r"share_pct.*overgang run --rebuild"):
        ensure_application_tables(con)
    stage_typed_rows(con, [2025])
    with pytest.raises(TableShapeChanged):
        replace_years(
            con,
            "application_shares",
            read_sql("applications", "application_shares"),
            [2025],
            {"series_break": series_break_year()},
        )
