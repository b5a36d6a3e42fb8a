"""The audit as a gate (suppression.failures with first=True, as check(), protect() and the national
job's audit over published sets call it) may start from the cube's counts as one solution it has
seen, to skip solving cells already known to be wide. It must not when those counts contradict
the labels: the national audit has no true counts for hidden cells (it fills them in), and a forged
protection cache brings labels of another table. Seen "solutions" outside what a reader knows
would make a pinned cell look wide. Hand-derived case, no solver needed to see the answer."""

from __future__ import annotations

from overgang.suppression import PRIMARY, SECONDARY, Cube, failures, intervals

# T = a + b with T = 6 shown, a labelled "<5" (0-4) and b "x" (5 or more): b = 6 - a >= 5 gives
# a in {0, 1} and b in {5, 6}, two possible values each. The counts below (a = 5, b = 1) fit the
# sum but neither label: taken as a solution beside the solver's (a = 1, b = 5) they would make
# both cells look 4 wide, "protected".
CUBE = Cube(values={"T": 6, "a": 5, "b": 1}, sums=[("T", ("a", "b"))])
LABELS = {"T": None, "a": PRIMARY, "b": SECONDARY}


def test_the_exact_intervals_are_two_values_wide():
    assert intervals(CUBE, LABELS) == {"a": (0, 1), "b": (5, 6)}


def test_the_gate_finds_the_cell_a_reader_narrows_to_two_values():
    failed = failures(CUBE, LABELS, first=True)
    assert failed, "the gate took counts outside the labels for a solution and passed a cell a reader pins to 2 values"
    ((cell, (low, high)),) = failed.items()
    assert (cell, high - low) in {("a", 1), ("b", 1)}, failed
