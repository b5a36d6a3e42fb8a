"""SQL files beside the intake modules that run them (``intake/<domain>/sql/<table>.sql``), and
the working database's staging tables made from them."""

from __future__ import annotations

from pathlib import Path

from schemas.sqltext import SQL, sql_file

INTAKE_DIR = Path(__file__).resolve().parent


def read_sql(domain: str, name: str, **slots: SQL) -> SQL:
    """The SQL file, its ``${name}`` slots filled (schemas/sqltext.py: values stay $parameters)."""
    return sql_file(INTAKE_DIR / domain / "sql" / f"{name}.sql", **slots)


class TableShapeChanged(RuntimeError):
    """A working database's table of another shape than this version builds (advice: rebuild)."""


# Bump when the working tables change shape: an older working database is then refused with
# advice, instead of failing somewhere inside a run.
WORK_SCHEMA_VERSION = 6  # 6: staging_applications.cpr_found_in, year_keys


def ensure_work_schema(con) -> None:
    """Create the working tables, or refuse a working database made by another version."""
    tables = {
        t
        for (t,) in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()"
        ).fetchall()
    }
    if "overgang_schema" in tables:
        version = con.execute("SELECT max(version) FROM overgang_schema").fetchone()[0]
    else:
        version = 1 if "staging_applications" in tables else None
    if version is not None and version != WORK_SCHEMA_VERSION:
        raise TableShapeChanged(
            f"The working database was made by another version of Overgang (layout {version}, "
            f"this version uses {WORK_SCHEMA_VERSION}). Rebuild it from the extracts: overgang run --rebuild"
        )
    con.execute(read_sql("applications", "create_staging_applications"))
    con.execute(read_sql("applications", "quarantine"))
    con.execute(
        "CREATE TABLE IF NOT EXISTS overgang_schema AS SELECT $version::INTEGER AS version",
        {"version": WORK_SCHEMA_VERSION},
    )
