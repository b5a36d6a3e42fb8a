"""SQL longer than a few lines is a file of its own, ``sql/<name>.sql`` beside the module that runs
it, read through read_sql and filled by fill() (issue 29, item 7): there sqlfluff lints it (make
lint), a reader finds the query by its name, and the Python around it stays about what it does
with the result. A string of five lines or more that starts like a query, anywhere in the code
that runs the pipeline, the intake or the reports, fails here with its place."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("pipelines", "assets", "intake", "reports")
QUERY = re.compile(r"\s*\(?\s*(?:SELECT|WITH|INSERT|DELETE|CREATE|UPDATE|DESCRIBE|COPY|COMMENT|FROM)\b", re.IGNORECASE)
MOST_LINES = 4


def inline_queries(text: str, name: str) -> list[str]:
    """The string constants of the Python `text` that start like a query and span more than
    MOST_LINES lines, each as name:line."""
    found = []
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and QUERY.match(node.value):
            lines = (node.end_lineno or node.lineno) - node.lineno + 1
            if lines > MOST_LINES:
                found.append(f"{name}:{node.lineno} ({lines} lines)")
    return found


def test_no_query_of_more_than_a_few_lines_inline_in_python():
    found = [
        place
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        for place in inline_queries(path.read_text(encoding="utf-8"), path.relative_to(ROOT).as_posix())
    ]
    assert not found, f"SQL of more than {MOST_LINES} lines in Python (move it to a sql/<name>.sql file): {found}"


def test_the_scan_sees_a_long_query():
    """The scan itself: a query written over five lines, the usual way, is found; four are not."""
    five = 'Q = """SELECT a,\n  b,\n  c\nFROM t\nWHERE a > 1"""\n'
    assert inline_queries(five, "x.py") == ["x.py:1 (5 lines)"]
    assert inline_queries(five.replace("\nWHERE a > 1", ""), "x.py") == []
