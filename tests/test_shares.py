"""application_shares.sql against cases computed by hand (national definition of søgetal)."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from assets.resources import write_table
from assets.sql import read_sql, replace_years
from overgang.settings import DATA_DIR, series_break_year
from schemas.reference import kommuner

# pupil, year, school kommune, residence kommune, grade, applicant group, priority, group
ROWS = [
    ("A", 2024, 169, 259, 9, "direct", 1, "EUD"),
    ("A", 2024, 169, 259, 9, "direct", 2, "GYM"),
    ("B", 2024, 169, 169, 9, "direct", 1, "GYM"),
    ("C", 2024, 169, 169, 9, "direct", 1, "TIENDE"),  # applies to 10th grade: out of the denominator
    ("D", 2024, 169, 169, 10, "direct", 1, "EUD"),
    ("E", 2024, 169, 169, None, "outside", 1, "EUD"),  # 'uden for skole': out
    ("F", 2024, 169, 169, 10, "direct", 1, "OEVRIGT"),  # work, abroad, ...: stays in
    ("G", 2024, 169, 169, 9, "direct", 1, "GYM"),
    ("G", 2024, 169, 169, 9, "direct", 2, "EUD"),  # 2nd priority: not counted
    ("H", 2024, 259, 259, 9, "direct", 1, "EUD"),
    ("I", 2022, 169, 169, 9, "direct", 1, "EUD"),
]


@pytest.fixture
def shares(tmp_path) -> pd.DataFrame:
    con = duckdb.connect(str(tmp_path / "unit.duckdb"))
    write_table(con, "kommuner", kommuner())
    write_table(con, "education_groups", pd.read_csv(DATA_DIR / "config" / "education_groups.csv"))
    apps = pd.DataFrame(
        ROWS,
        columns=[
            "pupil",
            "year",
            "school_kommune",
            "residence_kommune",
            "grade",
            "applicant_group",
            "priority",
            "education_group",
        ],
    )
    apps["grade"] = apps["grade"].astype("Int16")
    write_table(con, "applications", apps)
    # The same call the asset makes, for both years in ROWS.
    replace_years(
        con,
        "application_shares",
        read_sql("applications", "application_shares"),
        [2022, 2024],
        {"series_break": series_break_year()},
    )
    out = con.execute("SELECT * FROM application_shares").df()
    con.close()
    return out


def cell(shares, kommune, grade, group, basis="school", year=2024):
    hit = shares[
        (shares.kommune_code == kommune)
        & (shares.grade == grade)
        & (shares.education_group == group)
        & (shares.geography_basis == basis)
        & (shares.year == year)
    ]
    assert len(hit) == 1, (kommune, grade, group, basis, year)
    return hit.iloc[0]


def test_denominator_excludes_tenth_grade_applicants_and_outside_school(shares):
    # Leavers from schools in 169: A, B, D, F, G (C applies to 10th grade, E is 'uden for skole').
    eud = cell(shares, 169, "9+10", "EUD")
    assert eud.denominator == 5
    assert eud.applicants == 2  # A and D; G's 2nd priority does not count
    assert eud.share_pct == pytest.approx(40.0)
    assert cell(shares, 169, "9+10", "GYM").share_pct == pytest.approx(40.0)  # B, G
    assert cell(shares, 169, "9+10", "OEVRIGT").share_pct == pytest.approx(20.0)  # F


def test_tenth_grade_applicants_counted_without_share(shares):
    tenth = cell(shares, 169, "9+10", "TIENDE")
    assert tenth.applicants == 1
    assert pd.isna(tenth.share_pct)


def test_grades_separately(shares):
    nine = cell(shares, 169, "9", "EUD")
    assert (nine.applicants, nine.denominator) == (1, 3)  # A of A, B, G
    assert nine.share_pct == pytest.approx(100 / 3)
    ten = cell(shares, 169, "10", "EUD")
    assert (ten.applicants, ten.denominator) == (1, 2)  # D of D, F


def test_groups_with_nobody_are_zero_not_missing(shares):
    stu = cell(shares, 169, "9+10", "STU")
    assert stu.applicants == 0 and stu.share_pct == 0


def test_no_summed_national_row_and_residence_basis(shares):
    # Hele landet only from published tables (schemas/national.py): the loaded kommuner added
    # up are not kommune 0 (analyst.application_shares_loaded_sum names that sum).
    assert 0 not in set(shares.kommune_code) and "Hele landet" not in set(shares.kommune_name)
    # By residence A lives in 259: 169 keeps B, D, F, G with one EUD (D).
    assert cell(shares, 169, "9+10", "EUD", "residence").share_pct == pytest.approx(25.0)
    assert cell(shares, 259, "9+10", "EUD", "residence").share_pct == pytest.approx(100.0)


def test_series_version_and_definition_are_stored(shares):
    assert cell(shares, 169, "9+10", "EUD", year=2022).series_version == "before_2023"
    assert cell(shares, 169, "9+10", "EUD").series_version == "from_2023"
    assert set(shares.denominator_definition) == {"leavers_excl_10th_grade_applicants"}
