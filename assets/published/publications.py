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
    return out.drop(columns="_order")
