"""Two publications of the same figure: both kept, the later one current (unit tests of the rule)."""

from __future__ import annotations

import pandas as pd

from intake.published.publications import mark_current


def _rows(*pubs):
    return pd.DataFrame(
        [
            {
                "year": 2024,
                "kommune_code": 259,
                "grade": "9+10",
                "education_group": "EUD",
                "denominator_definition": "leavers_excl_10th_grade_applicants",
                "geography_basis": "school",
                "share_pct": share,
                "source_file": name,
                "published_on": pd.Timestamp(on) if on else pd.NaT,
            }
            for name, share, on in pubs
        ]
    )


def _current(frame):
    return list(mark_current(frame).query("current")["source_file"])


def test_without_dates_the_file_loaded_later_is_current():
    assert _current(_rows(("maj.csv", 22.0, None), ("juni.csv", 23.0, None))) == ["juni.csv"]


def test_dates_decide_even_when_the_older_page_is_loaded_last():
    """An old page found and loaded after the revision must not replace the revision."""
    frame = _rows(("juni.csv", 23.0, "2024-06-10"), ("maj.csv", 22.0, "2024-05-02"))
    assert _current(frame) == ["juni.csv"]


def test_one_undated_publication_falls_back_to_loading_order():
    frame = _rows(("juni.csv", 23.0, "2024-06-10"), ("maj.csv", 22.0, None))
    assert _current(frame) == ["maj.csv"]


def test_different_figures_are_each_current():
    a = _rows(("a.csv", 22.0, None))
    b = _rows(("b.csv", 70.0, None)).assign(education_group="GYM")
    out = mark_current(pd.concat([a, b], ignore_index=True))
    assert out["current"].all()


def test_a_five_way_revision_replaces_a_three_way_oevrige():
    three = _rows(("uvm.csv", 10.6, None)).assign(education_group="OEVRIGE", year=2021)
    five = pd.concat(
        [_rows(("koege.csv", v, None)).assign(education_group=g, year=2021) for g, v in (("FGU", 6.0), ("STU", 1.5))],
        ignore_index=True,
    )
    out = mark_current(pd.concat([three, five], ignore_index=True))
    assert dict(zip(out["education_group"], out["current"])) == {"OEVRIGE": False, "FGU": True, "STU": True}
