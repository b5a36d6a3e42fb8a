"""SQL files beside the assets that run them (``<domain>/sql/<table>.sql``)."""

from __future__ import annotations

from pathlib import Path

from schemas.sqltext import SQL, fill, ident

ASSETS_DIR = Path(__file__).resolve().parent


def read_sql(domain: str, name: str, **slots: SQL) -> SQL:
    """The SQL file, its ``${name}`` slots filled (schemas/sqltext.py: values stay $parameters)."""
    return fill((ASSETS_DIR / domain / "sql" / f"{name}.sql").read_text(encoding="utf-8"), **slots)


class TableShapeChanged(RuntimeError):
    pass


def ensure_table(con, table: str, select_sql: SQL, params: dict | None = None) -> None:
    """Create `table`, empty, with the columns of `select_sql` when it does not exist; raise
    TableShapeChanged when it exists with other columns (a working database of another version)."""
    structure = {"table": ident(table), "select": select_sql}
    con.execute(fill("CREATE TABLE IF NOT EXISTS ${table} AS SELECT * FROM (${select}) LIMIT 0", **structure), params)
    # Names and types: a column of another type (a share kept as an INTEGER) would take this
    # version's rows by a silent cast.
    have = con.execute(
        "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = $table "
        "AND database_name = current_database() ORDER BY column_index",
        {"table": table},
    ).fetchall()
    want = [
        (d[0], d[1])
        for d in con.execute(fill("DESCRIBE SELECT * FROM (${select})", select=select_sql), params).fetchall()
    ]
    if have != want:
        differ = sorted({f"{name} {kind}" for name, kind in set(have) ^ set(want)})
        raise TableShapeChanged(
            f"Table {table} in the working database has other columns than this version builds "
            f"({', '.join(differ)}). Rebuild every year: overgang run --rebuild"
        )


def replace_years(con, table: str, select_sql: SQL, years: list[int], params: dict | None = None) -> int:
    """Replace the rows of `years` in `table` by the result of `select_sql` (which filters on $years).

    The table is created on first use. Other years are not touched, so reloading one spring's
    extract recomputes only that year.
    """
    params = {**(params or {}), "years": years}
    ensure_table(con, table, select_sql, params)
    con.execute(
        fill("DELETE FROM ${table} WHERE year IN (SELECT unnest($years))", table=ident(table)), {"years": years}
    )
    con.execute(fill("INSERT INTO ${table} SELECT * FROM (${select})", table=ident(table), select=select_sql), params)
    return con.execute(
        fill("SELECT count(*) FROM ${table} WHERE year IN (SELECT unnest($years))", table=ident(table)),
        {"years": years},
    ).fetchone()[0]


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
