"""Which publication of a figure is current (gældende tal).

A kommune's web page in May and a revised one in June may both give the 2024 EUD share. Both
are kept, each with its source and date, so the methods can say a figure was revised; reports
use the later one. Later means the later publication date where both tables give one in their
description, otherwise the one loaded later (the inbox's order of arrival).
"""

from __future__ import annotations

import pandas as pd

from schemas.published import FIGURE_KEY


def mark_current(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` in loading order; sets `current` on the one row per figure reports use."""
    out = frame.reset_index(drop=True).copy()
    if out.empty:
        out["current"] = pd.Series(dtype=bool)
        return out
    out["_order"] = range(len(out))
    key = out[FIGURE_KEY].astype(str).agg("\x1f".join, axis=1)
    dated = out["published_on"].notna().groupby(key).transform("all")
    # Where every publication of the figure is dated, the date decides (ties: the later load).
    rank_date = out["published_on"].where(dated).fillna(pd.Timestamp.min)
    winner = out.assign(_key=key, _date=rank_date).sort_values(["_key", "_date", "_order"]).groupby("_key").tail(1)
    out["current"] = out["_order"].isin(winner["_order"])
    _one_way_of_splitting(out)
    return out.drop(columns="_order")


THREE_WAY = {"OEVRIGE"}
FIVE_WAY = {"FGU", "STU", "OEVRIGT"}


def _one_way_of_splitting(out: pd.DataFrame) -> None:
    """A three-way table's Øvrige and a five-way table's FGU, STU and Øvrigt are the same pupils
    split two ways: where both are current for an area and year, the later publication's split
    stands and the earlier one's is no longer current (else the year would add up to more or
    less than 100 % and hide a revision)."""
    area = [c for c in FIGURE_KEY if c != "education_group"]
    family = out["education_group"].map(lambda g: "three" if g in THREE_WAY else "five" if g in FIVE_WAY else None)
    live = out[out["current"] & family.notna()].assign(_family=family)
    for _, rows in live.groupby(area, dropna=False):
        if rows["_family"].nunique() < 2:
            continue
        dated = rows["published_on"].notna().all()
        rank = list(zip(rows["published_on"] if dated else [pd.Timestamp.min] * len(rows), rows["_order"]))
        latest = {f: max(r for r, fam in zip(rank, rows["_family"]) if fam == f) for f in ("three", "five")}
        stale = "five" if latest["three"] > latest["five"] else "three"
        out.loc[rows.index[rows["_family"] == stale], "current"] = False
