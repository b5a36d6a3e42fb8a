"""Hostile tests: the report's table of counts with an odd but valid groups file.

- the groups counted apart first in sort_order, two of them, one with an HTML tag in its long
  label and a spreadsheet formula in its short label;
- target groups with Danish letters in their names (ØVRIGE, MILITÆR);
- a target group of one tiny member of another name (MILITÆR = VAERN, værnepligt alone), so
  the sum cell g/MILITÆR always equals the tiny g/VAERN;
- a target group of four members where one is tiny (ØVRIGE = FGU + STU + OEVRIGT + ANDET).

An attacker who knows only the groups file solves with scipy over everything published (report
pages' data-cells and chart JSON, the publication set) and must narrow no hidden cell; no label
reaches a page as markup or a workbook as a formula."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import pytest

from overgang.groups import GroupScheme, GroupSchemeError
from tests.test_cube_groups import (
    HEADER,
    SchemeAttacker,
    _data_with,
    _rows,
    _scheme_from_file,
    assert_no_cell_narrowed,
    groups_child,  # noqa: F401  (the module's child that forks a process per groups file)
)

pytestmark = pytest.mark.integration

ODD_GROUPS = HEADER + (
    "TIENDE,10. klasse <b>fed</b>,10. klasse,,false,1\n"
    'HOEJ,<img src=x onerror=alert(1)>,"=HYPERLINK(""http://x.dk"",""klik"")",,false,2\n'
    "GYM,Gymnasiale uddannelser,GYM,GYM,true,3\n"
    "EUD,Erhvervsuddannelser (EUD/EUX),EUD,EUD,true,4\n"
    "FGU,Forberedende grunduddannelse (FGU),FGU,ØVRIGE,true,5\n"
    "STU,Særligt tilrettelagt ungdomsuddannelse (STU),STU,ØVRIGE,true,6\n"
    'OEVRIGT,"Øvrigt (arbejde, udland m.m.)",Øvrigt,ØVRIGE,true,7\n'
    "ANDET,Andet,Andet,ØVRIGE,true,8\n"
    "VAERN,Værnepligt,Værnepligt,MILITÆR,true,9\n"
)
ODD_CODES = {"vaernepligt": "VAERN", "andet": "ANDET", "ungdomshoejskole": "HOEJ"}
# Every counted group in one target group: g/ALLE is the leavers g/n again, and each split row's
# ALLE its n.
ONE_TARGET = HEADER + (
    "EUD,Erhvervsuddannelser,EUD,ALLE,true,1\nGYM,Gymnasiale uddannelser,GYM,ALLE,true,2\n"
    "FGU,FGU,FGU,ALLE,true,3\nSTU,STU,STU,ALLE,true,4\nOEVRIGT,Øvrigt,Øvrigt,ALLE,true,5\n"
    "TIENDE,10. klasse,10. klasse,,false,6\n"
)
# One counted group, its own target: every share 100 %, g/EUD = g/n; the rest counted apart.
ONE_GROUP = HEADER + (
    "EUD,Erhvervsuddannelser,EUD,EUD,true,1\nGYM,Gymnasiale uddannelser,GYM,,false,2\n"
    "FGU,FGU,FGU,,false,3\nSTU,STU,STU,,false,4\nOEVRIGT,Øvrigt,Øvrigt,,false,5\n"
    "TIENDE,10. klasse,10. klasse,,false,6\n"
)
SCHEMES = {"odd": (ODD_GROUPS, ODD_CODES), "one-group": (ONE_GROUP, None)}
REPORTS = [(169, 2025), (169, 2023), (101, 2025), (461, 2024)]


@pytest.fixture(scope="module", params=sorted(SCHEMES))
def odd_run(request, groups_child, tmp_path_factory):  # noqa: F811
    base = tmp_path_factory.mktemp(f"groups_{request.param}")
    groups, codes = SCHEMES[request.param]
    data = _data_with(base, groups, codes)
    done = groups_child(data, "run", base / "home", REPORTS)
    assert done.returncode == 0, done.stderr[-4000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["success"], out["messages"]
    return {**out, "groups": groups}


def test_labels_reach_no_page_as_markup_and_no_workbook_as_a_formula(odd_run):
    for path in odd_run["pages"].values():
        page = Path(path).read_text("utf-8")
        assert "<img src=x" not in page and "<b>fed</b>" not in page
        for book in Path(path).parent.glob("*.xlsx"):
            with zipfile.ZipFile(book) as z:
                xml = "".join(z.read(n).decode("utf-8") for n in z.namelist() if n.endswith(".xml"))
            assert "<f>HYPERLINK" not in xml and "<f>=HYPERLINK" not in xml, book


def test_an_attacker_with_the_odd_groups_file_cannot_narrow_a_hidden_cell(odd_run):
    s = _scheme_from_file(odd_run["groups"])
    k = SchemeAttacker(s)
    k.read_publication(Path(odd_run["publication"]))
    for where, path in odd_run["pages"].items():
        k.read_html(Path(path).read_text("utf-8"), where)
    assert not k.findings, k.findings[:5]
    assert any("/g/" in c or "/t/" in c for c in k.marks), "something is hidden"
    assert_no_cell_narrowed(k, odd_run["warehouse"], s)


def test_groups_without_an_eud_target_group_stop_the_run_naming_file_and_group(groups_child, tmp_path):  # noqa: F811
    """ONE_TARGET passed the scheme's checks, then the council report failed on a published
    warehouse ('Pandas' object has no attribute 'EUD'): the report is built on the EUD share."""
    with pytest.raises(GroupSchemeError, match="EUD"):
        GroupScheme.from_rows(_rows(ONE_TARGET))
    done = groups_child(_data_with(tmp_path, ONE_TARGET), "cli", tmp_path / "home")
    said = done.stdout + done.stderr
    assert done.returncode != 0
    assert "Traceback" not in said, said[-3000:]
    assert "education_groups.csv" in said and re.search(r"\bEUD\b", said), said[-3000:]
    assert not (tmp_path / "home" / "warehouse" / "overgang.duckdb").exists()
    assert not list((tmp_path / "home").rglob("rapport_*.html"))
