"""The row ledger of the extracts: every line of every file accounted for, per file and per year.

Staging (``ingest.py``) writes the first half of each file's row in ``file_ledger``: physical
lines = header + blank lines + staged rows + rejected lines + unaccounted lines (lines DuckDB
joined into another row, e.g. after a quote that is never closed). Validation writes the second
half: staged rows = valid rows + rows in quarantine + exact duplicates. The blocking check reads
both per file and per year, never pooled over years, so one bad year cannot hide behind good ones.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import duckdb

from intake.sql import read_sql


def update_ledger(con: duckdb.DuckDBPyConnection, years: list[int]) -> None:
    """Fill in valid, quarantined and duplicate rows of the years' files (after validation)."""
    con.execute(read_sql("applications", "update_file_ledger"), {"years": years})


def ledger_rows(con: duckdb.DuckDBPyConnection, years: list[int]) -> list[dict]:
    """The ledger rows of `years` as dicts (quarantined_by_rule parsed), by year and file."""
    cur = con.execute(
        "SELECT * EXCLUDE (run_id) FROM file_ledger WHERE file_year IN (SELECT unnest($years)) "
        "ORDER BY file_year, source_file",
        {"years": years},
    )
    names = [d[0] for d in cur.description]
    rows = [dict(zip(names, r)) for r in cur.fetchall()]
    for row in rows:
        row["quarantined_by_rule"] = json.loads(row["quarantined_by_rule"] or "{}")
    return rows


def _n(value: int) -> str:
    return f"{value:,}"


def ledger_problems(ledger: list[dict], limit: float) -> list[str]:
    """Why the ledger stops the run: one sentence per file or year that does not balance or holds
    too many bad lines (empty when it may go on)."""
    problems = []
    by_year: dict[int, list[dict]] = {}
    for r in ledger:
        by_year.setdefault(r["file_year"], []).append(r)
        data = r["lines"] - r["header_lines"] - r["blank_lines"]
        quarantined = r["quarantined_rows"] or 0
        bad = r["rejected_lines"] + r["unaccounted_lines"] + quarantined
        name = f"{r['source_file']} ({r['file_year']})"
        if r["unaccounted_lines"] > 0:
            where = f" from line {r['first_rejected_line']} on" if r["first_rejected_line"] else ""
            problems.append(
                f"{name}: {_n(r['unaccounted_lines'])} of its {_n(r['lines'])} lines were not read as rows{where} "
                "(a quote that is never closed joins the lines after it into one); only "
                f"{_n(r['staged_rows'])} rows were read."
            )
        lost = r["staged_rows"] - (r["valid_rows"] or 0) - quarantined - (r["duplicate_rows"] or 0)
        if r["valid_rows"] is not None and lost != 0:
            problems.append(
                f"{name}: {_n(lost)} rows are neither valid nor in quarantine (the ledger does not balance)."
            )
        if data <= 0:
            problems.append(f"{name}: the file holds no data rows.")
        elif bad / data > limit:
            rules = ", ".join(f"{k} {v}" for k, v in sorted(r["quarantined_by_rule"].items(), key=lambda kv: -kv[1]))
            problems.append(
                f"{name}: {_n(bad)} of {_n(data)} rows ({bad / data:.2%}) are in quarantine or unreadable "
                f"(limit {limit:.2%})" + (f": {rules}." if rules else ".")
            )
    for year, rows in sorted(by_year.items()):
        data = sum(r["lines"] - r["header_lines"] - r["blank_lines"] for r in rows)
        bad = sum(r["rejected_lines"] + r["unaccounted_lines"] + (r["quarantined_rows"] or 0) for r in rows)
        valid = sum(r["valid_rows"] or 0 for r in rows)
        if len(rows) > 1 and data and bad / data > limit:
            problems.append(
                f"{year}: {_n(bad)} of {_n(data)} rows of the year ({bad / data:.2%}) are in quarantine or "
                f"unreadable (limit {limit:.2%})."
            )
        if data > 0 and valid == 0 and all(r["valid_rows"] is not None for r in rows):
            problems.append(f"{year}: no valid rows at all in {', '.join(r['source_file'] for r in rows)}.")
    return problems


@dataclass
class Shrunk:
    year: int
    previous_files: str
    previous_rows: int
    new_files: str
    new_rows: int
    limit: float
    # None: compared with the extract now published for the year; else the year it was compared
    # with (a new year, with no earlier extract of its own: the year before it).
    against_year: int | None = None

    def message(self) -> str:
        drop = 1 - self.new_rows / self.previous_rows
        if self.against_year is None:
            before = f"the {_n(self.previous_rows)} of {self.previous_files} now published"
        else:
            before = (
                f"the {_n(self.previous_rows)} of {self.against_year} ({self.previous_files}); no earlier extract of "
                f"{self.year} to compare with, so a half-written file would pass"
            )
        return (
            f"{self.year}: {self.new_files} has {_n(self.new_rows)} valid rows, {drop:.1%} fewer than {before} "
            f"(more than {self.limit:.0%} fewer). The year is not "
            f"{'replaced' if self.against_year is None else 'published'}. If the smaller extract is right, run "
            f"again with --accept-smaller (overgang run --year {self.year} --accept-smaller)."
        )


def shrunk_years(
    con: duckdb.DuckDBPyConnection, published: Path, years: list[int], limit: float, new_year_limit: float
) -> list[Shrunk]:
    """Years whose new valid rows fall more than `limit` below those of the published warehouse,
    and new years (none published) more than `new_year_limit` below the year before them (as
    loaded in the working database: published, or loaded in this run)."""
    if not years:
        return []
    before = {}
    try:
        if published.exists():
            with duckdb.connect(str(published), read_only=True) as pub:
                before = {
                    y: (n, files)
                    for y, n, files in pub.execute(
                        "SELECT y.year, y.rows, coalesce(string_agg(f.source_file, ', ' ORDER BY f.source_file), '?') "
                        "FROM year_loads y LEFT JOIN ingested_files f ON f.file_year = y.year "
                        "WHERE y.year IN (SELECT unnest($years)) GROUP BY ALL",
                        {"years": years},
                    ).fetchall()
                }
    except duckdb.Error:
        before = {}  # no comparable warehouse (an older layout or a damaged file): nothing to compare with
    now = {
        y: (n or 0, files)
        for y, n, files in con.execute(
            "SELECT file_year, sum(valid_rows), string_agg(source_file, ', ' ORDER BY source_file) FROM file_ledger "
            "WHERE file_year IN (SELECT unnest($years)) GROUP BY ALL",
            {"years": years},
        ).fetchall()
    }
    earlier = {
        y + 1: (n, files or "?")
        for y, n, files in con.execute(
            "SELECT y.year, y.rows, string_agg(f.source_file, ', ' ORDER BY f.source_file) FROM year_loads y "
            "LEFT JOIN ingested_files f ON f.file_year = y.year WHERE y.year + 1 IN (SELECT unnest($years)) GROUP BY ALL",
            {"years": years},
        ).fetchall()
    }
    out = []
    for year in sorted(years):
        rows, files = now.get(year, (0, "no extract"))
        if before.get(year, (0,))[0]:
            if rows < before[year][0] * (1 - limit):
                out.append(Shrunk(year, before[year][1], before[year][0], files, rows, limit))
        elif year in now and earlier.get(year, (0,))[0] and rows < earlier[year][0] * (1 - new_year_limit):
            out.append(Shrunk(year, earlier[year][1], earlier[year][0], files, rows, new_year_limit, year - 1))
    return out
