"""The printed national and region shares that are withheld (reports/aggregates.py) are decided
once, by the run before it publishes, and kept in the warehouse (reports/withheld.py): a report
reads them instead of solving the same integer systems again (1.3 s of `overgang report`'s 1.4 s
on the sample, bench/README.md round 26). A kept decision is used only for the data, settings,
code and home it was made for: edited rows, counts, settings or another key are decided again."""

from __future__ import annotations

import duckdb
import pytest

from overgang import protection_cache
from overgang.settings import Settings
from reports import aggregates
from reports.cells import read_scheme
from reports.data import national_shares
from reports.withheld import TABLE, aggregates_withheld

# README, "Printed aggregates": what the sample withholds.
SAMPLE_WITHHELD = {
    2020: {("Hele landet", "GYM")},
    2021: {("Hele landet", "GYM")},
    2022: {("Hele landet", "GYM"), ("Region Nordjylland", "EUD")},
}


def _decide(settings: Settings, small: dict | None = None) -> tuple[dict, int]:
    """What a report decides on the home's warehouse, and how many years it solved."""
    aggregates._DECIDED.clear()  # solved in this process before: solved again here
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        scheme = read_scheme(con)
        years = [y for (y,) in con.execute("SELECT DISTINCT year FROM application_shares ORDER BY 1").fetchall()]
        out = aggregates_withheld(
            con,
            small or settings.config["small_cell"],
            scheme,
            protection_cache.at_home(settings.home),
            national_shares(con, years, scheme),
        )
    return {y: s for y, s in out.items() if s}, len(aggregates._DECIDED)


def _edit(settings: Settings, sql: str) -> None:
    with duckdb.connect(str(settings.warehouse)) as con:
        con.execute(sql)


def test_the_run_keeps_each_years_decision_and_a_report_solves_none(sample_home):
    settings = Settings.load()
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        kept = {y for (y,) in con.execute(f"SELECT year FROM {TABLE}").fetchall()}
    assert kept == set(range(2016, 2024))
    assert _decide(settings) == (SAMPLE_WITHHELD, 0)


@pytest.mark.parametrize(
    "edit",
    [
        # The attack: the kept row says nothing is withheld (its MAC is the old one).
        f"UPDATE {TABLE} SET withheld = '[]'",
        # A row written without the home's key.
        f"UPDATE {TABLE} SET withheld = '[]', mac = repeat('0', 64)",
        # The counts changed since (a hidden cell's neighbour): the digest no longer matches.
        "UPDATE application_shares SET applicants = applicants + 1 WHERE kommune_code = 851 AND year = 2022 "
        "AND education_group = 'GYM' AND grade = '9+10' AND geography_basis = 'school'",
    ],
)
def test_a_kept_decision_that_no_longer_fits_is_decided_again(sample_home, edit):
    settings = Settings.load()
    _edit(settings, edit)
    decided, solved = _decide(settings)
    assert solved > 0
    if "application_shares" not in edit:
        assert decided == SAMPLE_WITHHELD


def test_another_homes_key_decides_again(sample_home):
    """A warehouse taken to another home (or the cache's key deleted): its rows do not verify."""
    settings = Settings.load()
    key = sample_home / "cache" / "protection.key"
    key.write_bytes(bytes(len(key.read_bytes())))
    protection_cache._OPEN.clear()  # the key is read once per process
    try:
        decided, solved = _decide(settings)
    finally:
        protection_cache._OPEN.clear()
    assert solved > 0 and decided == SAMPLE_WITHHELD


def test_other_small_cell_settings_decide_again(sample_home):
    settings = Settings.load()
    small = settings.config["small_cell"]
    _, solved = _decide(settings, {**small, "min_denominator": small["min_denominator"] + 1})
    assert solved > 0


def test_only_the_years_whose_row_is_missing_are_solved(sample_home):
    settings = Settings.load()
    _edit(settings, f"DELETE FROM {TABLE} WHERE year = 2022")
    assert _decide(settings) == (SAMPLE_WITHHELD, 1)
