"""What `overgang run` and `overgang load` say when they are done, read from the published
warehouse: the row ledger of the published years, the files and rows loaded, the quarantine, and
the kommune's EUD share beside the published national one. Assembled here, in one read-only
connection; the CLI only prints it (pipelines/cli.py)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from overgang.groups import GroupSchemeError

# The newest quarantined rows shown (what the analyst just loaded).
QUARANTINE_SHOWN = 8
# The newest years of the EUD share shown.
EUD_YEARS = 3


@dataclass(frozen=True)
class LedgerRow:
    """One file of a published year: every line accounted for (lines = header + blank +
    unreadable + rows; rows = valid + quarantine + duplicates)."""

    year: int
    file: str
    lines: int
    blank: int
    unreadable: int
    rows: int
    valid: int
    quarantined: int
    duplicates: int


@dataclass(frozen=True)
class QuarantinedRow:
    dataset: str
    file: str
    line: int | None
    column: str | None
    value: Any
    rule: str


@dataclass(frozen=True)
class EudShare:
    year: int
    kommune_pct: float | None
    national_pct: float | None  # Hele landet as published (the report's), None: not published


@dataclass(frozen=True)
class RunSummary:
    kommune: int
    ledger: list[LedgerRow]
    files: int
    rows: int | None  # None: no file loaded
    by_rule: list[tuple[str, int]]  # "dataset: rule", rows; most first
    newest_quarantined: list[QuarantinedRow]
    eud: list[EudShare]  # newest year first


def _ledger(con: duckdb.DuckDBPyConnection, years: list[int] | None) -> list[LedgerRow]:
    if not con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'file_ledger'").fetchall()[0][0]:
        return []
    rows = con.execute(
        "SELECT file_year, source_file, lines, blank_lines, rejected_lines, unaccounted_lines, staged_rows, "
        "valid_rows, quarantined_rows, duplicate_rows FROM file_ledger "
        + ("WHERE file_year IN (SELECT unnest($y)) " if years else "")
        + "ORDER BY file_year, source_file",
        {"y": years} if years else {},
    ).fetchall()
    return [
        LedgerRow(year, name, lines, blank, rejected + unaccounted, staged, valid or 0, quarantined or 0, dup or 0)
        for year, name, lines, blank, rejected, unaccounted, staged, valid, quarantined, dup in rows
    ]


def _published_nationals(con: duckdb.DuckDBPyConnection, years: list[int]) -> dict[int, float]:
    """year -> the published national EUD share the council report shows; a year without one is left out."""
    from reports.cells import read_scheme
    from reports.data import national_shares

    try:
        scheme = read_scheme(con)
    except GroupSchemeError:
        return {}
    return {y: shares["EUD"] for y, (shares, _) in national_shares(con, years, scheme).items() if "EUD" in shares}


def run_summary(warehouse: Path, kommune: int, years: list[int] | None = None) -> RunSummary:
    """The summary of the published `warehouse` for `kommune` (`years`: the row ledger of these
    only). duckdb.Error if the file cannot be read."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        ledger = _ledger(con, years)
        files, rows = con.execute("SELECT count(*), sum(data_rows) FROM ingested_files").fetchall()[0]
        by_rule = con.execute(
            "SELECT dataset || ': ' || rule, count(*) FROM quarantine GROUP BY ALL ORDER BY 2 DESC"
        ).fetchall()
        newest = con.execute(
            "SELECT dataset, source_file, source_line, column_name, value, rule FROM quarantine "
            "ORDER BY quarantined_at DESC, source_file, source_line LIMIT $n",
            {"n": QUARANTINE_SHOWN},
        ).fetchall()
        eud = con.execute(
            """SELECT year, max(share_pct) FILTER (WHERE kommune_code = $k)
               FROM application_shares WHERE education_group = 'EUD' AND grade = '9+10' AND geography_basis = 'school'
               GROUP BY year ORDER BY year DESC LIMIT $n""",
            {"k": kommune, "n": EUD_YEARS},
        ).fetchall()
        # Hele landet as the report shows it: a published figure or none, never a sum of the
        # loaded extracts (reports/data.py national_shares).
        nationals = _published_nationals(con, [y for y, _ in eud])
    return RunSummary(
        kommune=kommune,
        ledger=ledger,
        files=files,
        rows=rows,
        by_rule=[(rule, n) for rule, n in by_rule],
        newest_quarantined=[QuarantinedRow(*row) for row in newest],
        eud=[EudShare(year, share, nationals.get(year)) for year, share in eud],
    )
