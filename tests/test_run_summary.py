"""The summary `overgang run` and `overgang load` print is assembled in reports/run_summary.py as
typed rows (the CLI only prints it): on the shipped sample every line of every file is accounted
for, the quarantine is counted whole, and the national EUD share is the published one or none."""

from __future__ import annotations

import duckdb
import pytest

from reports.run_summary import QUARANTINE_SHOWN, run_summary

pytestmark = pytest.mark.integration

# data/reference/published_figures.csv has 2023 (19,4 %) and nothing for 2024 or 2025.
NATIONAL = {2025: None, 2024: None, 2023: 19.4}


def test_the_summary_accounts_for_every_line_and_names_the_published_national_share(sample_run):
    warehouse = sample_run.settings.warehouse
    summary = run_summary(warehouse, 169)
    assert summary.ledger, "the sample's row ledger is empty"
    for row in summary.ledger:
        assert row.lines == 1 + row.blank + row.unreadable + row.rows, row
        assert row.rows == row.valid + row.quarantined + row.duplicates, row
    with duckdb.connect(str(warehouse), read_only=True) as con:
        quarantined = con.execute("SELECT count(*) FROM quarantine").fetchone()[0]
        files = con.execute("SELECT count(*) FROM ingested_files").fetchone()[0]
    assert quarantined > 0, "the sample has bad rows: the test must see some"
    assert sum(n for _, n in summary.by_rule) == quarantined
    assert len(summary.newest_quarantined) == min(QUARANTINE_SHOWN, quarantined)
    assert summary.files == files
    assert {s.year: s.national_pct for s in summary.eud} == NATIONAL
    assert [s.year for s in summary.eud] == sorted(NATIONAL, reverse=True)
    assert all(s.kommune_pct is not None for s in summary.eud)


def test_the_row_ledger_of_the_years_asked_for_only(sample_run):
    summary = run_summary(sample_run.settings.warehouse, 169, [2024])
    assert summary.ledger and {row.year for row in summary.ledger} == {2024}
