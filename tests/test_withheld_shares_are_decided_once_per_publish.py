"""The printed national and region shares that are withheld (reports/aggregates.py) are decided
once per publish, by the run's own council report, and kept in the home's cache
(reports/withheld.py): the next report reads them instead of solving the same integer systems
again (1.3 s of `overgang report`'s 1.4 s on the sample, bench/README.md round 26). A kept
decision is used only for the data, settings, code and home it was made for: an edited entry or
count, other settings or another key are decided again."""

from __future__ import annotations

import json
from dataclasses import replace

import duckdb

from overgang import protection_cache
from overgang.pipeline_settings import SmallCell
from overgang.settings import Settings
from reports import aggregates
from reports.cells import read_scheme
from reports.data import national_shares
from reports.withheld import FILE, aggregates_withheld

# README, "Printed aggregates": what the sample withholds.
SAMPLE_WITHHELD = {
    2020: {("Hele landet", "GYM")},
    2021: {("Hele landet", "GYM")},
    2022: {("Hele landet", "GYM"), ("Region Nordjylland", "EUD")},
}


def _decide(settings: Settings, small: SmallCell | None = None) -> tuple[dict, int]:
    """What a report decides on the home's warehouse, and how many years it solved."""
    aggregates._DECIDED.clear()  # solved in this process before: solved again here
    protection_cache._OPEN.clear()  # the key is read once per process
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        scheme = read_scheme(con)
        years = [y for (y,) in con.execute("SELECT DISTINCT year FROM application_shares ORDER BY 1").fetchall()]
        out = aggregates_withheld(
            con,
            small or settings.pipeline.small_cell,
            scheme,
            protection_cache.at_home(settings.home),
            national_shares(con, years, scheme),
        )
    protection_cache._OPEN.clear()
    return {y: s for y, s in out.items() if s}, len(aggregates._DECIDED)


def _kept(settings: Settings) -> dict:
    return json.loads((settings.home / "cache" / FILE).read_text(encoding="utf-8"))


def _write(settings: Settings, kept: dict) -> None:
    (settings.home / "cache" / FILE).write_text(json.dumps(kept), encoding="utf-8")


def test_the_run_keeps_each_years_decision_and_a_report_solves_none(sample_home):
    settings = Settings.load()
    kept = _kept(settings)
    assert set(kept["years"]) == {str(y) for y in range(2016, 2024)}
    # No count in the file: the shares withheld, and keyed digests.
    assert kept["years"]["2022"]["withheld"] == [["Hele landet", "GYM"], ["Region Nordjylland", "EUD"]]
    assert _decide(settings) == (SAMPLE_WITHHELD, 0)


def test_an_entry_edited_to_withhold_nothing_is_decided_again(sample_home):
    settings = Settings.load()
    kept = _kept(settings)
    for entry in kept["years"].values():
        entry["withheld"] = []  # its MAC is the old one
    _write(settings, kept)
    decided, solved = _decide(settings)
    assert solved > 0 and decided == SAMPLE_WITHHELD
    # Written again as decided.
    assert _kept(settings)["years"]["2020"]["withheld"] == [["Hele landet", "GYM"]]


def test_a_torn_or_garbage_file_is_decided_again(sample_home):
    settings = Settings.load()
    path = settings.home / "cache" / FILE
    path.write_bytes(path.read_bytes()[:100])
    assert _decide(settings)[0] == SAMPLE_WITHHELD
    path.write_bytes(b"\x00garbage")
    decided, solved = _decide(settings)
    assert solved > 0 and decided == SAMPLE_WITHHELD


def test_a_count_changed_since_is_decided_again(sample_home):
    settings = Settings.load()
    with duckdb.connect(str(settings.warehouse)) as con:
        con.execute(
            "UPDATE application_shares SET applicants = applicants + 1 WHERE kommune_code = 851 AND year = 2022 "
            "AND education_group = 'GYM' AND grade = '9+10' AND geography_basis = 'school'"
        )
    _, solved = _decide(settings)
    assert solved > 0


def test_another_homes_key_decides_again(sample_home):
    """A home copied without its cache key (or the key deleted): no entry verifies."""
    settings = Settings.load()
    (sample_home / "cache" / "protection.key").unlink()
    decided, solved = _decide(settings)
    assert solved > 0 and decided == SAMPLE_WITHHELD


def test_other_small_cell_settings_decide_again(sample_home):
    settings = Settings.load()
    small = settings.pipeline.small_cell
    _, solved = _decide(settings, replace(small, min_denominator=small.min_denominator + 1))
    assert solved > 0


def test_only_the_year_whose_entry_is_missing_is_solved(sample_home):
    settings = Settings.load()
    kept = _kept(settings)
    del kept["years"]["2022"]
    _write(settings, kept)
    assert _decide(settings) == (SAMPLE_WITHHELD, 1)
    assert "2022" in _kept(settings)["years"]
