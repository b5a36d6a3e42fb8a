"""A shown cell's share tells its row's total (share = applicants / total): a publish prints a
share only where the total is shown too. A set altered to show Høje-Taastrup's EUD share (30.3 %)
beside a hidden leavers total gave every reader the total (30 / 0.303 = 99) and passed the
national audit, which reads counts only; it is refused with the tenant and the cell named."""

from __future__ import annotations

import pytest

from assets.national import combine
from assets.national.job import NationalConfig, build_national
from tests.national_sets import (  # the hand-written sets of the national job's tests
    AARHUS,
    AARHUS_2024,
    HT,
    HT_2024,
    frame,
    groups_rows,
    publish,
)


def test_a_share_beside_a_hidden_total_is_refused(tenants, tmp_path):
    # n hidden ('x') and the hidden counts around it: FGU '<5', STU 'x', and TIENDE shown.
    cells = frame(groups_rows(HT, "Høje-Taastrup", 2024, {**HT_2024, "n": (99, "x"), "OEVRIGE": (19, "x")}))
    # ... but EUD's share left as printed beside the shown n: 30 / 99 = 30.3 %.
    cells.loc[cells["education_group"] == "EUD", "share_pct"] = 30.3
    publish(tenants["ht"], cells)
    publish(tenants["aarhus"], frame(groups_rows(AARHUS, "Aarhus", 2024, AARHUS_2024)))
    with pytest.raises(combine.NationalError) as err:
        build_national(NationalConfig(home=str(tmp_path / "national")))
    message = str(err.value)
    assert "Tenant ht's publication set" in message and "groups EUD" in message and "share" in message, message
    assert "Nothing national was written" in message and not (tmp_path / "national").exists()
