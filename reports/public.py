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
from decimal import ROUND_HALF_UP, Decimal

import duckdb

from overgang.groups import GroupScheme
from reports.sql import read_sql
from schemas.sqltext import SQL

# Which published table stands for a year when a kommune has more than one definition: the
# ministry's denominator and school geography are what extracts give and what måltal are set on.
PREFERRED = SQL("""CASE geography_basis WHEN $preferred_geography THEN 0 ELSE 1 END,
               CASE denominator_definition WHEN $ministry_denominator THEN 0 ELSE 1 END""")
MINISTRY_DENOMINATOR = "leavers_excl_10th_grade_applicants"
PREFERRED_PARAMS = {"preferred_geography": "school", "ministry_denominator": MINISTRY_DENOMINATOR}
# What a published table's figures are a share of, in the report's Danish.
DENOMINATOR_DA = {
    "leavers_excl_10th_grade_applicants": "afgangselever i 9. og 10. klasse (ministeriets opgørelse)",
    "youth_education_applicants": "kun elever, der søger en ungdomsuddannelse",
    "all_applicants": "alle ansøgere, også til 10. klasse",
}
GEOGRAPHY_DA = {"school": "skoler i kommunen", "residence": "elever, der bor i kommunen"}


def half_up(value: float) -> float:
    """One decimal as a person rounds (21,45 -> 21,5), not as binary floating point does (21,4)."""
    return float(Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def definition_da(denominator: str, geography: str) -> str:
    return f"andel af {DENOMINATOR_DA.get(denominator, denominator)}; {GEOGRAPHY_DA.get(geography, geography)}"


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
    sources: list[str] = field(default_factory=list)  # every publication a figure of the year comes from
    files: set[str] = field(default_factory=set)
    # The report never prints a count of 0-4 pupils, not even one the kommune printed itself:
    # such a count (and its share) is shown as "<5", as in every other table of the report.
    min_count: int = 5
    # The education groups (data/config/education_groups.csv): which published groups make a
    # whole table, and which add up to a måltal group (a five-way table's FGU + STU + øvrigt is
    # its Øvrige). A published group the scheme does not name is not shown.
    scheme: GroupScheme | None = None
    cube = None  # nothing to protect: the figures are public already

    @property
    def _scheme(self) -> GroupScheme:
        assert self.scheme is not None, "made with its scheme (load_published_years)"
        return self.scheme

    @property
    def groups(self) -> list[str]:
        given = self.shares.keys() | self.marks.keys() | self.counts.keys()
        order = self._scheme.detail + tuple(t for t, _ in self._scheme.sums)
        return [g for g in order if g in given]

    def _members(self, group: str | None) -> tuple[str, ...] | None:
        """The groups a published table may give apart instead of `group` (None: not a sum)."""
        return dict(self._scheme.sums).get(group) if group else None

    @property
    def _complete_sets(self) -> tuple[set, set]:
        return set(self._scheme.targets), set(self._scheme.detail)

    def _group(self, cell: str) -> str | None:
        kind, _, name = cell.partition("/")
        return name if kind == "g" else None

    def _small(self, group: str | None) -> bool:
        count = self._count(group) if group and group != "n" else None
        return count is not None and count < self.min_count

    def label(self, cell: str) -> str | None:
        group = self._group(cell)
        if self._small(group):
            return f"<{self.min_count}"
        rest = self._members(group)
        if rest and group not in self.marks and group not in self.shares:
            # A five-way table's "Øvrige" is the sum of three published groups: unknown if one is blanked.
            hidden = [self.marks[g] for g in rest if g in self.marks]
            return "x" if hidden else None
        return self.marks.get(group) if group else None

    def count(self, cell: str) -> int | None:
        group = self._group(cell)
        return None if self._small(group) else self._count(group)

    def _count(self, group: str | None) -> int | None:
        if group == "n":
            # Pupils in all: only from a table that counts every group (an EUD-only table has no total).
            whole = set(self.groups) in self._complete_sets and not self.marks
            return sum(self.counts[g] for g in self.groups) if whole and set(self.groups) <= set(self.counts) else None
        rest = self._members(group)
        if rest and group not in self.counts and all(g in self.counts for g in rest):
            return sum(self.counts[g] for g in rest)
        return self.counts.get(group) if group else None

    def share(self, cell: str, total: str) -> float | None:
        group = self._group(cell)
        if group is None or self.label(cell) is not None:
            return None
        if group in self.shares:
            return self.shares[group]
        rest = self._members(group)
        if rest and all(g in self.shares for g in rest):
            # Sum of the printed (rounded) shares, rounded again: the table's own numbers added up.
            return half_up(sum(self.shares[g] for g in rest))
        count, n = self._count(group), self._count("n")
        if count is not None and n:
            # A table of counts: the share as the report computes every share (one decimal).
            return half_up(100.0 * count / n)
        return None

    def split_rows(self, kind: str) -> list[str]:
        return []

    @property
    def definition_da(self) -> str:
        return definition_da(self.denominator_definition, self.geography_basis)

    @property
    def ministry_definition(self) -> bool:
        return self.denominator_definition == MINISTRY_DENOMINATOR and self.geography_basis == "school"


def load_published_years(
    con: duckdb.DuckDBPyConnection,
    kommuner: list[int],
    years: list[int] | None = None,
    min_count: int = 5,
    scheme: GroupScheme | None = None,
) -> dict[tuple[int, int], PublishedYear]:
    """The current published søgetal of each (kommune, year), one table's definition per year
    (`scheme`: the warehouse's education groups, read here when not given)."""
    if not kommuner:
        return {}
    if scheme is None:
        from reports.cells import read_scheme

        scheme = read_scheme(con)
    rows = con.execute(
        read_sql("published_figures", preferred=PREFERRED),
        {
            **PREFERRED_PARAMS,
            "ks": [int(k) for k in kommuner],
            "ys": None if years is None else [int(y) for y in years],
        },
    ).fetchall()
    out: dict[tuple[int, int], PublishedYear] = {}
    for k, y, group, share, count, mark, source, file, on, denominator, geography in rows:
        year = out.setdefault(
            (int(k), int(y)),
            PublishedYear(
                int(k), int(y), {}, {}, {}, source, file, on, denominator, geography, min_count=min_count, scheme=scheme
            ),
        )
        if mark:
            year.marks[group] = mark
        if share is not None and not math.isnan(share):
            year.shares[group] = half_up(float(share))
        if count is not None:
            year.counts[group] = int(count)
        year.files.add(file)
        if source and source not in year.sources:
            year.sources.append(source)
        if source and not year.source:
            year.source = source
    return out


__all__ = ["PublishedYear", "definition_da", "half_up", "load_published_years"]
