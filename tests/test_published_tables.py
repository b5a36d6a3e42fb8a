"""Published søgetal tables as municipalities write them: groups as rows or columns, years as
rows or columns, "16,3%" and "1,4 %", three-way and five-way group sets, EUD-only tables, the
area in a title or the description, CSV from Danish Excel (Windows-1252, ';') and .xlsx.
Every figure read must equal the figure in the file."""

from __future__ import annotations

import duckdb
import pytest
from openpyxl import Workbook

from intake.published.reader import read_published
from intake.sources.tables import FileRejected
from tests.cli import overgang

SIDE = "denominator: leavers_excl_10th_grade_applicants\ngeography_basis: school\nsource: https://www.htk.dk/soegetal\n"

# As printed on a municipal web page and saved from Excel: a title naming the kommune, a blank
# line, groups as rows (the municipality's own labels), years as columns, "%" in the cells.
WEB_PAGE = (
    "Søgetal for Høje-Taastrup Kommune, 9. og 10. klasse\r\n"
    "\r\n"
    "Uddannelse;2022;2023;2024\r\n"
    "Erhvervsuddannelser (EUD/EUX);17,2%;16,1%;23,7 %\r\n"
    "Gymnasiale uddannelser;72,0%;73,5%;66,1 %\r\n"
    "Forberedende uddannelser/FGU;5,1%;4,9%;4,8 %\r\n"
    "Øvrige ungdomsuddannelser/STU;1,4 %;1,2%;1,0 %\r\n"
    "Øvrigt;4,3%;4,3%;4,4 %\r\n"
    "I alt;100,0%;100,0%;100,0 %\r\n"
)
WEB_FIGURES = {
    (2022, "EUD"): 17.2,
    (2023, "EUD"): 16.1,
    (2024, "EUD"): 23.7,
    (2022, "GYM"): 72.0,
    (2023, "GYM"): 73.5,
    (2024, "GYM"): 66.1,
    (2022, "FGU"): 5.1,
    (2023, "FGU"): 4.9,
    (2024, "FGU"): 4.8,
    (2022, "STU"): 1.4,
    (2023, "STU"): 1.2,
    (2024, "STU"): 1.0,
    (2022, "OEVRIGT"): 4.3,
    (2023, "OEVRIGT"): 4.3,
    (2024, "OEVRIGT"): 4.4,
}


def _write(folder, name: str, text: str, side: str | None = SIDE, encoding: str = "cp1252"):
    path = folder / name
    path.write_bytes(text.encode(encoding))
    if side is not None:
        path.with_suffix(".yaml").write_text(side, encoding="utf-8")
    return path


def _figures(frame) -> dict:
    return {(int(r.year), r.education_group): r.share_pct for r in frame.itertuples()}


def test_municipal_web_page_table_groups_by_years(tmp_path):
    frame, failures = read_published(_write(tmp_path, "soegetal_htk.csv", WEB_PAGE), 0.2)
    assert failures == []
    assert _figures(frame) == WEB_FIGURES
    assert set(frame.kommune_code) == {169} and set(frame.grade) == {"9+10"}
    assert set(frame.group_sum_pct) == {100.0}
    # File lines: the title is line 1, the blank line 2, the header 3; EUD's row is line 4.
    assert frame.set_index(["year", "education_group"]).loc[(2024, "EUD"), "source_line"] == 4


def test_same_table_as_xlsx_with_the_area_in_its_description(tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["Uddannelse", 2023, 2024])
    sheet.append(["Erhvervsuddannelser", "16,1%", "23,7%"])
    sheet.append(["Gymnasiale uddannelser", 0.735, 0.661])  # a percentage cell in Excel is stored as a fraction
    sheet.append(["Øvrige", "10,4%", "10,2%"])
    path = tmp_path / "soegetal.xlsx"
    book.save(path)
    path.with_suffix(".yaml").write_text(SIDE + "area: Køge\nunit: pct\n", encoding="utf-8")
    frame, failures = read_published(path, 0.2)
    # 0,735 is not a percentage between 0 and 100 read as written: held back by the range rule.
    assert {(f.rule, f.source_line) for f in failures} >= {("shares_sum_to_100", 2)}
    assert set(frame.kommune_code) <= {259}


def test_three_way_table_keeps_its_own_other_group(tmp_path):
    text = "Kommune;År;EUD;GYM;Øvrige\r\n169;2024;23,7%;70,1%;6,2%\r\n"
    frame, failures = read_published(_write(tmp_path, "tre.csv", text), 0.2)
    assert failures == []
    assert _figures(frame) == {(2024, "EUD"): 23.7, (2024, "GYM"): 70.1, (2024, "OEVRIGE"): 6.2}


def test_five_way_table_writes_its_rest_as_oevrigt(tmp_path):
    text = (
        "Kommune;År;EUD;GYM;Forberedende uddannelser/FGU;Øvrige ungdomsuddannelser/STU;Øvrige\r\n"
        "Høje-Taastrup;2024;23,7;66,1;4,8;1,0;4,4\r\n"
    )
    frame, failures = read_published(_write(tmp_path, "fem.csv", text, SIDE + "unit: pct\n"), 0.2)
    assert failures == []
    assert _figures(frame) == {
        (2024, "EUD"): 23.7,
        (2024, "GYM"): 66.1,
        (2024, "FGU"): 4.8,
        (2024, "STU"): 1.0,
        (2024, "OEVRIGT"): 4.4,
    }


def test_eud_only_table_has_nothing_to_add_up(tmp_path):
    text = "Søgning til erhvervsuddannelse, Køge Kommune\r\nUddannelse;2021;2022\r\nEUD;18,0%;19,5%\r\n"
    frame, failures = read_published(_write(tmp_path, "eud.csv", text), 0.2)
    assert failures == []
    assert _figures(frame) == {(2021, "EUD"): 18.0, (2022, "EUD"): 19.5} and set(frame.kommune_code) == {259}


def test_a_rounded_table_keeps_rows_that_do_not_add_up_with_their_sum(tmp_path):
    text = "Kommune;År;EUD;GYM;Øvrige\r\n169;2024;23,7%;70,1%;3,2%\r\n"
    strict, failures = read_published(_write(tmp_path, "a.csv", text), 0.2)
    assert strict.empty and {f.rule for f in failures} == {"shares_sum_to_100"}
    kept, failures = read_published(_write(tmp_path, "b.csv", text, SIDE + "rounded: true\n"), 0.2)
    assert failures == [] and len(kept) == 3 and set(kept.group_sum_pct) == {97.0}


@pytest.mark.parametrize(
    "text, says",
    [
        ("Kommune;År;EUD;GYM;Produktionsskole\r\n169;2024;20%;70%;10%\r\n", "the heading of column 5"),
        ("Søgetal 2024\r\nUddannelse;2024\r\nEUD;20%\r\nGYM;70%\r\nHøjskole;10%\r\n", "the row label on line 5"),
        ("Søgetal for Køge og Greve\r\nUddannelse;2024\r\nEUD;20%\r\n", "names no area"),
        ("Uddannelse;2024\r\nEUD;20\r\n", "unit: pct"),
    ],
)
def test_what_cannot_be_read_is_said_not_skipped(tmp_path, text, says):
    with pytest.raises(FileRejected) as err:
        read_published(_write(tmp_path, "t.csv", text, SIDE + "area: 169\n" if "Køge og" not in text else SIDE), 0.2)
    assert says in str(err.value)


@pytest.mark.integration
def test_a_new_user_loads_a_web_page_table_and_finds_its_figures(tmp_path):
    """As the README says: drop the table and its description in the inbox (or `overgang load`)."""
    (tmp_path / "mine").mkdir()
    path = _write(tmp_path / "mine", "soegetal_htk.csv", WEB_PAGE)
    done = overgang(tmp_path, "load", str(path))
    assert "accepted" in done.stderr + done.stdout, done.stderr[-2000:]
    with duckdb.connect(str(tmp_path / "home" / "warehouse" / "overgang.duckdb"), read_only=True) as con:
        rows = con.execute(
            "SELECT year, education_group, share_pct FROM analyst.published_application_shares "
            "WHERE kommune_code = 169 AND source_file = 'soegetal_htk.csv'"
        ).fetchall()
    assert {(y, g): v for y, g, v in rows} == WEB_FIGURES
