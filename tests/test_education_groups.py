"""The education groups come from data/config/education_groups.csv, not from lists in the code:
a new group is one row there (with its Danish labels), and it reaches the schema check and the
søgetal SQL's group list. Checked on a temp copy of the file, without a Dagster run."""

from __future__ import annotations

import shutil

import duckdb
import pandas as pd
import pandera.pandas as pa
import pytest

from assets.resources import write_table
from assets.sql import read_sql, replace_years
from overgang.settings import series_break_year
from schemas import reference
from schemas.published import published_application_shares_schema
from schemas.reference import (
    GROUPS_FILE,
    education_codes_schema_for,
    group_codes,
    read_groups,
    target_groups,
    targets_schema_for,
)

TOY = "TOY,Toy-uddannelse,Toy,OEVRIGE,true,7\n"


@pytest.fixture
def groups_with_toy(tmp_path):
    path = tmp_path / "education_groups.csv"
    shutil.copy(GROUPS_FILE, path)
    with path.open("a", encoding="utf-8") as f:
        f.write(TOY)
    return path


def test_the_shipped_file_gives_the_lists_and_rule_texts_the_code_had():
    # The rule names and messages an analyst sees are the ones the lists in the code gave.
    assert reference.GROUPS == ["EUD", "GYM", "FGU", "STU", "OEVRIGT", "TIENDE"]
    assert reference.TARGET_GROUPS == ["EUD", "GYM", "OEVRIGE"]
    group = reference.education_codes_schema.columns["group"]
    assert [c.error for c in group.checks] == ["isin(['EUD', 'GYM', 'FGU', 'STU', 'OEVRIGT', 'TIENDE'])"]
    assert group.description == "Group used for søgetal: EUD, GYM, FGU, STU, OEVRIGT or TIENDE (10. klasse)."
    level = reference.targets_schema.columns["target_group"]
    assert [c.error for c in level.checks] == ["isin(['EUD', 'GYM', 'OEVRIGE'])"]
    assert level.description == "Måltal level: EUD, GYM or OEVRIGE."
    known = published_application_shares_schema().columns["education_group"].checks[0]
    assert known.statistics["allowed_values"] == ["EUD", "GYM", "FGU", "STU", "OEVRIGT", "OEVRIGE"]


def test_a_new_group_is_one_row_and_reaches_the_schema_check(groups_with_toy):
    rows = read_groups(groups_with_toy)
    assert group_codes(rows)[-1] == "TOY" and target_groups(rows) == ["EUD", "GYM", "OEVRIGE"]
    codes = pd.DataFrame(
        {
            "code": ["toy_code"],
            "label_da": ["Toy"],
            "group": ["TOY"],
            "valid_from_year": [None],
            "valid_to_year": [None],
        }
    )
    education_codes_schema_for(rows).validate(codes)  # the new group is allowed
    with pytest.raises(pa.errors.SchemaError, match=r"isin\(\['EUD', 'GYM', 'FGU', 'STU', 'OEVRIGT', 'TIENDE'\]\)"):
        reference.education_codes_schema.validate(codes)  # the shipped file does not know it
    assert "TOY" not in str(targets_schema_for(rows).columns["target_group"].checks)


def test_a_new_group_reaches_the_soegetal(groups_with_toy, tmp_path):
    con = duckdb.connect(str(tmp_path / "unit.duckdb"))
    write_table(con, "kommuner", reference.kommuner())
    write_table(con, "education_groups", pd.read_csv(groups_with_toy))
    apps = pd.DataFrame(
        [(2024, 169, 169, 9, "direct", 1, g) for g in ("EUD", "GYM", "TOY", "TOY")],
        columns=[
            "year",
            "school_kommune",
            "residence_kommune",
            "grade",
            "applicant_group",
            "priority",
            "education_group",
        ],
    )
    write_table(con, "applications", apps)
    replace_years(
        con,
        "application_shares",
        read_sql("applications", "application_shares"),
        [2024],
        {"series_break": series_break_year()},
    )
    shares = con.execute(
        "SELECT education_group, applicants, denominator, share_pct FROM application_shares "
        "WHERE kommune_code = 169 AND grade = '9+10' AND geography_basis = 'school' ORDER BY education_group"
    ).fetchall()
    assert ("TOY", 2, 4, 50.0) in shares
    assert [g for g, *_ in shares] == sorted(group_codes(read_groups(groups_with_toy)))


def test_a_broken_groups_file_is_refused_with_its_name(tmp_path):
    path = tmp_path / "education_groups.csv"
    path.write_text("group,label_da\nEUD,Erhvervsuddannelser\n", encoding="utf-8")
    with pytest.raises(ValueError, match="education_groups.csv: expected one row per education group"):
        read_groups(path)


def test_a_new_counted_group_is_a_cell_of_the_cube_and_its_target_groups_sum(groups_with_toy):
    """The toy group counts in the søgetal: the report's table of counts (reports/cells.py) holds
    it as a cell of its own, inside the leavers and inside the sum of its target group OEVRIGE.
    (Before, such a group stopped report and publication: `groups_not_in_the_cube`.) A real run
    with a new group is in tests/test_cube_groups.py."""
    from reports.cells import build_cube, read_scheme

    con = duckdb.connect()
    write_table(con, "education_groups", pd.read_csv(groups_with_toy))
    scheme = read_scheme(con)
    assert scheme.detail == ("EUD", "GYM", "FGU", "STU", "OEVRIGT", "TOY")
    assert scheme.sums == (("OEVRIGE", ("FGU", "STU", "OEVRIGT", "TOY")),)
    cube = build_cube(
        {"EUD": 9, "GYM": 8, "FGU": 7, "STU": 6, "OEVRIGT": 5, "TOY": 4, "TIENDE": 3}, {}, {}, {}, (), scheme
    )
    assert cube.values["g/n"] == 39 and cube.values["g/OEVRIGE"] == 22 and cube.values["t/TIENDE"] == 3
    assert ("g/OEVRIGE", ("g/FGU", "g/STU", "g/OEVRIGT", "g/TOY")) in cube.sums
    shipped = duckdb.connect()
    write_table(shipped, "education_groups", pd.read_csv(GROUPS_FILE))
    assert read_scheme(shipped).sums == (("OEVRIGE", ("FGU", "STU", "OEVRIGT")),)
