"""A tenant named twice to the national job (`python -m pipelines.shared national --home H aarhus
aarhus`, or in the op's config) is combined once: its cells went into the national set twice and
the overview page ended in a Python traceback (a kommune's leavers read as two rows)."""

from __future__ import annotations

import duckdb

from assets.national import combine
from assets.national.job import NationalConfig, build_national
from tests.national_sets import (  # the hand-written sets of the national job's tests
    publish_2024,
)


def test_a_tenant_named_twice_is_combined_once(tenants, tmp_path):
    publish_2024(tenants)
    written = build_national(NationalConfig(home=str(tmp_path / "national"), tenants=["aarhus", "ht", "aarhus"]))
    with duckdb.connect(str(tmp_path / "national" / "publication" / combine.SET_DB), read_only=True) as con:
        twice = con.execute("SELECT count(*) FROM (SELECT DISTINCT * FROM cells)").fetchone()[0]
        assert con.execute("SELECT count(*) FROM cells").fetchone()[0] == twice == written["cells"]
    # Pooled share as with each tenant once: (30 + 40) / (99 + 160) = 27.0 %.
    assert "27,0 %" in (tmp_path / "national" / "reports" / "landsoversigt_2024.html").read_text(encoding="utf-8")
