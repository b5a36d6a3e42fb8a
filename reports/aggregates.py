"""Printed aggregates (Hele landet, a region) are equations too: which of them may be printed.

A region's or the nation's share, printed with one decimal, says of the kommuner inside the
area: 100 * sum(group) / sum(leavers) lies in [s - 0.05, s + 0.05]. When the loaded kommuner
make up the area, that ties their cubes together, and with each kommune's shown counts it can
narrow a hidden cell that every cube on its own protects (issue 30: "Region Nordjylland 2022:
25,6 %" is exactly 32 of 125). A reader cannot always tell whether the loaded kommuner are the
whole area, so every aggregate whose printed share is what the loaded kommuner of its area add
up to is counted as such an equation; one they do not add up to is not their sum and says
nothing about them.

The rule: for each year, the aggregates a report could print (the nation first, then each
region; each share of a group on its own) are added one by one to a single integer system of
every loaded cube of the year; a share that would narrow a hidden cell below the protection
rule (``overgang/suppression.protected``) is not printed anywhere (it is *withheld*, and the
report says why). The cubes themselves, and so every kommune's report, stay as they are.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from overgang.suppression import Cube, failures


@dataclass(frozen=True)
class Aggregate:
    """One printed share of an area: "Hele landet" or a region, one group, one decimal."""

    key: str  # "Hele landet" or the region's name, as the report prints it
    group: str
    share: float
    kommuner: frozenset[int] | None  # the area; None: the whole country


Band = tuple[tuple[tuple[str, int], ...], int, int]


def bands(aggregate: Aggregate, values: dict[int, dict[str, int]]) -> list[Band]:
    """The aggregate's rows over the loaded kommuner of its area (``values``: kommune -> its
    cube's counts), when its printed share is what they add up to. With s printed to one
    decimal and integers only: (20s - 1) * N <= 2000 * X <= (20s + 1) * N, as two rows
    0 <= 2000 X - (20s - 1) N and 2000 X - (20s + 1) N <= 0."""
    area = sorted(k for k in values if aggregate.kommuner is None or k in aggregate.kommuner)
    cell = f"g/{aggregate.group}"
    if not area or any(cell not in values[k] for k in area):
        return []
    tenths = round(aggregate.share * 20)
    x = sum(values[k][cell] for k in area)
    n = sum(values[k]["g/n"] for k in area)
    if not (tenths - 1) * n <= 2000 * x <= (tenths + 1) * n:
        return []  # not the sum of the loaded kommuner: no equation about them
    out = []
    for factor, low, high in ((tenths - 1, 0, 10**12), (tenths + 1, -(10**12), 0)):
        terms = tuple((f"{k}|{cell}", 2000) for k in area) + tuple((f"{k}|g/n", -factor) for k in area)
        out.append((terms, low, high))
    return out


def _joint(cubes: dict[int, Any], rows: list[Band]) -> tuple[Cube, dict]:
    """One cube of every loaded kommune whose hidden cells an aggregate row touches, and the
    shown cells of the others that the rows name (constants)."""
    named = {cell for terms, _, _ in rows for cell, _ in terms}
    touched = {int(c.split("|")[0]) for c in named if cubes[int(c.split("|")[0])].labels.get(c.split("|")[1])}
    values, labels, sums = {}, {}, []
    for k, pub in cubes.items():
        if k in touched:
            values.update({f"{k}|{c}": v for c, v in pub.cube.values.items()})
            labels.update({f"{k}|{c}": pub.labels.get(c) for c in pub.cube.values})
            sums += [(f"{k}|{t}", tuple(f"{k}|{p}" for p in parts)) for t, parts in pub.cube.sums]
    for cell in named:
        code, c = cell.split("|")
        values.setdefault(cell, cubes[int(code)].cube.values[c])
        labels.setdefault(cell, None)
    return Cube(values, sums, bands=list(rows)), labels


_DECIDED: dict = {}


def withheld(
    values: dict[int, dict[str, int]], cubes: Callable[[], dict], aggregates: list[Aggregate], min_count: int
) -> set[tuple[str, str]]:
    """(area, group) of each aggregate that must not be printed beside one year's loaded
    kommuner (``values``: their cubes' counts; ``cubes()``: their protected cubes, loaded only
    when some aggregate is their sum). In the order given, each is kept if, with those kept
    before it, no hidden cell is narrowed below the rule."""
    rows_of = [(a, bands(a, values)) for a in aggregates]
    if not any(rows for _, rows in rows_of):
        return set()
    protected = cubes()
    signature = (
        tuple(
            sorted(
                (k, tuple(sorted(p.cube.values.items())), tuple(sorted(p.labels.items(), key=str)))
                for k, p in protected.items()
            )
        ),
        tuple(aggregates),
        min_count,
    )
    if signature in _DECIDED:
        return _DECIDED[signature]
    kept: list[Band] = []
    out = set()
    for aggregate, rows in rows_of:
        if not rows:
            continue
        cube, labels = _joint(protected, kept + rows)
        if failures(cube, labels, min_count, first=True):
            out.add((aggregate.key, aggregate.group))
        else:
            kept += rows
    _DECIDED[signature] = out
    return out
