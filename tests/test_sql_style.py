"""One way to fill SQL (docs/architecture.md, "How SQL is filled"): values are DuckDB $parameters,
structure goes into ${name} slots through schemas.sqltext.fill. The scans below keep the older
ways (str.format with {{ }} escapes, .replace of a placeholder, SQL in f-strings) from coming back."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from schemas.sqltext import SQL, fill, ident, idents, param

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sorted(p for d in ("assets", "intake", "schemas", "reports") for p in (ROOT / d).rglob("*.py"))
SQL_FILES = sorted(p for d in ("assets", "intake", "reports") for p in (ROOT / d).rglob("*.sql"))
# Files still building SQL in f-strings, named so that none is added unseen: none left.
NOT_YET: set[str] = set()
SQL_START = r"(?:SELECT|WITH|INSERT|DELETE|CREATE|UPDATE|DESCRIBE|COPY|COMMENT)\b"
F_STRING_SQL = re.compile(rf"\bf(?:\"\"\"|\"|')\s*\(?\s*{SQL_START}")


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def test_no_sql_in_f_strings():
    found = [
        f"{_rel(p)}:{i}"
        for p in PYTHON
        if _rel(p) not in NOT_YET
        for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if F_STRING_SQL.search(line)
    ]
    assert not found, f"SQL built in an f-string (use fill() and $parameters): {found}"


def test_no_format_or_replace_on_sql_text():
    pattern = re.compile(r"read_sql\([^)]*\)\s*\.\s*(?:format|replace)\(|\.replace\(\s*[\"']\{|\.replace\(\s*[\"']\$")
    found = [
        f"{_rel(p)}:{i}"
        for p in PYTHON
        for i, line in enumerate(p.read_text("utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert not found, f"SQL text filled by .format/.replace (use fill()): {found}"


def test_sql_files_use_only_slots_and_parameters():
    for path in SQL_FILES:
        text = path.read_text(encoding="utf-8")
        assert "{{" not in text, f"{_rel(path)}: a str.format escape"
        bare = re.findall(r"(?<![\$\]0-9,])\{[a-z_]+\}", text)
        assert not bare, f"{_rel(path)}: a str.format slot {bare}; write ${{name}}"


def test_fill_takes_structure_only():
    assert fill("SELECT ${cols} FROM ${t} WHERE year = $year", cols=idents(["a", 'b"c']), t=ident("x")) == (
        'SELECT "a", "b""c" FROM "x" WHERE year = $year'
    )
    with pytest.raises(TypeError, match="not a value"):
        fill("SELECT * FROM ${t}", t="x; DROP TABLE y")
    with pytest.raises(KeyError, match="not filled"):
        fill("SELECT ${a}, ${b}", a=SQL("1"))
    with pytest.raises(KeyError, match="not in the template"):
        fill("SELECT 1", a=SQL("1"))
    with pytest.raises(ValueError):
        param("x; --")


def test_a_value_stays_a_value():
    con = duckdb.connect()
    con.execute(fill("CREATE TABLE ${t} (${c} VARCHAR)", t=ident("odd name"), c=ident('we"ird')))
    sneaky = '\'); DROP TABLE "odd name"; --'
    con.execute(fill("INSERT INTO ${t} VALUES ($v)", t=ident("odd name")), {"v": sneaky})
    assert con.execute(fill("SELECT ${c} FROM ${t}", c=ident('we"ird'), t=ident("odd name"))).fetchall() == [(sneaky,)]


def test_no_slot_inside_a_comment():
    # A slot in a `--` comment is filled too; a name with a line break in it (an identifier may
    # hold one) would end the comment there and the rest of it would run as SQL.
    found = [
        f"{_rel(p)}:{i}"
        for p in SQL_FILES
        for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if "--" in line and "${" in line.split("--", 1)[1]
    ]
    assert not found, f"a ${{slot}} inside an SQL comment: {found}"
