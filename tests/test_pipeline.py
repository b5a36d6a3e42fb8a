"""The main job on the shipped sample: a real Dagster run into a temporary folder."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from overgang.settings import DATA_DIR


@pytest.fixture(scope="module")
def shares(sample_run) -> pd.DataFrame:
    with duckdb.connect(str(sample_run.settings.warehouse), read_only=True) as con:
        return con.execute("SELECT * FROM application_shares WHERE geography_basis = 'school' AND grade = '9+10'").df()


def share(shares, kommune, year, group):
    hit = shares[(shares.kommune_code == kommune) & (shares.year == year) & (shares.education_group == group)]
    return float(hit.share_pct.iloc[0])


def test_every_asset_materialised(sample_run):
    planned = {k.to_user_string() for k in sample_run.result.dagster_run.asset_selection or []}
    done = {e.asset_key.to_user_string() for e in sample_run.result.get_asset_materialization_events()}
    assert {
        "application_extracts",
        "applications",
        "application_shares",
        "targets",
        "goals",
        "warehouse",
        "council_report",
        "publication_set",
    } <= done
    assert planned <= done
    failed = {e.check_name for e in sample_run.result.get_asset_check_evaluations() if not e.passed}
    # The one warning: Christiansø, a StatBank area that is not a municipality, held back.
    assert failed == {"completion_status_rows_held_back"}


def test_hoeje_taastrup_eud_share_matches_press_release(shares):
    # Published by Høje-Taastrup Kommune on 2 April 2024: 16.1 % (2023) and 23.7 % (2024).
    assert round(share(shares, 169, 2023, "EUD"), 1) == 16.1
    assert round(share(shares, 169, 2024, "EUD"), 1) == 23.7


def test_close_to_other_published_figures(shares):
    published = pd.read_csv(DATA_DIR / "reference" / "published_figures.csv")
    published = published[
        (published.measure == "soegetal_share")
        & published.group.isin(["EUD", "GYM"])
        & published.scope.isin(["national", "hoeje_taastrup"])
        & published.year.between(2015, 2025)
    ]
    assert len(published) >= 15
    for p in published.itertuples():
        # Figures given as whole numbers were rounded in the press; the rest to one decimal.
        tolerance = 0.5 if float(p.value).is_integer() and p.scope != "national" else 0.35
        if p.scope == "national":
            # The synthetic sample's kommuner added up (never stored as Hele landet) resemble the country.
            cells = shares[(shares.year == p.year) & (shares.education_group == p.group)]
            got = 100 * cells.applicants.sum() / cells.denominator.sum()
        else:
            got = share(shares, 169, p.year, p.group)
        assert abs(got - p.value) <= tolerance, (p.scope, p.year, p.group, got, p.value)


def test_shares_sum_to_100_and_series_break_flagged(shares):
    in_denominator = shares[shares.education_group != "TIENDE"]
    sums = in_denominator.groupby(["kommune_code", "year"]).share_pct.sum()
    assert (sums.round(9) == 100).all()
    assert set(shares[shares.year >= 2023].series_version) == {"from_2023"}
    assert set(shares[shares.year < 2023].series_version) == {"before_2023"}


def test_targets_and_goals_loaded(sample_run):
    with duckdb.connect(str(sample_run.settings.warehouse), read_only=True) as con:
        path = con.execute(
            "SELECT target_year, target_pct FROM targets WHERE kommune_code = 169 AND target_group = 'EUD' ORDER BY 1"
        ).fetchall()
        goals = dict(con.execute("SELECT goal_id, target_pct FROM goals").fetchall())
    assert path == [(2022, 24.0), (2023, 26.0), (2024, 28.0), (2025, 30.0)]
    assert goals["htk_completion_95"] == 95 and goals["national_90_2030"] == 90


def test_published_warehouse_opens_in_older_duckdb_format(sample_run):
    with duckdb.connect(str(sample_run.settings.warehouse), read_only=True) as con:
        tables = {t for (t,) in con.execute("SHOW TABLES").fetchall()}
        version = con.execute(
            "SELECT tags['storage_version'] FROM duckdb_databases() WHERE database_name = current_database()"
        ).fetchone()
    assert "staging_applications" not in tables
    assert {"applications", "application_shares", "quarantine", "targets", "goals"} <= tables
    assert version is not None


def test_each_year_reports_its_own_rows(sample_run):
    """The sample's run covers several years; each year's materialisation of a partitioned table
    carries that year's rows, not the run's total."""
    with duckdb.connect(str(sample_run.settings.warehouse), read_only=True) as con:
        for table in ("applications", "application_shares"):
            expected = dict(con.execute(f"SELECT year::VARCHAR, count(*) FROM {table} GROUP BY year").fetchall())
            reported = {
                m.partition: m.metadata["rows"].value
                for m in (
                    e.event_specific_data.materialization for e in sample_run.result.get_asset_materialization_events()
                )
                if m.asset_key.to_user_string() == table
            }
            # A year of the run without an extract (this spring, before its extract) reports 0.
            assert len(reported) > 1 and reported == {**dict.fromkeys(reported, 0), **expected}, table
