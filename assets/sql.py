"""SQL files beside the assets that run them (``assets/<domain>/sql/<table>.sql``), and the
tables the assets build from them, a year at a time."""

from __future__ import annotations

from pathlib import Path

from intake.sql import TableShapeChanged
from schemas.sqltext import SQL, fill, ident, sql_file

ASSETS_DIR = Path(__file__).resolve().parent


def read_sql(domain: str, name: str, **slots: SQL) -> SQL:
    """The SQL file, its ``${name}`` slots filled (schemas/sqltext.py: values stay $parameters)."""
    return sql_file(ASSETS_DIR / domain / "sql" / f"{name}.sql", **slots)


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
