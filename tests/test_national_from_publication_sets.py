"""The national job (assets/national/): the national set and overview from the tenants'
publication sets alone, audited over what the sets publish together. Hand-derived cases: the
cells below are written by hand and the expected answers worked out in the comments."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from assets.national import combine
from assets.national.job import NationalConfig, build_national, national_job
from assets.warehouse.publication import PUBLICATION_MARK, SYNTHETIC_MARK
from tests.national_sets import (
    AARHUS,
    AARHUS_2024,
    HT,
    HT_2024,
    frame,
    groups_rows,
    publish,
    publish_2024,
)


def test_the_national_set_is_each_kommunes_cells_from_its_own_tenant_and_the_pooled_share(tenants, tmp_path):
    publish(tenants["ht"], frame(groups_rows(HT, "Høje-Taastrup", 2024, HT_2024)))
    # Aarhus's set also carries Høje-Taastrup's figures (a published table), hidden the same way.
    publish(
        tenants["aarhus"],
        frame(groups_rows(AARHUS, "Aarhus", 2024, AARHUS_2024), groups_rows(HT, "Høje-Taastrup", 2024, HT_2024)),
    )
    written = build_national(NationalConfig(home=str(tmp_path / "national")))
    assert written["kommuner"] == 2
    with duckdb.connect(str(tmp_path / "national" / "publication" / combine.SET_DB), read_only=True) as con:
        national = con.execute("SELECT * FROM cells ORDER BY kommune_code, education_group").df()
    by_hand = frame(groups_rows(HT, "Høje-Taastrup", 2024, HT_2024), groups_rows(AARHUS, "Aarhus", 2024, AARHUS_2024))
    by_hand = by_hand.sort_values(["kommune_code", "education_group"]).reset_index(drop=True)
    plain = [national.astype(object).where(national.notna(), None), by_hand.astype(object).where(by_hand.notna(), None)]
    pd.testing.assert_frame_equal(*plain, check_dtype=False)
    # Pooled share: both kommuner show EUD and n: (30 + 40) / (99 + 160) = 27.03 % -> 27.0.
    page = (tmp_path / "national" / "reports" / "landsoversigt_2024.html").read_text(encoding="utf-8")
    assert "27,0 %" in page
    assert (tmp_path / "national" / "publication" / PUBLICATION_MARK).exists()


def test_sets_that_together_pin_a_hidden_cell_are_refused_and_nothing_is_written(tenants, tmp_path):
    publish(tenants["ht"], frame(groups_rows(HT, "Høje-Taastrup", 2024, HT_2024)))
    # Aarhus's copy of Høje-Taastrup shows STU = 6: with FGU + STU = 9 (above) a reader of both
    # sets gets FGU = 3 exactly. Each set alone passes; together they do not.
    leaky = {**HT_2024, "STU": (6, None)}
    publish(
        tenants["aarhus"],
        frame(groups_rows(AARHUS, "Aarhus", 2024, AARHUS_2024), groups_rows(HT, "Høje-Taastrup", 2024, leaky)),
    )
    with pytest.raises(
        combine.NationalError, match=r"kommune 169, 2024 \(g/FGU\) to 3-3.*Nothing national was written"
    ):
        build_national(NationalConfig(home=str(tmp_path / "national")))
    assert not (tmp_path / "national").exists()


def test_marks_that_together_narrow_a_hidden_cell_are_refused(tenants, tmp_path):
    # TIENDE (12) hidden as 'x' (5 or more) in Høje-Taastrup's set and as '<20' (0-19) in
    # Aarhus's copy: together 5-19, which neither mark says, so no audit of one mark per cell
    # has seen it.
    publish(tenants["ht"], frame(groups_rows(HT, "Høje-Taastrup", 2024, {**HT_2024, "TIENDE": (12, "x")})))
    publish(
        tenants["aarhus"],
        frame(
            groups_rows(AARHUS, "Aarhus", 2024, AARHUS_2024),
            groups_rows(HT, "Høje-Taastrup", 2024, {**HT_2024, "TIENDE": (12, "<20")}),
        ),
    )
    with pytest.raises(combine.NationalError, match=r"hide kommune 169, 2024, groups\s+TIENDE .*narrow it to 5-19"):
        build_national(NationalConfig(home=str(tmp_path / "national")))
    assert not (tmp_path / "national").exists()


def test_sets_that_show_different_figures_for_one_cell_are_refused(tenants, tmp_path):
    publish(tenants["ht"], frame(groups_rows(HT, "Høje-Taastrup", 2024, HT_2024)))
    other = {**HT_2024, "GYM": (51, None), "n": (100, None)}
    publish(
        tenants["aarhus"],
        frame(groups_rows(AARHUS, "Aarhus", 2024, AARHUS_2024), groups_rows(HT, "Høje-Taastrup", 2024, other)),
    )
    with pytest.raises(combine.NationalError, match="aarhus, ht disagree about kommune 169"):
        build_national(NationalConfig(home=str(tmp_path / "national")))


def test_a_tenant_without_a_finished_set_stops_the_national_job(tenants, tmp_path):
    publish_2024(tenants)
    (tenants["aarhus"].home / "publication" / PUBLICATION_MARK).unlink()  # a set mid-replacement
    with pytest.raises(combine.NationalError, match="Tenant aarhus has no finished publication set"):
        build_national(NationalConfig(home=str(tmp_path / "national")))


def test_the_national_home_inside_a_tenants_home_is_refused(tenants, tmp_path):
    with pytest.raises(combine.NationalError, match="lies in or around tenant ht's home"):
        build_national(NationalConfig(home=str(tenants["ht"].home / "national")))


def test_a_hidden_share_stays_hidden_and_a_synthetic_set_makes_a_synthetic_national_set(tenants, tmp_path):
    # Høje-Taastrup's EUD hidden ('x'): the page shows no share for it, the pooled share is
    # Aarhus's alone (40 / 160 = 25.0 %), and the national set says it is made of synthetic data.
    hidden_eud = {**HT_2024, "EUD": (30, "x"), "GYM": (50, "x")}
    publish(tenants["ht"], frame(groups_rows(HT, "Høje-Taastrup", 2024, hidden_eud)), synthetic=True)
    publish(tenants["aarhus"], frame(groups_rows(AARHUS, "Aarhus", 2024, AARHUS_2024)))
    build_national(NationalConfig(home=str(tmp_path / "national")))
    page = (tmp_path / "national" / "reports" / "landsoversigt_2024.html").read_text(encoding="utf-8")
    assert "25,0 %" in page
    assert "30,3 %" not in page  # 30 / 99, Høje-Taastrup's hidden share
    assert (tmp_path / "national" / "publication" / SYNTHETIC_MARK).exists()


@pytest.mark.integration
def test_the_national_job_runs_in_dagster(tenants, tmp_path):
    publish_2024(tenants)
    result = national_job.execute_in_process(
        run_config={"ops": {"national_overview_op": {"config": {"home": str(tmp_path / "national")}}}}
    )
    assert result.success
    assert (tmp_path / "national" / "publication" / combine.SET_DB).exists()
