"""Small-cell protection (diskretionering) for everything published about children, and its audit.

The unit is a *cube*: every count published about one kommune and one year (groups, 9th/10th
grade, boys/girls, schools), with the sums that tie them together (a total is the sum of its
parts; Øvrige = FGU + STU + øvrigt; the grades, the sexes and the schools each add up to the
kommune). Different kommuner and different years are different pupils: no published sum links
two cubes (national and region figures come from published sources, never from the loaded
kommuner), so each cube is protected on its own and every report shows the same cells of it.

The rule (``README.md``, "Små tal"):

- **Primary cells**: every count of 0-4 is hidden and shown as ``"<5"``. Zero is included: a
  printed 0 would tell a reader that a "<5" next to it is at least 1, and that everybody in a
  row made the other choices.
- **Rows under the minimum denominator** (e.g. a school with fewer than 20 leavers): the whole
  row is hidden and its total shown as ``"<20"``.
- **Secondary cells**: a hidden cell must not be computable from what is shown. Further cells
  (the smallest count in a sum with the exposed cell) are hidden and shown as ``"x"``, which
  always means 5 or more; ``"<5"`` is never shown for a count of 5 or more.
- **The audit** proves it: for every hidden cell, the smallest and largest integer values
  consistent with every published count and sum and with the bounds the labels imply are
  found by integer linear programming (the HiGHS solver through its own Python binding, ``highspy``). A cell is
  protected when that interval spans at least ``MIN_SPAN`` (3), i.e. at least four possible
  values (``protected``). Secondary cells are added until every hidden cell is protected.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeAlias

import highspy
from highspy._core import _Highs

MIN_COUNT = 5
MIN_SPAN = 3
PRIMARY = "<5"
SECONDARY = "x"
BIG = 10**7

# One sum of a piece as an equation: coefficient per hidden cell (its column), and the right-hand side.
# A row of the integer system: coefficients by hidden cell, and the interval its sum lies in
# (low == high for an exact sum; a printed share's rounding gives a band).
Equation: TypeAlias = tuple[dict[int, float], tuple[float, float]]
# intervals()'s `cache`: a piece's answer, by its hidden cells' labels and its right-hand sides.
PieceCache: TypeAlias = dict[
    tuple[tuple[tuple[str, str | None], ...], tuple[tuple[tuple[tuple[int, float], ...], tuple[float, float]], ...]],
    dict[str, tuple[int, int]],
]


class DisclosureError(RuntimeError):
    """A hidden cell could be pinned down from what would be published."""


def small_row_label(min_denominator: int) -> str:
    return f"<{min_denominator}"


@dataclass
class Cube:
    """Counts (cell name -> value), the sums that tie them together and the rows that are too
    small to show (their total cell -> the cells of the row). `bands`: what a printed rounded
    share of an aggregate says, as whole-number rows low <= sum(coefficient * cell) <= high
    (``reports/aggregates.py`` makes them; a cube of one kommune has none)."""

    values: dict[str, int]
    sums: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    rows: dict[str, tuple[str, ...]] = field(default_factory=dict)
    bands: list[tuple[tuple[tuple[str, int], ...], int, int]] = field(default_factory=list)

    def totals(self) -> set[str]:
        return {total for total, _ in self.sums}


def bounds(label: str | None, value: int, min_count: int = MIN_COUNT) -> tuple[float, float]:
    """What a reader knows of a cell from its label."""
    if label is None:
        return value, value
    if label == PRIMARY:
        return 0, min_count - 1
    if label == SECONDARY:
        return min_count, BIG
    if label.startswith("<"):
        return 0, int(label[1:]) - 1
    raise ValueError(f"unknown label {label!r}")


def protected(low: int, high: int, min_count: int = MIN_COUNT, min_span: int = MIN_SPAN) -> bool:
    """The protection rule: the values a reader cannot rule out span at least `min_span`
    (3: at least four values, e.g. 1-4, 0-3 or 12-15). A "<5" cell keeps at least the
    uncertainty of "between 1 and 4"; a hidden larger count is known to no better than
    four values."""
    return high - low >= min_span


def intervals(
    cube: Cube,
    labels: dict[str, str | None],
    min_count: int = MIN_COUNT,
    first_failure: int | None = None,
    cache: PieceCache | None = None,
) -> dict[str, tuple[int, int]]:
    """For each hidden cell: the smallest and largest integer value consistent with every shown
    count, every sum and the label bounds (integer programs solved by HiGHS).

    With `first_failure` (a minimum span), stops at the first cell whose interval is narrower
    and returns what it has. `cache` keeps the answers of unchanged pieces between calls."""
    hidden = [c for c in cube.values if labels.get(c) is not None]
    if not hidden:
        return {}
    index = {c: i for i, c in enumerate(hidden)}
    # Each sum as  total - parts = 0, with shown cells moved to the right-hand side.
    rows, rhs = [], []
    for total, parts in cube.sums:
        coef: dict[int, float] = {}
        known = 0.0
        for cell, sign in [(total, 1.0)] + [(p, -1.0) for p in parts]:
            if cell in index:
                coef[index[cell]] = coef.get(index[cell], 0.0) + sign
            else:
                known -= sign * cube.values[cell]
        coef = {i: a for i, a in coef.items() if a}
        if coef:
            rows.append(coef)
            rhs.append((known, known))
    # Each band as  low <= sum(a * cell) <= high, shown cells moved to both sides.
    for terms, low, high in cube.bands:
        coef, known = {}, 0.0
        for cell, a in terms:
            if cell in index:
                coef[index[cell]] = coef.get(index[cell], 0.0) + a
            else:
                known += a * cube.values[cell]
        coef = {i: a for i, a in coef.items() if a}
        if coef:
            rows.append(coef)
            rhs.append((low - known, high - known))
    # Connected pieces of the hidden cells through the sums: each solved on its own.
    parent = list(range(len(hidden)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for coef in rows:
        first, *rest = coef
        for j in rest:
            parent[find(j)] = find(first)
    pieces: dict[int, list[int]] = {}
    for i in range(len(hidden)):
        pieces.setdefault(find(i), []).append(i)
    equations: dict[int, list[Equation]] = {}
    for coef, b in zip(rows, rhs):
        equations.setdefault(find(next(iter(coef))), []).append((coef, b))
    out = {}
    box = [bounds(labels[c], cube.values[c], min_count) for c in hidden]
    for root, members in sorted(pieces.items(), key=lambda kv: len(kv[1])):
        eqs = equations.get(root, [])
        signature = (
            tuple((hidden[i], labels[hidden[i]]) for i in members),
            tuple((tuple(sorted(c.items())), b) for c, b in eqs),
        )
        if cache is not None and signature in cache:
            found = cache[signature]
        else:
            found = _solve_piece(
                [hidden[i] for i in members],
                [box[i] for i in members],
                members,
                eqs,
                first_failure,
                [cube.values[hidden[i]] for i in members],
            )
            if cache is not None and len(found) == len(members):
                cache[signature] = found
        out.update(found)
        if first_failure is not None and any(hi - lo < first_failure for lo, hi in found.values()):
            return out
    return out


def _solve_piece(
    names: list[str],
    box: list[tuple[float, float]],
    members: list[int],
    eqs: list[Equation],
    first_failure: int | None,
    truths: list[int] | None = None,
) -> dict[str, tuple[int, int]]:
    """The interval of each hidden cell of one piece. With `first_failure` (the audit as a gate,
    and protect()'s search), a cell's interval is only needed as far as the verdict: a cell is
    known to span at least `first_failure` without solving for it when two whole solutions of
    the piece already seen (the true counts, and each optimum the solver found for an earlier
    cell) differ by that much in it, since its interval holds both. The intervals then returned
    for such cells are those seen, narrower than the real ones but as wide as the verdict needs;
    the first cell that fails is solved exactly, as before."""
    if not eqs:
        return {n: (int(lo), int(min(hi, BIG))) for n, (lo, hi) in zip(names, box)}
    local = {i: j for j, i in enumerate(members)}
    out = {}
    # A sum with a single hidden cell gives it away without any solving.
    for coef, (rhs, top) in eqs:
        if len(coef) == 1 and rhs == top:
            ((i, v),) = coef.items()
            out[names[local[i]]] = (int(round(rhs / v)),) * 2
            return out
    rows = [({local[i]: v for i, v in coef.items()}, rhs) for coef, rhs in eqs]
    solver = _model(box, rows)
    # Each cell's lowest and highest value over the whole solutions seen (None before the first).
    low: list[int] | None = None
    high: list[int] | None = None

    def see(point: list[int]) -> None:
        nonlocal low, high
        low = point[:] if low is None else [min(a, b) for a, b in zip(low, point)]
        high = point[:] if high is None else [max(a, b) for a, b in zip(high, point)]

    def wide(j: int) -> bool:
        return first_failure is not None and low is not None and high is not None and high[j] - low[j] >= first_failure

    if first_failure is not None and truths is not None and _solution(truths, box, rows):
        see(list(truths))
    for j, name in enumerate(names):
        if wide(j):
            assert low is not None and high is not None  # wide(j) says so
            out[name] = (low[j], high[j])
            continue
        ends = []
        for sense in (highspy.ObjSense.kMaximize, highspy.ObjSense.kMinimize):
            ends.append(_optimum(solver, j, sense, name))
            if first_failure is not None:
                point = [int(round(x)) for x in solver.getSolution().col_value]
                if _solution(point, box, rows):
                    see(point)
                if wide(j):
                    # Wide enough already: the other end cannot make it narrower.
                    break
        if len(ends) == 1:
            assert low is not None and high is not None  # one end only after wide(j)
            out[name] = (low[j], high[j])
            continue
        out[name] = (ends[1], ends[0])
        if first_failure is not None and ends[0] - ends[1] < first_failure:
            return out
    return out


def _solution(point: list[int], box: list[tuple[float, float]], rows: list[Equation]) -> bool:
    """Whether `point` (whole numbers) is a solution of the piece: within every cell's bounds and
    every sum exact. Checked here, in integers, rather than taken from the solver's tolerances or
    from labels a cache may have forged."""
    return all(lo <= x <= hi for x, (lo, hi) in zip(point, box)) and all(
        low <= sum(v * point[i] for i, v in coef.items()) <= high for coef, (low, high) in rows
    )


def _model(box: list[tuple[float, float]], rows: list[Equation]) -> _Highs:
    """One integer program per piece, its objective changed per cell: the constraints are
    built once. (scipy's ``milp`` wraps the same solver, but rebuilds the model for every call
    and its import costs a report a second.) The binding's core class: the public ``Highs``
    enables callbacks in its constructor, which prints the solver's banner on the report's
    standard output before any option can turn it off (ERGO-Code/HiGHS#2749)."""
    solver = _Highs()
    solver.setOptionValue("output_flag", False)
    n = len(box)
    lower = [float(lo) for lo, _ in box]
    upper = [float(hi) for _, hi in box]
    solver.addVars(n, lower, upper)
    # The binding converts a list, and its stub asks for a NumPy array of uint8 instead.
    solver.changeColsIntegrality(n, list(range(n)), [highspy.HighsVarType.kInteger] * n)  # type: ignore[arg-type]
    for coef, (low, high) in rows:
        index = sorted(coef)
        solver.addRow(float(low), float(high), len(index), index, [float(coef[i]) for i in index])
    return solver


def _optimum(solver: _Highs, j: int, sense: highspy.ObjSense, name: str) -> int:
    n = solver.getNumCol()
    solver.changeColsCost(n, list(range(n)), [1.0 if k == j else 0.0 for k in range(n)])
    solver.changeObjectiveSense(sense)
    solver.run()
    status = solver.getModelStatus()
    if status != highspy.HighsModelStatus.kOptimal:
        raise DisclosureError(f"audit could not solve for {name}: {solver.modelStatusToString(status)}")
    return int(round(solver.getInfo().objective_function_value))


def failures(
    cube: Cube,
    labels: dict[str, str | None],
    min_count: int = MIN_COUNT,
    min_span: int = MIN_SPAN,
    first: bool = False,
    cache: PieceCache | None = None,
) -> dict[str, tuple[int, int]]:
    """Hidden cells the audit finds unprotected, with their interval (with `first`: one at most)."""
    found = intervals(cube, labels, min_count, first_failure=min_span if first else None, cache=cache)
    return {c: iv for c, iv in found.items() if not protected(*iv, min_count=min_count, min_span=min_span)}


def _hide(cube: Cube, labels: dict[str, str | None], cell: str, min_count: int) -> None:
    labels[cell] = PRIMARY if cube.values[cell] < min_count else SECONDARY


# Cubes and labellings whose every hidden cell the integer programs have shown to be protected
# (in this process): by protect()'s last pass or by check().
_PROVEN: set[tuple[object, ...]] = set()


def _signature(cube: Cube, labels: dict[str, str | None], min_count: int, min_span: int) -> tuple[object, ...]:
    return (
        tuple(sorted(cube.values.items())),
        tuple(cube.sums),
        tuple(cube.bands),
        tuple(sorted((c, l or "") for c, l in labels.items())),
        min_count,
        min_span,
    )


def required_labels(cube: Cube, min_count: int = MIN_COUNT, min_denominator: int = 0) -> dict[str, str | None]:
    """The labels the rule fixes before any search: every count under `min_count` "<5", every
    row under `min_denominator` hidden whole with its total marked "<20". protect() starts from
    these and only hides more; a labelling that changes one of them is not protect()'s."""
    labels: dict[str, str | None] = {c: None for c in cube.values}
    for cell, value in cube.values.items():
        if value < min_count:
            labels[cell] = PRIMARY
    for total, cells in cube.rows.items():
        if cube.values[total] < min_denominator:
            labels[total] = small_row_label(min_denominator)
            for cell in cells:
                _hide(cube, labels, cell, min_count)
    return labels


def protect(
    cube: Cube, min_count: int = MIN_COUNT, min_denominator: int = 0, min_span: int = MIN_SPAN
) -> dict[str, str | None]:
    """Labels for every cell of the cube: None (shown), "<5" (0-4), "x" (hidden to protect
    another cell; 5 or more) or "<20" (the total of a row too small to show)."""
    labels = required_labels(cube, min_count, min_denominator)
    totals = cube.totals()
    cache: PieceCache = {}
    for _ in range(len(cube.values) + 1):
        failed = failures(cube, labels, min_count, min_span, first=True, cache=cache)
        if not failed:
            # This last pass solved every piece (or reused an unchanged piece's answer): a proof.
            _PROVEN.add(_signature(cube, labels, min_count, min_span))
            return labels
        cell = min(failed)
        # Candidates: shown cells in a sum with the exposed cell; if there are none, one sum further.
        near = {cell}
        shown: list[str] = []
        while not shown:
            grown = {c for total, parts in cube.sums if near & {total, *parts} for c in (total, *parts)}
            if grown <= near:
                raise DisclosureError(f"cannot protect {cell}: every related cell is hidden already")
            near |= grown
            shown = [c for c in sorted(near) if labels[c] is None]
        # The smallest shown part first; a total only when no part is left.
        pick = min(shown, key=lambda c: (c in totals, cube.values[c], c))
        _hide(cube, labels, pick, min_count)
        if pick in cube.rows:
            # A row whose total is hidden shows no shares either.
            for c in cube.rows[pick]:
                if labels[c] is None:
                    _hide(cube, labels, c, min_count)
    raise DisclosureError("suppression did not converge")


def check(cube: Cube, labels: dict[str, str | None], min_count: int = MIN_COUNT, min_span: int = MIN_SPAN) -> None:
    """The audit as a gate: raises if a label lies or a hidden cell is not protected. A cube
    and labelling already proven in this process (by protect()'s last pass, which solves every
    hidden cell, or an earlier check) is not solved again."""
    signature = _signature(cube, labels, min_count, min_span)
    for cell, label in labels.items():
        if label == PRIMARY and cube.values[cell] >= min_count:
            raise DisclosureError(f"{cell} is labelled {PRIMARY} but is {min_count} or more")
        if label == SECONDARY and cube.values[cell] < min_count:
            raise DisclosureError(f"{cell} is labelled {SECONDARY} but is under {min_count}")
    if signature in _PROVEN:
        return
    failed = failures(cube, labels, min_count, min_span, first=True)
    if failed:
        cell, (lo, hi) = sorted(failed.items())[0]
        raise DisclosureError(
            f"{len(failed)} hidden cell(s) not protected, e.g. {cell}: a reader can narrow it to {lo}-{hi}"
        )
    _PROVEN.add(signature)
