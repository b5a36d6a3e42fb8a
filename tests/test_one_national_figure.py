"""One national figure everywhere: for the sample, `overgang run`'s summary, the analyst views,
the council report, its workbook and the national overview give the same "Hele landet" EUD share
for each year (a published figure: 19,4 % in 2023), or all say there is none (2024, 2025: "–",
blank). A sum of the loaded kommuner is named so, is not kommune 0 in any analyst view, and is
not in the publication set."""

from __future__ import annotations

import re

import duckdb
import pytest
from openpyxl import load_workbook

from overgang.numbers import da_pct
from reports.overview import render_overview
from reports.render import SYNTHETIC_MARK, render_report
from tests.cli import overgang
from tests.test_public_report import _page

# The summary's years (the newest three) and the published national EUD share of each, or None:
# data/reference/published_figures.csv has 2023 (19,4 %) and nothing for 2024 or 2025.
NATIONAL = {2023: 19.4, 2024: None, 2025: None}


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("national")
    ran = overgang(tmp, "run")  # no input folder: the shipped synthetic sample
    assert ran.returncode == 0, ran.stdout + ran.stderr
    return tmp, ran.stderr  # the console writes to standard error


def _settings(tmp, monkeypatch):
    from overgang.settings import Settings

    monkeypatch.setenv("OVERGANG_HOME", str(tmp / "home"))
    monkeypatch.setenv("OVERGANG_INBOX", str(tmp / "inbox"))
    return Settings.load()


@pytest.mark.integration
def test_every_surface_gives_the_published_national_share_or_none(home, monkeypatch, tmp_path):
    tmp, summary = home
    settings = _settings(tmp, monkeypatch)
    printed = {int(m[1]): m[2] for m in re.finditer(r"^\W*(20\d\d)\s*│[^│]*│\s*([^│]*?)\s*│?\s*$", summary, re.M)}
    assert printed == {y: da_pct(v) for y, v in NATIONAL.items()}, summary
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        # Every analyst view that states a national EUD share for a year states the published one.
        analyst = {
            (int(y), round(float(v), 1))
            for y, v in con.execute(
                """SELECT year, share_pct FROM analyst.national_shares WHERE education_group = 'EUD'
                   UNION ALL SELECT year, share_pct FROM analyst.application_shares
                   WHERE kommune_code = 0 AND education_group = 'EUD' AND grade = '9+10'"""
            ).fetchall()
            if int(y) in NATIONAL
        }
    assert analyst == {(y, v) for y, v in NATIONAL.items() if v is not None}
    for year, national in NATIONAL.items():
        report = render_report(settings, 169, year, tmp_path / f"r{year}.html")
        trend = {r[0].split()[0]: r[2] for r in _page(report).tables["table-eud"][1:]}
        assert trend[str(year)] == da_pct(national), (year, trend)
        book = load_workbook(report.with_suffix(".xlsx"))
        rows = list(book["Udvikling"].iter_rows(values_only=True))
        rows = (
            rows[1:] if str(rows[0][0]).startswith(SYNTHETIC_MARK) else rows
        )  # the sample's workbook says it is synthetic
        column = rows[0].index("EUD hele landet (%)")
        assert {r[0]: r[column] for r in rows[1:]}[year] == national
        overview = render_overview(settings, year, tmp_path / f"o{year}.html").read_text(encoding="utf-8")
        lead = " ".join(overview.split('<p class="lead">', 1)[1].split("</p>", 1)[0].split())
        assert ("hele landet: " in lead) == (national is not None), lead
        assert national is None or f"hele landet: {da_pct(national)}" in lead, lead


@pytest.mark.integration
def test_the_sum_of_the_loaded_kommuner_is_named_so_and_never_published(home, monkeypatch):
    tmp, _ = home
    settings = _settings(tmp, monkeypatch)
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        for view in ("application_shares", "application_shares_by_sex"):
            zero = con.execute(f"SELECT count(*) FROM analyst.{view} WHERE kommune_code = 0").fetchone()[0]
            assert zero == 0, f"analyst.{view} has {zero} summed rows under kommune_code 0 (Hele landet)"
        summed = con.execute(
            """SELECT DISTINCT area, kommuner FROM analyst.application_shares_loaded_sum
               WHERE year = 2023 AND geography_basis = 'school'"""
        ).fetchall()
        loaded = con.execute(
            "SELECT count(DISTINCT kommune_code) FROM application_shares WHERE year = 2023 AND geography_basis = 'school'"
        ).fetchone()[0]
        eud = con.execute(
            """SELECT sum(applicants), sum(denominator) FROM application_shares WHERE year = 2023
               AND education_group = 'EUD' AND grade = '9+10' AND geography_basis = 'school'"""
        ).fetchone()
        view = con.execute(
            """SELECT applicants, denominator FROM analyst.application_shares_loaded_sum WHERE year = 2023
               AND education_group = 'EUD' AND grade = '9+10' AND geography_basis = 'school'"""
        ).fetchone()
        comment = con.execute(
            "SELECT comment FROM duckdb_views() WHERE view_name = 'application_shares_loaded_sum'"
        ).fetchone()[0]
    assert summed == [("Sum af indlæste kommuner", loaded)] and view == eud
    assert "NOT the national figure" in comment
    # The publication set: kommuner only, no national or summed row, in the file or in Parquet.
    pub = settings.publication_dir
    with duckdb.connect(str(pub / "overgang_publication.duckdb"), read_only=True) as con:
        codes = {k for (k,) in con.execute("SELECT DISTINCT kommune_code FROM cells").fetchall()}
        names = {n for (n,) in con.execute("SELECT DISTINCT kommune_name FROM cells").fetchall()}
        views = {v for (v,) in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}
    assert 0 not in codes and codes and not {"Hele landet", "Sum af indlæste kommuner"} & names
    assert "application_shares_loaded_sum" not in views
    assert not [p for p in (pub / "parquet").iterdir() if "sum" in p.name]


@pytest.mark.integration
def test_a_warehouse_made_before_loses_its_summed_national_rows(home, monkeypatch):
    # A working database from before this rule holds kommune_code 0 rows ("Hele landet", sums of
    # the loaded extracts) for every year; a run of one year removes them from all years.
    tmp, _ = home
    settings = _settings(tmp, monkeypatch)
    with duckdb.connect(str(settings.work_db)) as con:
        for table in ("application_shares", "application_shares_by_sex"):
            con.execute(f"INSERT INTO {table} SELECT * REPLACE (0 AS kommune_code) FROM {table} WHERE year = 2015")
    ran = overgang(tmp, "run", "--year", "2025")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        for table in ("application_shares", "application_shares_by_sex"):
            assert con.execute(f"SELECT count(*) FROM {table} WHERE kommune_code = 0").fetchone()[0] == 0
