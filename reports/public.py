"""Years known only from published søgetal (offentliggjorte søgetal): the report's figures for a
kommune, or a year, without pupil-level extracts.

A published table is already public, so it is shown as printed: its shares with their one
decimal, its small-cell marks ("<5", "x") as the publisher set them, its counts only where it
gave counts. It has no cells to protect and no splits (9th/10th grade, sex, schools): those
need the extract, and the report says so. `PublishedYear` answers the same questions as a
protected cube (`reports.cells.Published`: count, share, label, split rows), so every table,
chart and card reads a year the same way whichever kind of data it comes from.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import duckdb

from reports.cells import TARGET

# Which published table stands for a year when a kommune has more than one definition: the
# ministry's denominator and school geography are what extracts give and what måltal are set on.
PREFERRED = """CASE geography_basis WHEN 'school' THEN 0 ELSE 1 END,
               CASE denominator_definition WHEN 'leavers_excl_10th_grade_applicants' THEN 0 ELSE 1 END"""
MINISTRY_DENOMINATOR = "leavers_excl_10th_grade_applicants"
THREE_WAY_REST = ("FGU", "STU", "OEVRIGT")
COMPLETE_SETS = ({"EUD", "GYM", "OEVRIGE"}, {"EUD", "GYM", "FGU", "STU", "OEVRIGT"})


@dataclass
class PublishedYear:
    """One kommune's published søgetal for one year, as printed (9th and 10th grade together)."""

    kommune_code: int
    year: int
    shares: dict[str, float]  # group -> share in percent, as published
    counts: dict[str, int]  # group -> count, where the table gave counts
    marks: dict[str, str]  # group -> the publisher's small-cell mark
    source: str | None
    source_file: str
    published_on: str | None
    denominator_definition: str
    geography_basis: str
    left_out: tuple[str, ...] = ("grade", "sex", "school")
    school_names: dict = field(default_factory=dict)
    cube = None  # nothing to protect: the figures are public already

    @property
    def groups(self) -> list[str]:
        return [g for g in ("EUD", "GYM", "FGU", "STU", "OEVRIGT", "OEVRIGE") if g in self.shares or g in self.marks]

    def _group(self, cell: str) -> str | None:
        kind, _, name = cell.partition("/")
        return name if kind == "g" else None

    def label(self, cell: str) -> str | None:
        group = self._group(cell)
        if group == "OEVRIGE" and "OEVRIGE" not in self.marks and "OEVRIGE" not in self.shares:
            # A five-way table's "Øvrige" is the sum of three published groups: unknown if one is blanked.
            hidden = [self.marks[g] for g in THREE_WAY_REST if g in self.marks]
            return "x" if hidden else None
        return self.marks.get(group) if group else None

    def count(self, cell: str) -> int | None:
        group = self._group(cell)
        if group == "n":
            # Pupils in all: only from a table that counts every group (an EUD-only table has no total).
            whole = set(self.groups) in COMPLETE_SETS and not self.marks
            return sum(self.counts[g] for g in self.groups) if whole and set(self.groups) <= set(self.counts) else None
        if group == "OEVRIGE" and group not in self.counts and all(g in self.counts for g in THREE_WAY_REST):
            return sum(self.counts[g] for g in THREE_WAY_REST)
        return self.counts.get(group) if group else None

    def share(self, cell: str, total: str) -> float | None:
        group = self._group(cell)
        if group is None or self.label(cell) is not None:
            return None
        if group in self.shares:
            return self.shares[group]
        if group == "OEVRIGE" and all(g in self.shares for g in THREE_WAY_REST):
            # Sum of the printed (rounded) shares, rounded again: the table's own numbers added up.
            return round(sum(self.shares[g] for g in THREE_WAY_REST), 1)
        return None

    def split_rows(self, kind: str) -> list[str]:
        return []

    @property
    def ministry_definition(self) -> bool:
        return self.denominator_definition == MINISTRY_DENOMINATOR and self.geography_basis == "school"


def load_published_years(
    con: duckdb.DuckDBPyConnection, kommuner: list[int], years: list[int] | None = None
) -> dict[tuple[int, int], PublishedYear]:
    """The current published søgetal of each (kommune, year), one table's definition per year."""
    if not kommuner:
        return {}
    rows = con.execute(
        f"""
        WITH figures AS (
            SELECT *, dense_rank() OVER (PARTITION BY kommune_code, year ORDER BY {PREFERRED},
                                         denominator_definition, geography_basis) AS pick
            FROM published_application_shares
            WHERE current AND grade = '9+10' AND list_contains($ks, kommune_code::INTEGER)
              AND ($ys IS NULL OR list_contains($ys, year::INTEGER)))
        SELECT kommune_code, year, education_group, share_pct, applicants, suppressed_as, source, source_file,
               strftime(published_on, '%Y-%m-%d'), denominator_definition, geography_basis
        FROM figures WHERE pick = 1 ORDER BY kommune_code, year, source_line""",
        {"ks": [int(k) for k in kommuner], "ys": None if years is None else [int(y) for y in years]},
    ).fetchall()
    out: dict[tuple[int, int], PublishedYear] = {}
    for k, y, group, share, count, mark, source, file, on, denominator, geography in rows:
        year = out.setdefault(
            (int(k), int(y)), PublishedYear(int(k), int(y), {}, {}, {}, source, file, on, denominator, geography)
        )
        if mark:
            year.marks[group] = mark
        if share is not None and not math.isnan(share):
            year.shares[group] = round(float(share), 1)
        if count is not None:
            year.counts[group] = int(count)
        if source and not year.source:
            year.source = source
    return out


__all__ = ["TARGET", "PublishedYear", "load_published_years"]
