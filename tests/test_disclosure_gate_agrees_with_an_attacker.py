"""Attack on the disclosure audit as a gate (overgang/suppression.py `_solve_piece`): a cell is not
solved when two solutions already seen (the true counts, each optimum found) differ by the span
in it. Promise: the gate's verdict is the exact intervals' one, for protect() and check(),
forged labellings included.

The exact intervals here are an independent attacker's (scipy's milp over the whole table at
once, written apart from the audit: no pieces, no shortcut, no cache), on cubes shaped to
trouble the shortcut: two-way tables with row, column and grand totals, equal cells, zero rows,
huge counts, many independent pieces, and labels whose truth is no solution (a "<20" on a large
cell, an "x" over a small one that check() must refuse first). Found holding: no break.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from overgang import suppression
from overgang.suppression import MIN_SPAN, PRIMARY, SECONDARY, Cube, DisclosureError, check, failures, protect
from tests.test_disclosure_solver_agrees_with_scipy import _whole_cube_intervals


def table(values: list[list[int]], prefix: str = "") -> Cube:
    """A two-way table with its row totals, column totals and grand total; each row a 'row'
    (hidden whole under the minimum denominator)."""
    cells = {f"{prefix}r{i}c{j}": v for i, row in enumerate(values) for j, v in enumerate(row)}
    sums, rows = [], {}
    for i, row in enumerate(values):
        total = f"{prefix}R{i}"
        cells[total] = sum(row)
        parts = tuple(f"{prefix}r{i}c{j}" for j in range(len(row)))
        sums.append((total, parts))
        rows[total] = parts
    for j in range(len(values[0])):
        total = f"{prefix}C{j}"
        cells[total] = sum(row[j] for row in values)
        sums.append((total, tuple(f"{prefix}r{i}c{j}" for i in range(len(values)))))
    cells[f"{prefix}T"] = sum(map(sum, values))
    sums.append((f"{prefix}T", tuple(f"{prefix}R{i}" for i in range(len(values)))))
    sums.append((f"{prefix}T", tuple(f"{prefix}C{j}" for j in range(len(values[0])))))
    return Cube(cells, sums, rows)


def _merge(cubes: list[Cube]) -> Cube:
    return Cube(
        {k: v for c in cubes for k, v in c.values.items()},
        [s for c in cubes for s in c.sums],
        {k: v for c in cubes for k, v in c.rows.items()},
    )


count = st.one_of(
    st.integers(0, 6),
    st.integers(0, 30),
    st.sampled_from([0, 5, 5, 5, 7]),  # equal cells: many optima, many equal points
    st.integers(10**5, 10**6),  # huge counts, still under the model's BIG
)


@st.composite
def tables(draw):
    n_rows, n_cols = draw(st.integers(2, 4)), draw(st.integers(2, 4))
    same = draw(st.booleans())
    base = draw(count)
    values = [[base if same else draw(count) for _ in range(n_cols)] for _ in range(n_rows)]
    if draw(st.booleans()):
        values[draw(st.integers(0, n_rows - 1))] = [0] * n_cols  # a zero row
    return values


@st.composite
def labelled(draw):
    pieces = [table(draw(tables()), prefix=f"p{k}") for k in range(draw(st.integers(1, 3)))]
    cube = _merge(pieces)
    min_denominator = draw(st.sampled_from([0, 20]))
    try:
        labels = protect(cube, min_denominator=min_denominator)
    except DisclosureError:
        labels = {c: None for c in cube.values}
    cells = sorted(cube.values)
    how = draw(st.sampled_from(["protected", "one shown again", "forged", "forged"]))
    hidden = [c for c in cells if labels[c] is not None]
    if how == "one shown again" and hidden:
        labels = {**labels, draw(st.sampled_from(hidden)): None}
    elif how == "forged":
        labels = dict(labels)
        for cell in draw(st.lists(st.sampled_from(cells), min_size=1, max_size=8, unique=True)):
            labels[cell] = draw(st.sampled_from([None, PRIMARY, SECONDARY, SECONDARY, "<20"]))
    return cube, labels, how


@pytest.mark.hostile
@settings(deadline=None, max_examples=120, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(labelled())
def test_the_gate_agrees_with_an_independent_attacker(case):
    cube, labels, how = case
    suppression._PROVEN.clear()  # a labelling proven by protect() above would skip the gate
    exact = _whole_cube_intervals(cube, labels)
    lies = any(
        (label == PRIMARY and cube.values[c] >= 5) or (label == SECONDARY and cube.values[c] < 5)
        for c, label in labels.items()
    )
    if exact is None:
        # No counts fit what would be published: the gate may not pass it.
        with pytest.raises(DisclosureError):
            check(cube, labels)
        return
    unprotected = {c for c, (lo, hi) in exact.items() if hi - lo < MIN_SPAN}
    gate = failures(cube, labels, first=True)
    assert bool(gate) == bool(unprotected), (how, gate, {c: exact[c] for c in unprotected})
    for cell, interval in gate.items():
        assert interval == exact[cell], (cell, interval, exact[cell])
    if lies or unprotected:
        with pytest.raises(DisclosureError):
            check(cube, labels)
    else:
        check(cube, labels)


@pytest.mark.hostile
@settings(deadline=None, max_examples=60, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(tables(), min_size=1, max_size=4), st.sampled_from([0, 20]))
def test_protect_leaves_no_cell_the_attacker_can_narrow(values, min_denominator):
    cube = _merge([table(v, prefix=f"p{k}") for k, v in enumerate(values)])
    try:
        labels = protect(cube, min_denominator=min_denominator)
    except DisclosureError:
        return
    exact = _whole_cube_intervals(cube, labels)
    assert exact is not None
    assert not {c: iv for c, iv in exact.items() if iv[1] - iv[0] < MIN_SPAN}


def test_equal_cells_and_a_zero_row_a_reader_can_pin():
    # Hand-made: a 2x2 table of 5s beside a zero row, one "x" shown again; the shortcut's points
    # (all optima equal) must not make the gate pass what the attacker pins down.
    cube = table([[5, 5], [5, 5], [0, 0]])
    labels = {c: None for c in cube.values}
    labels |= {"r2c0": PRIMARY, "r2c1": PRIMARY, "r0c0": SECONDARY, "r0c1": SECONDARY}
    exact = _whole_cube_intervals(cube, labels)
    unprotected = {c for c, (lo, hi) in exact.items() if hi - lo < MIN_SPAN}
    assert unprotected  # the zero row's total is shown: both its cells are pinned at 0
    assert failures(cube, labels, first=True)
    with pytest.raises(DisclosureError):
        check(cube, labels)
