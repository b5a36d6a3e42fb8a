"""The national job takes a tenant's publication set as its figures only if it is a set a publish
makes: every shown cell a whole count of at least min_count (a publish hides every count under it
as '<5', zero too), every hidden cell marked with a known mark and carrying no figure. A set
altered by hand was combined as it was: a shown 3 went into the national set as a figure, a '<5'
cell carrying its count was copied with its count, and a cell with no figure and no mark or an
unknown mark ended the job in a Python traceback (TypeError, ValueError)."""

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


def _ht_cell(cells, group: str, **changes):
    cells.loc[cells["education_group"] == group, list(changes)] = list(changes.values())
    return cells


def _forged(group: str, **changes):
    """Høje-Taastrup's set as published (FGU '<5', STU 'x'), one cell of `group` altered; a
    `shown` change first shows FGU and STU (5 and 4: no hidden cell left for the audit)."""
    cells = HT_2024 if not changes.pop("shown", False) else {**HT_2024, "FGU": (5, None), "STU": (4, None)}
    return _ht_cell(frame(groups_rows(HT, "Høje-Taastrup", 2024, cells)), group, **changes)


@pytest.mark.parametrize(
    ("changes", "said"),
    [
        ({"group": "STU", "shown": True}, "shows 4"),  # a count under 5 shown as a figure
        ({"group": "STU", "shown": True, "applicants": 0, "share_pct": 0.0}, "shows 0"),  # zero is '<5' too
        ({"group": "STU", "shown": True, "applicants": None, "share_pct": None}, "no figure and no mark"),
        ({"group": "STU", "mark": "*"}, "unknown mark '*'"),
        ({"group": "FGU", "applicants": 3}, "marked '<5' but carries its figure"),  # the hidden 3 itself
        ({"group": "STU", "share_pct": 6.1}, "marked 'x' but carries its figure"),  # 6 of 99 leavers
    ],
)
def test_a_set_altered_by_hand_is_refused_and_nothing_national_is_written(tenants, tmp_path, changes, said):
    group = changes.pop("group")
    publish(tenants["ht"], _forged(group, **changes))
    publish(tenants["aarhus"], frame(groups_rows(AARHUS, "Aarhus", 2024, AARHUS_2024)))
    with pytest.raises(combine.NationalError) as err:
        build_national(NationalConfig(home=str(tmp_path / "national")))
    message = str(err.value)
    assert "Tenant ht's publication set" in message and said in message, message
    assert f"kommune {HT}, 2024" in message and group in message and "Nothing national was written" in message
    assert not (tmp_path / "national").exists()
