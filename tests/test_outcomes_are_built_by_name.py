"""What happened to a file taken in (assets/inbox/receive.py: Outcome) is built by a constructor
named for it: `Outcome.rejected(name, message)`, not seven positional values of which three are
None. A field given in the wrong place (a message as the path it was stored as) cannot then pass
unnoticed, and what each outcome carries is stated once."""

from __future__ import annotations

import ast
from pathlib import Path

from intake.inbox.receive import Outcome
from overgang.settings import PROJECT_DIR

CODE = ("overgang", "schemas", "reports", "assets", "pipelines")


def test_each_outcome_has_a_constructor_that_fills_what_it_carries():
    stored = Path("/inbox/rejected/a.csv")
    assert Outcome.rejected("a.csv", "why") == Outcome("a.csv", "rejected", None, None, None, "why", "")
    assert Outcome.rejected("a.csv", "why", stored_as=stored, sha256="f0", kind="applications", year=2024) == (
        Outcome("a.csv", "rejected", "applications", 2024, stored, "why", "f0")
    )
    assert Outcome.accepted("a.csv", "goals", None, stored, "goals", "f0") == (
        Outcome("a.csv", "accepted", "goals", None, stored, "goals", "f0")
    )
    assert Outcome.duplicate("a.csv", stored, "already loaded", "f0") == (
        Outcome("a.csv", "duplicate", None, None, stored, "already loaded", "f0")
    )
    assert Outcome.waiting("a.csv", "still written", "f0") == (
        Outcome("a.csv", "waiting", None, None, None, "still written", "f0")
    )
    assert Outcome.loaded("a.csv", 2024, stored, "published", "f0") == (
        Outcome("a.csv", "loaded", "applications", 2024, stored, "published", "f0")
    )
    assert Outcome.failed("a.csv", 2024, stored, "its run failed", "f0") == (
        Outcome("a.csv", "failed", "applications", 2024, stored, "its run failed", "f0")
    )


def test_no_outcome_is_built_by_position_outside_its_class():
    found = []
    for package in CODE:
        for path in sorted((PROJECT_DIR / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            found += [
                f"{path.relative_to(PROJECT_DIR)}:{node.lineno}"
                for node in ast.walk(tree)
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "Outcome"
            ]
    assert not found, "Outcome(...) built by position; use a named constructor: " + ", ".join(found)
