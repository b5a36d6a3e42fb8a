"""Small-cell suppression (diskretionering) for anything published about children.

A count of 1-4 is blanked (shown as "<5", never as 0). When a total is shown, one blanked
cell could be recovered by subtraction, so a second cell is blanked too (complementary
suppression): the smallest remaining non-zero count. A share is shown only when its count is
not blanked and its denominator reaches the minimum.
"""

from __future__ import annotations

import pandas as pd

MIN_COUNT = 5


def suppress_counts(counts: pd.Series, total_published: bool = True, min_count: int = MIN_COUNT) -> pd.Series:
    """True where the count must be blanked."""
    counts = counts.fillna(0).astype(int)
    blank = counts.between(1, min_count - 1)
    if total_published and blank.sum() == 1:
        candidates = counts[~blank & (counts > 0)]
        if len(candidates):
            blank[candidates.idxmin()] = True
    return blank


def suppress_frame(frame: pd.DataFrame, count: str, shares: list[str], denominator: int,
                   min_count: int = MIN_COUNT, min_denominator: int = 0) -> pd.DataFrame:
    """Copy of `frame` with blanked counts and shares set to None and a `blanked` column."""
    out = frame.copy().astype(object)
    blank = suppress_counts(frame[count], min_count=min_count)
    if denominator < min_denominator:
        blank[:] = True
    out["blanked"] = blank
    for column in [count, *shares]:
        out.loc[blank, column] = None
    return out
