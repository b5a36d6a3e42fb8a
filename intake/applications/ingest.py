"""Reading one Optagelse.dk extract into ``staging_applications`` (søgedata, indlæsning).

The file is read by DuckDB as text; the CPR number is pseudonymised in the same statement
that stages the row, and columns marked personal in ``data/config/column_map.yaml`` are never
selected. Lines DuckDB cannot split into the header's columns go to the quarantine with their
line number; their content is not kept, since it may hold a CPR number.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from intake.sources.tables import FileRejected, norm
from intake.sources.tables import match_columns as match_table_columns
from intake.sql import read_sql
from overgang import cpr
from overgang.cpr import CPR_WITHHELD, scrub
from overgang.encoding import TextFile, duckdb_readable, inspect, quick_inspect
from overgang.pseudonymise import hmac_pads, pseudonym_sql
from schemas.reference import column_map
from schemas.sqltext import SQL, fill, ident, idents, param


@dataclass
class StagedFile:
    name: str
    encoding: str
    data_rows: int
    rejected_lines: int
    lines: int = 0
    blank_lines: int = 0
    unaccounted_lines: int = 0


# DuckDB's reject types, said so that no part of the line (which may hold a CPR) is echoed.
REJECT_MESSAGES = {
    "TOO MANY COLUMNS": "the line has more fields than the header",
    "MISSING COLUMNS": "the line has fewer fields than the header",
    "UNQUOTED VALUE": "a field has a quote character in the wrong place",
    "INVALID UNICODE": "the line holds bytes that are not text",
    "INVALID ENCODING": "the line holds bytes that are not text in the file's encoding",
    "LINE SIZE OVER MAXIMUM": "the line is too long to be a data row",
}
UNDECODABLE = {"INVALID UNICODE", "INVALID ENCODING"}


def _header(text: TextFile) -> list[str]:
    with text.path.open("r", encoding=text.encoding, newline="") as f:
        line = f.readline().rstrip("\r\n")
    # An empty header cell (trailing ';;') gets a name of its own: read_csv needs one per column.
    return [c.strip().strip('"') or f"(empty column {i})" for i, c in enumerate(line.split(";"), 1)]


def match_columns(header: list[str], file_name: str) -> dict[str, str]:
    """Canonical column -> the file's own header name, or FileRejected naming what is missing."""
    if len(header) < 2:
        raise FileRejected(
            f"{file_name}: line 1 is not a semicolon-separated header "
            "(expected e.g. 'CPR;…;Uddannelse;…'). Is the file comma-separated or without a header?"
        )
    seen: dict[str, list[int]] = {}
    for i, name in enumerate(header, 1):
        if name.strip():
            seen.setdefault(norm(name), []).append(i)
    twice = [(header[fields[0] - 1], fields) for fields in seen.values() if len(fields) > 1]
    if twice:
        # read_csv would give both the same name: every row would be one field short and be lost.
        raise FileRejected(
            f"{file_name}: the header names a column more than once: "
            + "; ".join(f"'{name}' (fields {', '.join(map(str, fields))})" for name, fields in twice)
            + ". Remove or rename the extra column and export the file again."
        )
    found = match_table_columns(header, column_map()["applications"], file_name, "an Optagelse.dk extract")
    return {canonical: header[i] for canonical, i in found.items()}


def cpr_guarded(sources: dict[str, SQL]) -> tuple[dict[str, SQL], dict[str, str]]:
    """The staging statement's column expressions, with every column but the CPR column guarded:
    a value holding a CPR number in any spelling, or any run of nine or more digits (every column
    an extract is read from is a name, a code or a date: overgang.cpr), is replaced by a marker
    before the row is stored, and `cpr_found_in` names the columns it was found in, for the
    quarantine. Returns the slots and the values of the parameters they name.

    A cheap regular expression over the whole raw row (fields joined by '|', which is neither a
    digit nor a separator, so two fields never join into a false CPR) decides whether any column
    needs looking at; only those rare rows are normalised and matched column by column."""
    others = {c: e for c, e in sources.items() if c != "cpr" and e != "NULL"}
    # Every column's value normalised and matched by one lambda, not one expression per column:
    # DuckDB compiles a regular expression once for each place it stands in a statement, and the
    # character classes are large (the invisible characters' alone 21 kB). Written per column, the
    # patterns stood 22 times in each file's statement, 70 ms of compiling a file whatever its size.
    # `cpr_hits` is computed only for the rare rows the prefilter passes (the template's CASE).
    hits = fill(
        "list_transform([${values}], lambda field_value: regexp_matches("
        + cpr.normalised_sql("field_value")
        + ", $cpr_guard))",
        values=SQL(", ".join(others.values())),
    )
    hit = {c: SQL(f"cpr_hits[{i}]") for i, c in enumerate(others, 1)}
    # The outer CASE keeps the common row (no CPR anywhere) to a plain column reference: DuckDB
    # evaluates a THEN branch only for the rows its WHEN selects.
    guarded = {
        c: (
            fill(
                "CASE WHEN cpr_in_row THEN CASE WHEN ${hit} THEN $cpr_withheld ELSE ${e} END ELSE ${e} END",
                hit=hit[c],
                e=e,
            )
            if c in hit
            else e
        )
        for c, e in sources.items()
    }
    row = fill("concat_ws('|', ${fields})", fields=SQL(", ".join(others.values()))) if others else SQL("''")
    found = fill(
        "CASE WHEN cpr_in_row THEN nullif(concat_ws(',', ${names}), '') END",
        names=SQL(
            ", ".join(
                fill("CASE WHEN ${hit} THEN ${name} END", hit=h, name=param(f"found_{c}")) for c, h in hit.items()
            )
        ),
    )
    slots = {
        **guarded,
        "cpr": sources["cpr"],
        "cpr_in_row": fill("regexp_matches(${row}, $cpr_prefilter)", row=row),
        "cpr_hits": hits if hit else SQL("NULL"),
        "cpr_found_in": found if hit else SQL("NULL"),
    }
    params = {"cpr_prefilter": cpr.sql_params()["cpr_prefilter"]}
    if hit:
        params.update(cpr.sql_params(), cpr_guard=cpr.CPR_OR_LONG_NUMBER_SQL, cpr_withheld=CPR_WITHHELD)
    params.update({f"found_{c}": c for c in hit})
    return slots, params


def stage_file(
    con: duckdb.DuckDBPyConnection, path: Path, year: int, key: bytes, demo_key: bool, run_id: str | None
) -> StagedFile:
    """Stage one file in a transaction of its own."""
    return _stage_file(con, path, year, key, demo_key, run_id, shared=False)


# DuckDB's row group: a commit of at least this many rows moves them into the table as written.
ROW_GROUP_ROWS = 122_880


def stage_files(
    con: duckdb.DuckDBPyConnection,
    files: list[tuple[int, Path]],
    key: bytes,
    demo_key: bool,
    run_id: str | None,
    staged: Callable[[int, StagedFile], None] = lambda i, s: None,
) -> list[StagedFile]:
    """Stage (year, path) files, committing whenever the open transaction holds a row group.

    DuckDB moves a committed transaction's rows into the table as they were written (compressed
    row groups) only when it holds at least a row group (or the table is empty); a smaller commit
    copies every row again and writes it to the WAL, to be compressed once more at the next
    checkpoint. Yearly extracts of ~92k rows (1 M rows in all) are each below that: committed in
    twos, 1 M rows cost 0.8-1.3 s of commits against 2.2-3.0 s file by file. A national file
    (~920k rows) is committed alone, as before: staging 10 M rows in one transaction took 67 s
    against 57 s (probably as each file's numbering reads the open transaction's rows). On an
    error the open transaction is rolled back. `staged` is called after each file, with its position (from 1)
    and result."""
    results = []
    open_rows = 0
    con.execute("BEGIN TRANSACTION")
    try:
        for i, (year, path) in enumerate(files, 1):
            results.append(_stage_file(con, path, year, key, demo_key, run_id, shared=True))
            open_rows += results[-1].data_rows
            if open_rows >= ROW_GROUP_ROWS and i < len(files):
                con.execute("COMMIT")
                con.execute("BEGIN TRANSACTION")
                open_rows = 0
            staged(i, results[-1])
        con.execute("COMMIT")
    except BaseException:
        _roll_back(con)
        raise
    return results


def _roll_back(con: duckdb.DuckDBPyConnection) -> None:
    """Roll back the open transaction, if one is open. An interrupt (Ctrl-C, a run terminated) can
    land between a COMMIT and the next BEGIN, when none is: a failing ROLLBACK would then replace
    the interrupt with DuckDB's "no transaction is active", and the run would report a failed file
    instead of an interrupted run (tests/test_run_history_damaged_or_interrupted.py)."""
    with contextlib.suppress(duckdb.TransactionException):
        con.execute("ROLLBACK")


def _stage_file(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    year: int,
    key: bytes,
    demo_key: bool,
    run_id: str | None,
    shared: bool,
) -> StagedFile:
    text = quick_inspect(path)
    staged = _stage(con, path, text, year, key, demo_key, run_id, shared)
    if staged is None:
        # A line DuckDB could not decode, or fewer rows than lines: the full pre-pass finds out
        # which encoding the file has (or that it mixes two) and where the blank lines are.
        text = inspect(path)
        staged = _stage(con, path, text, year, key, demo_key, run_id, shared)
    assert staged is not None  # None only for a quick-inspected text
    data_rows, rejects = staged
    unaccounted = text.lines - 1 - len(text.blank_lines) - data_rows - len(rejects)
    return StagedFile(path.name, text.encoding, data_rows, len(rejects), text.lines, len(text.blank_lines), unaccounted)


def _stage(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    text: TextFile,
    year: int,
    key: bytes,
    demo_key: bool,
    run_id: str | None,
    shared: bool = False,
) -> tuple[int, list[tuple]] | None:
    """Stage the file's rows, its unreadable lines in quarantine and its row in ingested_files,
    in one transaction (one commit: a second one cost 0.5 s a file at 10 M rows), or, `shared`,
    in the caller's open transaction. Returns (data rows, rejected lines), or None, with nothing
    written, when `text` was only quick-inspected and the read shows it needs the full pre-pass."""
    header = _header(text)
    columns = match_columns(header, path.name)
    with duckdb_readable(text, con) as (readable, encoding):
        return _stage_readable(
            con, path, text, header, columns, readable, encoding, year, key, demo_key, run_id, shared
        )


def _stage_readable(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    text: TextFile,
    header: list[str],
    columns: dict[str, str],
    readable: str,
    encoding: str,
    year: int,
    key: bytes,
    demo_key: bool,
    run_id: str | None,
    shared: bool = False,
) -> tuple[int, list[tuple]] | None:
    # Only the columns Overgang uses are kept: names and addresses are never materialised.
    kept = [c for c in columns if not column_map()["applications"][c].get("drop")]
    extract = fill(
        "(SELECT ${used} FROM read_csv($p, delim=';', quote='\"', escape='\"', header=true, auto_detect=false, "
        "columns=$cols, store_rejects=true, encoding=$enc, rejects_table='extract_rejects', "
        "rejects_scan='extract_reject_scans', null_padding=false))",
        used=idents(columns[c] for c in kept),
    )
    inner, outer = hmac_pads(key)
    sources = {c: (ident(columns[c]) if c in kept else SQL("NULL")) for c in column_map()["applications"]}
    guarded, guard_params = cpr_guarded(sources)
    # The personal columns (names, addresses) have no slot in the staging statement.
    dropped = {c for c, spec in column_map()["applications"].items() if spec.get("drop")}
    guarded = {c: e for c, e in guarded.items() if c not in dropped}
    sql = read_sql(
        "applications", "staging_applications", pseudonym=SQL(pseudonym_sql(sources["cpr"])), extract=extract, **guarded
    )
    first_row_id = con.execute("SELECT coalesce(max(row_id), 0) + 1 FROM staging_applications").fetchall()[0][0]
    if not shared:
        con.execute("BEGIN TRANSACTION")
    try:
        # Read, pseudonymise and store in one parallel pass. Insertion order is DuckDB's default,
        # and the numbering below depends on it: the rows' positions are their order in the file.
        con.execute("SET preserve_insertion_order = true")
        data_rows = con.execute(
            sql,
            {
                "source_file": path.name,
                "file_year": year,
                "p": readable,
                "cols": {h: "VARCHAR" for h in header},
                "enc": encoding,
                "hmac_inner": inner,
                "hmac_outer": outer,
                **guard_params,
            },
        ).fetchall()[0][0]
        rejects = con.execute(
            "SELECT DISTINCT ON (line) line, column_name, error_type FROM extract_rejects ORDER BY line"
        ).fetchall()
        if not text.checked and (
            any(kind in UNDECODABLE for _, _, kind in rejects) or data_rows + len(rejects) + 1 != text.lines
        ):
            if shared:
                # This file's rows are the only ones not yet numbered. (Deleting rows of the
                # open transaction makes its commit copy the rows: slower, and as rare as this.)
                con.execute("DELETE FROM staging_applications WHERE row_id IS NULL")
            else:
                _roll_back(con)
            return None
        base = con.execute("SELECT min(rowid) FROM staging_applications WHERE row_id IS NULL").fetchall()[0][0]
        con.execute(
            "UPDATE staging_applications SET row_id = $first + (rowid - $base), source_line = rowid - $base + 2 "
            "WHERE row_id IS NULL",
            {"first": first_row_id, "base": base},
        )
        skipped = text.blank_lines + [r[0] for r in rejects]
        if skipped:
            # Rows after a blank or unreadable line sit further down the file than their position says.
            con.execute(
                "CREATE OR REPLACE TEMP TABLE line_map AS "
                "SELECT range AS line, row_number() OVER (ORDER BY range) - 1 AS position FROM range(2, $n + 1) "
                "WHERE range NOT IN (SELECT unnest($skip::BIGINT[]))",
                {"n": text.lines, "skip": skipped},
            )
            con.execute(
                "UPDATE staging_applications AS s SET source_line = m.line FROM line_map AS m "
                "WHERE s.row_id = $first + m.position AND s.row_id >= $first AND s.source_line <> m.line",
                {"first": first_row_id},
            )
            con.execute("DROP TABLE line_map")
        if rejects:
            quarantine_rejects(con, year, path.name, columns, rejects, run_id)
        con.execute(
            "INSERT OR REPLACE INTO ingested_files VALUES (?, ?, ?, ?, ?, ?, ?, current_timestamp)",
            [path.name, year, text.sha256, text.encoding, data_rows, len(rejects), demo_key],
        )
        # The row ledger's first half: every physical line is the header, blank, a staged row or
        # a rejected line; what is left was joined into another row (a quote never closed).
        con.execute("DELETE FROM file_ledger WHERE source_file = ?", [path.name])
        con.execute(
            "INSERT INTO file_ledger (source_file, file_year, lines, header_lines, blank_lines, staged_rows, rejected_lines, "
            "unaccounted_lines, first_rejected_line, run_id) VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?, ?)",
            [
                path.name,
                year,
                text.lines,
                len(text.blank_lines),
                data_rows,
                len(rejects),
                text.lines - 1 - len(text.blank_lines) - data_rows - len(rejects),
                rejects[0][0] if rejects else None,
                run_id,
            ],
        )
        if not shared:
            con.execute("COMMIT")
    except duckdb.Error as exc:
        if not shared:  # a shared transaction is the caller's to roll back
            _roll_back(con)
        raise FileRejected(
            f"{path.name}: DuckDB could not read the file as semicolon-separated text "
            f"({type(exc).__name__}). Check that it is a CSV export with ';' between fields."
        ) from None
    return data_rows, rejects


YEAR_IN_NAME = re.compile(r"(?<!\d)(20\d{2})(?!\d)")


def quarantine_rejects(
    con: duckdb.DuckDBPyConnection,
    year: int,
    file_name: str,
    columns: dict[str, str],
    rejects: list[tuple],
    run_id: str | None,
) -> None:
    """The lines DuckDB could not read into the extract's columns, as quarantine rows (rule
    csv_structure): their content withheld, a column named by Overgang's name for it (DuckDB
    names it by the file's own header cell, which may hold anything)."""
    canonical = {source: name for name, source in columns.items()}
    con.executemany(
        "INSERT INTO quarantine (dataset, year, source_file, source_line, column_name, value, rule, message, run_id) "
        "VALUES ('applications', ?, ?, ?, ?, NULL, 'csv_structure', ?, ?)",
        [
            (
                year,
                file_name,
                line,
                canonical.get(col, scrub(col or "") or None),
                REJECT_MESSAGES.get(kind, kind.lower()) + " (line content withheld)",
                run_id,
            )
            for line, col, kind in rejects
        ],
    )
