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
import textwrap
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, Protocol

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


# Rows a table shows; --csv and --json (and the shell's .mode csv|json) write every row.
SHOWN = 1000
# Rows fetched at a time: the memory a result takes stays this small however many rows it has.
BATCH = 10_000


def interruptible(con: duckdb.DuckDBPyConnection, call: Callable[..., Any], *args: Any) -> Any:
    """`call(*args)` on `con` in a worker thread, the main thread waiting: Python runs its SIGINT
    handler only in the main thread and only between bytecodes, so while DuckDB works inside
    `call` there, Ctrl-C did nothing until the query ended. Here Ctrl-C (KeyboardInterrupt in the
    main thread) cancels the running query with `con.interrupt()` and is raised once it stopped."""
    import threading

    outcome: dict[str, Any] = {}
    # An Event, not Thread.join: a join that Ctrl-C interrupted takes the thread for finished
    # at the next join (Python 3.11), and the connection was closed while the query still ran.
    done = threading.Event()

    def work() -> None:
        try:
            outcome["value"] = call(*args)
        except BaseException as err:  # handed to the main thread
            outcome["error"] = err
        finally:
            done.set()

    threading.Thread(target=work, name="overgang-query", daemon=True).start()
    try:
        while not done.wait(0.1):
            pass
    except KeyboardInterrupt:
        con.interrupt()
        while not done.wait(0.1):
            con.interrupt()  # a query that had not started yet when first told
        raise
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


class Result:
    """A statement's result, fetched only as far as it is read (`batches`): the columns, their
    DuckDB types, and the rows as text (or one JSON text a row)."""

    def __init__(self, columns: list[str], types: list[str], cursor: duckdb.DuckDBPyConnection, path: Path) -> None:
        self.columns, self.types, self._cursor, self._path = columns, types, cursor, path

    def batches(self, size: int = BATCH) -> Iterator[list[tuple[Any, ...]]]:
        """The rows, `size` at a time; the query stops where the reader stops (`close`)."""
        try:
            while rows := interruptible(self._cursor, self._cursor.fetchmany, size):
                yield rows
        except duckdb.Error as err:
            raise _plain(err, self._path) from None

    def close(self) -> None:
        self._cursor.close()


def run(con: duckdb.DuckDBPyConnection, sql: str, path: Path, as_json: bool = False) -> Result | None:
    """The result of the last statement in `sql`, or None when it returns no rows (e.g. SET).
    Values come back as DuckDB itself writes them (cast to text in DuckDB: intervals with months,
    infinite dates, lists, structs, exact decimals, values no Python type can hold); with
    `as_json`, one JSON text per row from DuckDB's to_json. Nothing is fetched yet: the rows are
    read from a cursor of their own, in batches. DuckDB's errors become ConsoleError with a plain
    message; Ctrl-C cancels the query (interruptible)."""
    try:
        relation = interruptible(con, con.sql, sql)
        if relation is None:
            return None
        columns, types = list(relation.columns), [str(t) for t in relation.types]
        if as_json:
            texts = relation.query("q", "SELECT to_json(q)::VARCHAR FROM q")
        else:
            casts = ", ".join(f'CAST("{c.replace(chr(34), chr(34) * 2)}" AS VARCHAR)' for c in columns)
            texts = relation.query("q", f"SELECT {casts} FROM q")
        # A cursor of its own: the connection stays free for the next statement while it is read.
        cursor = con.cursor()
        try:
            interruptible(cursor, cursor.execute, texts.sql_query())
        except BaseException:
            cursor.close()
            raise
        return Result(columns, types, cursor, path)
    except duckdb.Error as err:
        raise _plain(err, path) from None


def _plain(err: duckdb.Error, path: Path) -> ConsoleError:
    """DuckDB's error as the analyst's message."""
    if isinstance(err, duckdb.PermissionException):
        return ConsoleError(OUTSIDE.format(path=path))
    message = str(err)
    if isinstance(err, duckdb.InvalidInputException) and "configuration has been locked" in message:
        return ConsoleError("Settings cannot be changed here. " + OUTSIDE.format(path=path))
    if "read-only mode" in message or "read only" in message.lower():
        message = "The warehouse is read-only here: " + message.splitlines()[0]
    return ConsoleError(message)


def text(value: str | None) -> str:
    """A value as DuckDB wrote it; NULL for a missing one (never an empty cell or 0)."""
    return "NULL" if value is None else value


def as_csv(
    columns: list[str], types: list[str], rows: list[tuple[Any, ...]], raw: bool = False, header: bool = True
) -> str:
    """CSV for a spreadsheet: a text value (and a column name) that it would run as a formula
    gets a ``'`` before it (overgang/display.py); numbers stay as DuckDB wrote them, -3 too.
    `raw`: every value as it is, for tools that read CSV as data. The header line first unless
    `header` is False (a later batch of a streamed export)."""
    safe = (lambda v: v) if raw else csv_text
    texts = [not is_numeric(t) for t in types]
    lines = [",".join(_csv_field(safe(c)) for c in columns)] if header else []
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
    # value with one ("\r=1") then splits its row in two for every reader. A ';' or a tab is
    # quoted too: a Danish Excel splits on ';', and "Skole;=2+5" would give a cell "=2+5".
    if any(c in text for c in ',;\t"\n\r'):
        return '"' + text.replace('"', '""') + '"'
    return text


def as_json(batches: Iterable[list[tuple[Any, ...]]]) -> Iterator[str]:
    """A JSON list of the rows DuckDB wrote as JSON objects (run(..., as_json=True)), written as
    the batches come: the same text json.dumps(rows, indent=1) gives for the whole list."""
    first = True
    for rows in batches:
        for row in rows:
            item = json.dumps(json.loads(row[0]), ensure_ascii=False, indent=1)
            yield ("[\n" if first else ",\n") + textwrap.indent(item, " ")
            first = False
    yield "[]\n" if first else "\n]\n"


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


class Show(Protocol):
    """What prints a result (the `overgang query` shell's printer): in its `mode`, which .mode sets."""

    mode: str

    def __call__(self, result: Result, empty: str | None = None) -> None: ...


def dot_command(con: duckdb.DuckDBPyConnection, line: str, show: Show, path: Path) -> bool:
    """Run a dot command of the shell; False for .quit. `show` prints a result in its `mode`."""
    command, _, argument = line.strip().partition(" ")
    argument = argument.strip().rstrip(";")
    if command in (".quit", ".exit", ".q"):
        return False
    if command == ".mode" and argument in ("table", "csv", "csv-raw", "json"):
        show.mode = argument
        return True
    if command == ".tables":
        sql = tables_sql()
    elif command == ".schema" and argument:
        sql = schema_sql(argument)
    else:
        raise ConsoleError(".tables, .schema NAME, .mode table|csv|csv-raw|json, .quit; SQL statements end with ';'")
    result = run(con, sql, path, as_json=show.mode == "json")
    assert result is not None  # a SELECT: never None
    show(result, empty=f"No table or view named {argument!r}; .tables lists them.")
    return True
