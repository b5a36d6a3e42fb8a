"""Small-cell suppression (diskretionering) for anything published about children.

A count of 1-4 is blanked and shown as "<5", never as 0. When the total is published, blanked
cells could be recovered by subtraction, so further cells are blanked (complementary
suppression, smallest first) until no blanked cell's value is pinned down by the total and
what is shown. What a reader knows of a blanked cell: "<5" means 1-4; a complementary cell
("ikke offentliggjort") is at least 5. If even that cannot protect the cells, the total is
withheld too.
"""

from __future__ import annotations

import pandas as pd

MIN_COUNT = 5


def recoverable(counts: pd.Series, blank: pd.Series, min_count: int = MIN_COUNT) -> bool:
    """True if the published total pins down the value of some blanked cell."""
    hidden = counts[blank].astype(int)
    if hidden.empty:
        return False
    total = int(hidden.sum())
    small = hidden < min_count
    lo = small.map({True: 1, False: min_count}).where(hidden > 0, 0)
    hi = small.map({True: min_count - 1, False: total})
    for i in hidden.index:
        low = max(lo[i], total - (hi.sum() - hi[i]))
        high = min(hi[i], total - (lo.sum() - lo[i]))
        if low == high:
            return True
    return False


def suppress_counts(counts: pd.Series, total_published: bool = True, min_count: int = MIN_COUNT) -> pd.Series:
    """True where the count must be blanked."""
    counts = counts.fillna(0).astype(int)
    blank = counts.between(1, min_count - 1)
    if not total_published:
        return blank
    while blank.any() and recoverable(counts, blank, min_count):
        candidates = counts[~blank & (counts > 0)]
        if candidates.empty:
            break  # the total must go as well: see total_withheld()
        blank[candidates.idxmin()] = True
    return blank


def total_withheld(counts: pd.Series, blank: pd.Series, min_count: int = MIN_COUNT) -> bool:
    return recoverable(counts.fillna(0).astype(int), blank, min_count)


def suppress_frame(frame: pd.DataFrame, count: str, shares: list[str],
                   min_count: int = MIN_COUNT) -> tuple[pd.DataFrame, bool]:
    """Copy of `frame` with blanked counts and shares set to None, a `blanked` column, and
    whether the total must be withheld too."""
    out = frame.copy().astype(object)
    blank = suppress_counts(frame[count], min_count=min_count)
    out["blanked"] = blank
    for column in [count, *shares]:
        out.loc[blank, column] = None
    return out, total_withheld(frame[count], blank, min_count)


def suppress_table(counts: pd.DataFrame, min_count: int = MIN_COUNT, min_row_total: int = 0) -> pd.DataFrame:
    """Blanking for a table whose row totals and column totals are both published.

    Rows with a total below `min_row_total` are blanked whole. Then rows and columns are
    protected in turn (each against its own total) until nothing changes.
    """
    counts = counts.fillna(0).astype(int)
    blank = counts.apply(lambda c: c.between(1, min_count - 1))
    blank.loc[counts.sum(axis=1) < min_row_total] = True
    changed = True
    while changed:
        changed = False
        for axis in (0, 1):
            lines = counts.T if axis == 0 else counts
            marks = blank.T if axis == 0 else blank
            for key in lines.index:
                line, mark = lines.loc[key], marks.loc[key].copy()
                while mark.any() and recoverable(line, mark, min_count):
                    candidates = line[~mark & (line > 0)]
                    if candidates.empty:
                        break
                    mark[candidates.idxmin()] = True
                if not mark.equals(marks.loc[key]):
                    changed = True
                    if axis == 0:
                        blank[key] = mark
                    else:
                        blank.loc[key] = mark
    return blank
