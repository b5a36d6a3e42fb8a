"""SQL on the published warehouse for analysts (`overgang query`, `overgang shell`): read-only,
locked in, and printing every DuckDB value as it is.

The connection cannot change anything or reach outside the one file it opened: the database is
opened read-only, with external access off (no ATTACH, COPY … TO, EXPORT, file readers such as
read_csv, INSTALL or LOAD) and the configuration locked, so a statement cannot switch it back.
Analysts who want to combine the warehouse with their own files use the duckdb CLI, which can
open the same file read-only.
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import io
import json
import uuid
from collections.abc import Callable
from pathlib import Path

import duckdb

OUTSIDE = ("This console reads the warehouse only and cannot write, attach databases or read and write "
           "other files. For your own files use the duckdb CLI: duckdb -readonly {path}")


class ConsoleError(Exception):
    """A statement that failed; the message is for the analyst (no traceback)."""


def connect_locked(path: Path) -> duckdb.DuckDBPyConnection:
    """The published warehouse, read-only, with external access off and the settings locked."""
    con = duckdb.connect(str(path), read_only=True, config={"enable_external_access": False})
    con.execute("SET lock_configuration = true")
    return con


def run(con: duckdb.DuckDBPyConnection, sql: str, path: Path) -> tuple[list[str], list[str], list[tuple]] | None:
    """(column names, DuckDB types, rows) of the last statement in `sql`, or None when it
    returns no rows (e.g. SET). DuckDB's errors become ConsoleError with a plain message."""
    try:
        relation = con.sql(sql)
        if relation is None:
            return None
        return list(relation.columns), [str(t) for t in relation.types], relation.fetchall()
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


def text(value) -> str:
    """One value as an analyst expects to read it: NULL as NULL, lists and structs as DuckDB
    writes them, dates ISO, decimals exactly."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value.isoformat()
    if isinstance(value, (decimal.Decimal, uuid.UUID)):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_inner(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_inner(k)}: {_inner(v)}" for k, v in value.items()) + "}"
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def _inner(value) -> str:
    return f"'{value}'" if isinstance(value, str) else text(value)


def _jsonable(value):
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if value == value and value not in (float("inf"), float("-inf")) else str(value)
    return text(value)


def as_csv(columns: list[str], rows: list[tuple]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    # Empty for NULL in CSV (what spreadsheet tools read as missing).
    writer.writerows(["" if v is None else text(v) for v in row] for row in rows)
    return out.getvalue()


def as_json(columns: list[str], rows: list[tuple]) -> str:
    return json.dumps([dict(zip(columns, map(_jsonable, row))) for row in rows], ensure_ascii=False, indent=1) + "\n"


NUMERIC = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT",
           "UHUGEINT", "FLOAT", "DOUBLE", "DECIMAL")


def is_numeric(duckdb_type: str) -> bool:
    return duckdb_type.startswith(NUMERIC)


def tables_sql() -> str:
    return ("SELECT schema_name || '.' || table_name AS name, 'table' AS kind, comment FROM duckdb_tables() "
            "WHERE database_name = current_database() UNION ALL "
            "SELECT schema_name || '.' || view_name, 'view', comment FROM duckdb_views() "
            "WHERE database_name = current_database() AND NOT internal ORDER BY 1")


def schema_sql(name: str) -> tuple[str, dict]:
    schema, _, table = name.rpartition(".")
    where = "table_name = $t" + (" AND schema_name = $s" if schema else "")
    params = {"t": table, **({"s": schema} if schema else {})}
    return (f"SELECT schema_name || '.' || table_name AS relation, column_name, data_type, comment FROM duckdb_columns() "
            f"WHERE database_name = current_database() AND {where} ORDER BY schema_name, table_name, column_index", params)


def dot_command(con: duckdb.DuckDBPyConnection, line: str, show: Callable, path: Path) -> bool:
    """Run a dot command of the shell; False for .quit."""
    command, _, argument = line.strip().partition(" ")
    argument = argument.strip().rstrip(";")
    if command in (".quit", ".exit", ".q"):
        return False
    if command == ".tables":
        show(*run(con, tables_sql(), path))
    elif command == ".schema" and argument:
        sql, params = schema_sql(argument)
        relation = con.execute(sql, params)
        rows = relation.fetchall()
        if not rows:
            raise ConsoleError(f"No table or view named {argument!r}; .tables lists them.")
        show([d[0] for d in relation.description], ["VARCHAR"] * 4, rows)
    elif command == ".mode" and argument in ("table", "csv", "json"):
        show.mode = argument  # type: ignore[attr-defined]
    else:
        raise ConsoleError(".tables, .schema NAME, .mode table|csv|json, .quit; SQL statements end with ';'")
    return True
