"""The published warehouse files of the append tests (tests/test_publish_append.py and its hostile
cases, tests/test_publish_append_hostile.py): the working database without its newest year,
publishing from a working file, and the strict comparison of two published files."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from assets.warehouse.assets import publish

NEW_YEAR = 2025


def tables(con) -> dict[str, list[str]]:
    """The main schema's tables and their columns, in order."""
    rows = con.execute(
        "SELECT table_name, column_name FROM duckdb_columns() WHERE database_name = current_database() "
        "AND schema_name = 'main' ORDER BY table_name, column_index"
    ).fetchall()
    out: dict[str, list[str]] = {}
    for table, column in rows:
        out.setdefault(table, []).append(column)
    return out


def without_new_year(con) -> None:
    """The working database as it was before the new year was loaded."""
    for table, columns in tables(con).items():
        for column in ("year", "file_year"):
            if column in columns:
                con.execute(f'DELETE FROM "{table}" WHERE "{column}" = {NEW_YEAR}')


def connect(path: Path) -> duckdb.DuckDBPyConnection:
    """A connection that writes strings as they are, so that a row's text is found in the file's
    bytes when it is there: compressed (FSST), a value may or may not show, depending on the
    rows beside it. The rows a file keeps are the same either way."""
    con = duckdb.connect(str(path))
    con.execute("SET force_compression = 'uncompressed'")
    return con


def publish_from(work: Path, published: Path, version: str) -> dict:
    with connect(work) as con:
        return publish(con, published, version)


def same_published(a: Path, b: Path) -> None:
    """Two published files hold the same tables with the same DDL, views, column types and comments,
    and the same rows, strictly: every row equal as its typed values and as text at once (so -0.0 and 0.0,
    'A' and 'a' under NOCASE differ), and the same comments, views, macros, sequences, types and
    indexes. The rows of both files are counted in one grouping per table, keyed by every column
    and the row's text: a key whose counts differ is a row in one file only (or more often in
    one), the same verdict as EXCEPT ALL both ways on the typed rows and on their text, in a
    quarter of the CPU (the hostile append tests compare some 30 times)."""
    con = duckdb.connect()
    con.execute(f"ATTACH '{a}' AS a (READ_ONLY)")
    con.execute(f"ATTACH '{b}' AS b (READ_ONLY)")
    listed = {
        db: con.execute(
            "SELECT schema_name, table_name, sql FROM duckdb_tables() WHERE database_name = $db ORDER BY ALL",
            {"db": db},
        ).fetchall()
        for db in ("a", "b")
    }
    assert listed["a"] == listed["b"]
    for schema, table, _ in listed["a"]:
        side = {
            x: f'SELECT t.*, t::VARCHAR AS "__row text", {n} AS "__side" FROM {x}."{schema}"."{table}" t'
            for x, n in (("a", 1), ("b", -1))
        }
        extra = con.execute(
            f'SELECT * EXCLUDE ("__side"), sum("__side") AS "__a minus b" FROM ({side["a"]} UNION ALL {side["b"]}) '
            f'GROUP BY ALL HAVING "__a minus b" <> 0 LIMIT 3'
        ).fetchall()
        assert not extra, (
            f"{schema}.{table}: rows (typed or as text) not equally often in a and b (count a minus b last): {extra}"
        )
    for what in (
        "SELECT schema_name, table_name, comment FROM duckdb_tables() WHERE database_name = $db",
        "SELECT schema_name, view_name, sql, comment FROM duckdb_views() WHERE database_name = $db AND NOT internal",
        "SELECT schema_name, table_name, column_name, data_type, comment FROM duckdb_columns() "
        "WHERE database_name = $db AND NOT internal",
        "SELECT schema_name, function_name, macro_definition FROM duckdb_functions() WHERE database_name = $db "
        "AND NOT internal",
        "SELECT schema_name, sequence_name FROM duckdb_sequences() WHERE database_name = $db",
        "SELECT schema_name, type_name FROM duckdb_types() WHERE database_name = $db AND NOT internal",
        "SELECT schema_name, index_name FROM duckdb_indexes() WHERE database_name = $db",
    ):
        got = [sorted(map(str, con.execute(what, {"db": db}).fetchall())) for db in ("a", "b")]
        assert got[0] == got[1], what


def publish_without_new_year(work: Path, published: Path, version: str) -> None:
    """`work` as it was before the new year was loaded, published the full way to `published`
    (as before a new spring); `work` itself is left as it is."""
    old = work.with_name("old.duckdb")
    shutil.copy(work, old)
    with connect(old) as con:
        without_new_year(con)
        assert publish(con, published, version)["method"] == "copied"
    old.unlink()
