"""SQL on the published warehouse for analysts (`overgang query`, `overgang shell`): read-only,
locked in, and printing every DuckDB value as it is.

The connection cannot change anything or reach outside the one file it opened: the database is
opened read-only, with external access off (no ATTACH, COPY … TO, EXPORT, file readers such as
read_csv, INSTALL or LOAD) and the configuration locked, so a statement cannot switch it back.
Analysts who want to combine the warehouse with their own files use the duckdb CLI, which can
open the same file read-only.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import duckdb

from overgang.display import csv_text

OUTSIDE = (
    "This console reads the warehouse only and cannot write, attach databases or read and write "
    "other files. For your own files use the duckdb CLI: duckdb -readonly {path}"
)


class ConsoleError(Exception):
    """A statement that failed; the message is for the analyst (no traceback)."""


def connect_locked(path: Path) -> duckdb.DuckDBPyConnection:
    """The published warehouse, read-only, with external access off and the settings locked.

    No temp folder either: DuckDB lets a connection without external access still write into
    its temp folder (<warehouse>.tmp), so COPY … TO could write there."""
    con = duckdb.connect(str(path), read_only=True, config={"enable_external_access": False, "temp_directory": ""})
    con.execute("SET lock_configuration = true")
    return con


def run(
    con: duckdb.DuckDBPyConnection, sql: str, path: Path, as_json: bool = False
) -> tuple[list[str], list[str], list[tuple]] | None:
    """(column names, DuckDB types, rows) of the last statement in `sql`, or None when it
    returns no rows (e.g. SET). Values come back as DuckDB itself writes them (cast to text in
    DuckDB: intervals with months, infinite dates, lists, structs, exact decimals, values no
    Python type can hold); with `as_json`, one JSON text per row from DuckDB's to_json.
    DuckDB's errors become ConsoleError with a plain message."""
    try:
        relation = con.sql(sql)
        if relation is None:
            return None
        columns, types = list(relation.columns), [str(t) for t in relation.types]
        if as_json:
            return columns, types, relation.query("q", "SELECT to_json(q)::VARCHAR FROM q").fetchall()
        texts = ", ".join(f'CAST("{c.replace(chr(34), chr(34) * 2)}" AS VARCHAR)' for c in columns)
        return columns, types, relation.query("q", f"SELECT {texts} FROM q").fetchall()
    except duckdb.PermissionException:
        raise ConsoleError(OUTSIDE.format(path=path)) from None
    except duckdb.InvalidInputException as err:
        if "configuration has been locked" in str(err):
            raise ConsoleError("Settings cannot be changed here. " + OUTSIDE.format(path=path)) from None
        raise ConsoleError(str(err)) from None
    except duckdb.Error as err:
        message = str(err)
        if "read-only mode" in message or "read only" in message.lower():
            message = "The warehouse is read-only here: " + message.splitlines()[0]
        raise ConsoleError(message) from None


def text(value: str | None) -> str:
    """A value as DuckDB wrote it; NULL for a missing one (never an empty cell or 0)."""
    return "NULL" if value is None else value


def as_csv(columns: list[str], types: list[str], rows: list[tuple], raw: bool = False) -> str:
    """CSV for a spreadsheet: a text value (and a column name) that it would run as a formula
    gets a ``'`` before it (overgang/display.py); numbers stay as DuckDB wrote them, -3 too.
    `raw`: every value as it is, for tools that read CSV as data."""
    safe = (lambda v: v) if raw else csv_text
    texts = [not is_numeric(t) for t in types]
    lines = [",".join(_csv_field(safe(c)) for c in columns)]
    for row in rows:
        # Empty for NULL in CSV (what spreadsheet tools read as missing).
        lines.append(
            ",".join(
                "" if v is None else _csv_field(safe(v) if text else v) for v, text in zip(row, texts, strict=True)
            )
        )
    return "".join(line + "\n" for line in lines)


def _csv_field(text: str) -> str:
    # RFC 4180 quoting. Python's csv module leaves a lone CR unquoted when lines end in LF, and a
    # value with one ("\r=1") then splits its row in two for every reader.
    if any(c in text for c in ',"\n\r'):
        return '"' + text.replace('"', '""') + '"'
    return text


def as_json(rows: list[tuple]) -> str:
    """A JSON list of the rows DuckDB wrote as JSON objects (run(..., as_json=True))."""
    return json.dumps([json.loads(row[0]) for row in rows], ensure_ascii=False, indent=1) + "\n"


NUMERIC = (
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
    "UHUGEINT",
    "FLOAT",
    "DOUBLE",
    "DECIMAL",
)


def is_numeric(duckdb_type: str) -> bool:
    return duckdb_type.startswith(NUMERIC)


def tables_sql() -> str:
    return (
        "SELECT schema_name || '.' || table_name AS name, 'table' AS kind, comment FROM duckdb_tables() "
        "WHERE database_name = current_database() UNION ALL "
        "SELECT schema_name || '.' || view_name, 'view', comment FROM duckdb_views() "
        "WHERE database_name = current_database() AND NOT internal ORDER BY 1"
    )


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def schema_sql(name: str) -> str:
    schema, _, table = name.rpartition(".")
    where = f"table_name = {_literal(table)}" + (f" AND schema_name = {_literal(schema)}" if schema else "")
    return (
        "SELECT schema_name || '.' || table_name AS relation, column_name, data_type, comment FROM duckdb_columns() "
        f"WHERE database_name = current_database() AND {where} ORDER BY schema_name, table_name, column_index"
    )


def dot_command(con: duckdb.DuckDBPyConnection, line: str, show: Callable, path: Path) -> bool:
    """Run a dot command of the shell; False for .quit. `show` prints a result in its `mode`."""
    command, _, argument = line.strip().partition(" ")
    argument = argument.strip().rstrip(";")
    if command in (".quit", ".exit", ".q"):
        return False
    if command == ".mode" and argument in ("table", "csv", "csv-raw", "json"):
        show.mode = argument  # type: ignore[attr-defined]
        return True
    if command == ".tables":
        sql = tables_sql()
    elif command == ".schema" and argument:
        sql = schema_sql(argument)
    else:
        raise ConsoleError(".tables, .schema NAME, .mode table|csv|csv-raw|json, .quit; SQL statements end with ';'")
    result = run(con, sql, path, as_json=show.mode == "json")  # type: ignore[attr-defined]
    if not result[2]:
        raise ConsoleError(f"No table or view named {argument!r}; .tables lists them.")
    show(*result)
    return True
