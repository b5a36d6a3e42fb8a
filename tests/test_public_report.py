"""Issue 15: a council report from public figures alone, as a new user makes it with the README.

Køge's analyst has no Optagelse.dk extract, only what is published: the kommune's web-page table
saved from Excel (groups as rows, years as columns, "16,3%"), a revised version of it, an older
three-way table from the ministry as .xlsx, the council's måltal with a later decision that
replaces part of an earlier one, and a multi-year StatBank export without a header. They are
loaded with `overgang load`, the report is written with `overgang report`, and every figure on
the page is compared with the file it came from.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from openpyxl import Workbook

from tests.cli import overgang

KOEGE = 259
SIDE = "denominator: leavers_excl_10th_grade_applicants\ngeography_basis: school\n"

# The web page as first published in May and as revised in June (2024's EUD and GYM corrected).
WEB = {
    "EUD": ("Erhvervsuddannelser (EUD/EUX)", ["21,4%", "20,2%", "22,0%"]),
    "GYM": ("Gymnasiale uddannelser", ["68,1%", "69,9%", "67,5 %"]),
    "FGU": ("Forberedende uddannelser/FGU", ["4,9%", "4,6%", "4,8 %"]),
    "STU": ("Øvrige ungdomsuddannelser/STU", ["1,3 %", "1,2%", "1,1 %"]),
    "OEVRIGT": ("Øvrigt", ["4,3%", "4,1%", "4,6 %"]),
}
JUNE = {"EUD": "23,0 %", "GYM": "66,5 %"}
THREE_WAY = {2019: (19.6, 70.1, 10.3), 2020: (19.0, 70.8, 10.2), 2021: (20.4, 69.0, 10.6)}
STATUSU6 = [
    ("Fuldført ungdomsuddannelse", "I alt", [3120, 3188, 3251]),
    ("Fuldført ungdomsuddannelse", "Kvinder", [1600, 1630, 1662]),
    ("Igangværende ungdomsuddannelse", "I alt", [700, 690, 702]),
    ("Afbrudt ungdomsuddannelse", "I alt", [380, 371, 366]),
    ("Ingen registreret ungdomsuddannelse", "I alt", [310, 300, 296]),
    ("I alt", "I alt", [4510, 4549, 4615]),
]
MAALTAL = (
    "kommune_code,target_year,target_group,target_pct,value_basis,decided_year,decided_on,decided_by,"
    "stated_growth_pp_per_year,source\n"
    "259,2022,EUD,21,published,2021,2021-04-20,Køge Byråd,,https://www.koege.dk/maaltal-2021\n"
    "259,2023,EUD,22,interpolated,2021,2021-04-20,Køge Byråd,,straight line 2022-2025\n"
    "259,2024,EUD,23,interpolated,2021,2021-04-20,Køge Byråd,,straight line 2022-2025\n"
    "259,2025,EUD,24,published,2021,2021-04-20,Køge Byråd,,https://www.koege.dk/maaltal-2021\n"
    "259,2024,EUD,22.5,published,2023,2023-09-05,Børne- og Ungeudvalget,,https://www.koege.dk/maaltal-2023\n"
    "259,2025,EUD,23.5,published,2023,2023-09-05,Børne- og Ungeudvalget,,https://www.koege.dk/maaltal-2023\n"
)

GOALS = (
    "goal_id,scope,kommune_code,indicator,indicator_kind,target_pct,deadline_year,or_national_average,set_by,"
    "set_year,valid_from_year,valid_to_year,description_da,source\n"
    "koege_95,kommune,259,completed_youth_education,projection,95,,true,Køge Byråd,2019,,,"
    '"95 % af de unge, eller landsgennemsnittet, gennemfører en ungdomsuddannelse",https://www.koege.dk/politik\n'
)


def _web_page(name: str, figures: dict, published: str):
    lines = ["Søgetal for Køge Kommune, 9. og 10. klasse", "", "Uddannelse;2022;2023;2024"]
    lines += [f"{label};{';'.join(values)}" for label, values in figures.values()]
    lines.append("I alt;100,0%;100,0%;100,0 %")
    return (
        name,
        "\r\n".join(lines) + "\r\n",
        SIDE + f"source: https://www.koege.dk/{published}\npublished: {published}\n",
    )


def _files(folder):
    folder.mkdir()
    june = {g: (label, values[:2] + [JUNE.get(g, values[2])]) for g, (label, values) in WEB.items()}
    # The June revision arrives first and the May page after it: the dates decide, not the order.
    pages = [_web_page("koege_juni.csv", june, "2024-06-14"), _web_page("koege_maj.csv", WEB, "2024-05-02")]
    paths = []
    for name, text, side in pages:
        (folder / name).write_bytes(text.encode("cp1252"))
        (folder / name).with_suffix(".yaml").write_text(side, encoding="utf-8")
        paths.append(folder / name)
    book = Workbook()
    sheet = book.active
    sheet.append(["År", "EUD", "GYM", "Øvrige"])
    for year, shares in THREE_WAY.items():
        sheet.append([year, *(s / 100 for s in shares)])
        for cell in sheet[sheet.max_row][1:]:
            cell.number_format = "0.0%"
    book.save(folder / "uvm_soegetal_2019_2021.xlsx")
    (folder / "uvm_soegetal_2019_2021.yaml").write_text(
        SIDE + "area: Køge\nsource: https://www.uvm.dk/soegetal\n", encoding="utf-8"
    )
    paths.append(folder / "uvm_soegetal_2019_2021.xlsx")
    (folder / "maaltal.csv").write_text(MAALTAL, encoding="utf-8")
    paths.append(folder / "maaltal.csv")
    (folder / "maal.csv").write_text(GOALS, encoding="utf-8")
    paths.append(folder / "maal.csv")
    status = "".join(f'"{s}";"{k}";"Køge";' + ";".join(map(str, v)) + "\r\n" for s, k, v in STATUSU6)
    (folder / "statusu6_koege.csv").write_bytes(status.encode("cp1252"))
    (folder / "statusu6_koege.yaml").write_text(
        "table: STATUSU6\ncolumns: [status, køn, area]\nyears: [2022, 2023, 2024]\nfilter: {køn: I alt}\n",
        encoding="utf-8",
    )
    paths.append(folder / "statusu6_koege.csv")
    return paths


class _Tables(HTMLParser):
    """Every table's rows as cell texts, by table id; and the text of every element with an id."""

    def __init__(self):
        super().__init__()
        self.tables, self.ids, self._table, self._row, self._cell, self._open = {}, {}, None, None, None, []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            self._table = self.tables.setdefault(attrs.get("id", f"t{len(self.tables)}"), [])
        elif tag == "tr" and self._table is not None:
            self._row = []
            self._table.append(self._row)
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        if "id" in attrs:
            self._open.append((tag, attrs["id"], []))

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append(re.sub(r"\s+", " ", "".join(self._cell)).strip())
            self._cell = None
        elif tag == "table":
            self._table = None
        if self._open and self._open[-1][0] == tag:
            _, ident, text = self._open.pop()
            self.ids[ident] = re.sub(r"\s+", " ", "".join(text)).strip()

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)
        for _, _, text in self._open:
            text.append(data)


def _page(path):
    parser = _Tables()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def _trend(page, group: str) -> dict[str, dict]:
    """A trend chart's numbers table (År, kommune, Hele landet, Måltal, Kilde) by year."""
    rows = page.tables[f"table-{group.lower()}"][1:]
    return {r[0].split()[0]: dict(zip(("kommune", "national", "target", "source"), r[1:])) for r in rows}


def _pct(text: str) -> str:
    """'22,0%' and '22,0 %' as the report prints them ('22,0 %')."""
    return text.replace(" ", "").replace("%", "") + " %"


@pytest.fixture(scope="module")
def public_home(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("public")
    paths = _files(tmp / "mine")
    done = overgang(tmp, "load", *map(str, paths))
    assert done.returncode == 0, done.stdout + done.stderr
    made = overgang(tmp, "report", "--kommune", str(KOEGE))
    assert made.returncode == 0, made.stdout + made.stderr
    return tmp


def test_the_report_is_written_from_public_figures_alone(public_home):
    page = _page(public_home / "home" / "reports" / f"rapport_{KOEGE}_2024.html")
    text = (public_home / "home" / "reports" / f"rapport_{KOEGE}_2024.html").read_text(encoding="utf-8")
    assert "Syntetiske data" not in text
    assert "kommunens offentliggjorte søgetal" in page.ids["basis-published"]
    # Every year's share equals the file's figure; June's revision wins over May's for 2024.
    trend = {g: _trend(page, g) for g in ("EUD", "GYM", "OEVRIGE")}
    for i, year in enumerate(("2022", "2023", "2024")):
        for group in ("EUD", "GYM"):
            published = JUNE[group] if year == "2024" else WEB[group][1][i]
            assert trend[group][year]["kommune"] == _pct(published), (year, group)
            assert trend[group][year]["source"] == "offentliggjort"
        rest = sum(float(WEB[g][1][i].replace("%", "").replace(",", ".")) for g in ("FGU", "STU", "OEVRIGT"))
        assert trend["OEVRIGE"][year]["kommune"] == f"{rest:.1f} %".replace(".", ","), year
    for year, shares in THREE_WAY.items():
        shown = [trend[g][str(year)]["kommune"] for g in ("EUD", "GYM", "OEVRIGE")]
        assert shown == [f"{v:.1f} %".replace(".", ",") for v in shares], year
    # Måltal: the 2023 decision replaces 2024 and 2025 (decimals kept); 2023 is interpolated and marked.
    eud = trend["EUD"]
    assert [eud[y]["target"] for y in ("2022", "2023", "2024", "2025")] == ["21 %", "22 %*", "22,5 %", "23,5 %"]
    assert "interpoleret" in page.ids["note-interpolated"]
    # The group table of 2024: the five published groups as printed (June where revised).
    groups = {row[0]: row for row in page.tables["table-groups"][1:]}
    shown = {label: row[2] for label, row in groups.items()}
    assert shown["Erhvervsuddannelser (EUD/EUX)"] == "23,0 %"
    assert shown["Forberedende grunduddannelse (FGU)"] == "4,8 %"
    # The EUD card: June's 23,0 % against the 2023 decision's 22,5 %.
    card = page.ids["card-eud_share"] if "card-eud_share" in page.ids else ""
    assert "23,0 %" in card and "22,5 %" in card and "Nået" in card, card


def test_sections_that_need_pupil_level_data_say_so(public_home):
    page = _page(public_home / "home" / "reports" / f"rapport_{KOEGE}_2024.html")
    for note in ("note-grade", "note-sex", "note-school"):
        assert "kræver elevdata" in page.ids[note], note
    assert "table-grades" not in page.tables and "table-schools" not in page.tables


def test_both_publications_and_both_decisions_are_shown_in_the_methods(public_home):
    page = _page(public_home / "home" / "reports" / f"rapport_{KOEGE}_2024.html")
    used = {row[0]: row[-1] for row in page.tables["table-published-sources"][1:]}
    assert used["koege_juni.csv"] == "ja"
    assert used["koege_maj.csv"].startswith("nej"), used  # every figure revised by June's page
    decisions = [row for row in page.tables["table-target-decisions"][1:]]
    assert [d[0] for d in decisions] == ["2021-04-20", "2023-09-05"]
    assert "2024: 23 % (interpoleret) (erstattet)" in decisions[0][3]
    assert "2024: 22,5 %" in decisions[1][3]


def test_statusu6_is_context_with_its_trend_not_the_goal_measure(public_home):
    page = _page(public_home / "home" / "reports" / f"rapport_{KOEGE}_2024.html")
    trend = {row[0]: row[1] for row in page.tables["table-completion-trend"][1:]}
    completed = {2022: 3120, 2023: 3188, 2024: 3251}
    total = {2022: 4510, 2023: 4549, 2024: 4615}
    for year in completed:
        assert trend[str(year)] == f"{100 * completed[year] / total[year]:.1f} %".replace(".", ","), year
    # The 95 % goal is not measured by today's status of 18-25-year-olds: no status, no gap.
    card = page.ids["card-koege_95"]
    assert "Ikke målt endnu" in card and "Afstand" not in card and "Nået" not in card, card


def test_an_earlier_year_from_the_three_way_table(public_home):
    made = overgang(public_home, "report", "--kommune", str(KOEGE), "--year", "2021")
    assert made.returncode == 0, made.stdout + made.stderr
    page = _page(public_home / "home" / "reports" / f"rapport_{KOEGE}_2021.html")
    shares = {year: row["kommune"] for year, row in _trend(page, "EUD").items()}
    # Nothing published after the report's year is shown (next year's måltal may be).
    assert shares["2021"] == "20,4 %" and all(shares.get(str(y), "–") == "–" for y in (2022, 2023, 2024))
    groups = {row[0]: row[2] for row in page.tables["table-groups"][1:]}
    assert groups == {
        "Erhvervsuddannelser (EUD/EUX)": "20,4 %",
        "Gymnasiale uddannelser": "69,0 %",
        "Øvrige (FGU, STU, arbejde m.m.)": "10,6 %",
    }


def test_an_interpolated_maaltal_is_marked_on_the_card(public_home):
    made = overgang(public_home, "report", "--kommune", str(KOEGE), "--year", "2023")
    assert made.returncode == 0, made.stdout + made.stderr
    card = _page(public_home / "home" / "reports" / f"rapport_{KOEGE}_2023.html").ids["card-eud_share"]
    assert "22 % (interpoleret)" in card and "20,2 %" in card and "Ikke nået" in card, card


def test_the_95_percent_goal_is_measured_by_the_profilmodel_once_loaded(public_home):
    profil = public_home / "mine" / "profilmodel_2023.csv"
    profil.write_text(
        "Kommune;Årgang;År efter 9. klasse;Andel med ungdomsuddannelse (%);Profilmodel\r\n"
        "Køge;2023;25;88,4;2023\r\nHele landet;2023;25;89,9;2023\r\n",
        encoding="utf-8",
    )
    done = overgang(public_home, "load", str(profil))
    assert done.returncode == 0, done.stdout + done.stderr
    made = overgang(public_home, "report", "--kommune", str(KOEGE))
    assert made.returncode == 0, made.stdout + made.stderr
    card = _page(public_home / "home" / "reports" / f"rapport_{KOEGE}_2024.html").ids["card-koege_95"]
    assert "88,4 %" in card and "89,9 %" in card and "Profilmodellen 2023" in card, card
    # Below both 95 % and the national projection: not met, and the gap is to the goal.
    assert "Ikke nået" in card and "−6,6 procentpoint" in card, card


def test_the_national_overview_includes_a_kommune_known_only_from_published_figures(public_home):
    made = overgang(public_home, "report", "--all")
    assert made.returncode == 0, made.stdout + made.stderr
    overview = (public_home / "home" / "reports" / "landsoversigt_2024.html").read_text(encoding="utf-8")
    assert f'href="rapport_{KOEGE}_2024.html"' in overview
    assert (public_home / "home" / "reports" / f"rapport_{KOEGE}_2024.html").exists()
    ranking = _page(public_home / "home" / "reports" / "landsoversigt_2024.html").tables["table-kommuner"]
    # The June figure and the 2023 decision's måltal, as Køge's own report shows them.
    assert [[r[0], r[1], r[3], r[5], r[6]] for r in ranking if "Køge" in r] == [
        ["Køge", "Region Sjælland", "23,0 %", "22,5 %", "+0,5 procentpoint"]
    ], ranking


def _koege_extract(path):
    """Køge's 2024 extract: 100 leavers from two schools (EUD 25, GYM 60, FGU 6, STU 5, Øvrigt 4)."""
    from tests.extracts import row, write_extract

    codes = ["eud_gf1"] * 25 + ["stx"] * 60 + ["fgu"] * 6 + ["stu"] * 5 + ["arbejde"] * 4
    rows = [
        row(
            CPR=f"{1 + i % 28:02d}{1 + i % 12:02d}08-{1000 + i:04d}",
            Uddannelse=code,
            **{
                "Skolens institutionsnummer": f"25900{1 + i % 2}",
                "Skolens navn": f"Køge {'Nord' if i % 2 else 'Syd'}skole",
                "Skolens kommunenr": "259",
                "Bopælskommunenr": "259",
                "Klassetrin": "9" if i % 3 else "10",
            },
        )
        for i, code in enumerate(codes)
    ]
    return write_extract(path, rows)


@pytest.mark.integration
def test_with_both_kinds_each_year_says_where_it_comes_from(tmp_path):
    """An extract for 2024 beside the published web page for 2022-2024: 2024 is the extract's
    (protected, with its splits), 2022 and 2023 the page's, and the trend table says which."""
    from tests.conftest import TEST_KEY

    paths = _files(tmp_path / "mine")[:1]  # June's web page: 2022-2024
    extract = _koege_extract(tmp_path / "mine" / "optagelse_2024.csv")
    done = overgang(tmp_path, "load", str(extract), *map(str, paths), OVERGANG_CPR_KEY=TEST_KEY)
    assert done.returncode == 0, done.stdout + done.stderr
    made = overgang(tmp_path, "report", "--kommune", str(KOEGE), OVERGANG_CPR_KEY=TEST_KEY)
    assert made.returncode == 0, made.stdout + made.stderr
    page = _page(tmp_path / "home" / "reports" / f"rapport_{KOEGE}_2024.html")
    eud = _trend(page, "EUD")
    assert (eud["2024"]["kommune"], eud["2024"]["source"]) == ("25,0 %", "udtræk")
    assert (eud["2023"]["kommune"], eud["2023"]["source"]) == ("20,2 %", "offentliggjort")
    assert (eud["2022"]["kommune"], eud["2022"]["source"]) == ("21,4 %", "offentliggjort")
    assert "basis-published" not in page.ids and "table-grades" in page.tables
