"""Issue 15, second hostile round: a council report from published figures alone, attacked.

Each test's docstring says what went wrong and which promise of issue 15 it breaks. One shared
home (`mixed_home`) is loaded once with tables of several definitions and kinds, as a real
analyst's folder looks after a while: Køge's ministry table for 2024 beside an older residence
table, an old three-way table revised by a five-way one, a peer and a national table on other
denominators, a count table for Greve, måltal with two-decimal interpolated values, a small
STATUSU6 and a profilmodel; then `overgang report --all` writes every report and the overview.
"""

from __future__ import annotations

import pytest
from openpyxl import load_workbook

from tests.cli import overgang
from tests.test_public_report import _page

# Every test here loads files through the CLI, which starts Dagster runs.
pytestmark = pytest.mark.integration

KOEGE, STEVNS, GREVE = 259, 336, 253
MINISTRY = "denominator: leavers_excl_10th_grade_applicants\n"


def _write(folder, name, text, side):
    (folder / name).write_bytes(text.encode("cp1252"))
    (folder / name).with_suffix(".yaml").write_text(side, encoding="utf-8")
    return folder / name


def _groups_by_years(title, years, rows):
    lines = [title, "", "Uddannelse;" + ";".join(map(str, years))]
    lines += [f"{label};{';'.join(values)}" for label, values in rows]
    return "\r\n".join(lines) + "\r\n"


# Køge 2024, the ministry's definition (school geography): the report year.
KOEGE_2024 = [
    ("Erhvervsuddannelser (EUD/EUX)", ["23,0%"]),
    ("Gymnasiale uddannelser", ["66,5%"]),
    ("Forberedende uddannelser/FGU", ["4,8%"]),
    ("Øvrige ungdomsuddannelser/STU", ["1,1%"]),
    ("Øvrigt", ["4,6%"]),
]
# Køge 2022-2023 only as the kommune published them by residence (bopæl): another geography.
KOEGE_RESIDENCE = [
    ("Erhvervsuddannelser (EUD/EUX)", ["18,2%", "17,9%"]),
    ("Gymnasiale uddannelser", ["71,3%", "72,0%"]),
    ("Forberedende uddannelser/FGU", ["5,0%", "4,7%"]),
    ("Øvrige ungdomsuddannelser/STU", ["1,2%", "1,1%"]),
    ("Øvrigt", ["4,3%", "4,3%"]),
]
# Køge 2021: the ministry's three-way table of 2021, and its five-way revision published in 2022.
THREE_WAY_2021 = [("Erhvervsuddannelser", ["20,4%"]), ("Gymnasiale uddannelser", ["69,0%"]), ("Øvrige", ["10,6%"])]
FIVE_WAY_2021 = [
    ("Erhvervsuddannelser", ["21,0%"]),
    ("Gymnasiale uddannelser", ["67,5%"]),
    ("FGU", ["6,0%"]),
    ("STU", ["1,5%"]),
    ("Øvrigt", ["4,0%"]),
]
# Stevns (a configured peer) only as published on another denominator.
STEVNS_2024 = [
    ("EUD", ["26,1%"]),
    ("GYM", ["64,0%"]),
    ("FGU", ["5,0%"]),
    ("STU", ["1,4%"]),
    ("Øvrigt", ["3,5%"]),
]
# The whole country, on all applicants (10th-grade applicants in the denominator): not the ministry's.
NATIONAL_2024 = [
    ("EUD", ["17,0%"]),
    ("GYM", ["60,0%"]),
    ("FGU", ["3,0%"]),
    ("STU", ["1,0%"]),
    ("Øvrigt", ["19,0%"]),
]
# Greve 2024 as a table of counts (antal): 50 EUD of 250 leavers = 20,0 %.
GREVE_COUNTS = [("EUD", ["50"]), ("GYM", ["170"]), ("FGU", ["15"]), ("STU", ["5"]), ("Øvrigt", ["10"])]

MAALTAL = (
    "kommune_code,target_year,target_group,target_pct,value_basis,decided_year,decided_on,decided_by,"
    "stated_growth_pp_per_year,source\n"
    "259,2021,EUD,21,published,2020,2020-04-20,Køge Byråd,,https://www.koege.dk/maaltal-2020\n"
    "259,2022,EUD,22.33,interpolated,2020,2020-04-20,Køge Byråd,,straight line 2021-2024\n"
    "259,2023,EUD,23.67,interpolated,2020,2020-04-20,Køge Byråd,,straight line 2021-2024\n"
    "259,2024,EUD,25,published,2020,2020-04-20,Køge Byråd,,https://www.koege.dk/maaltal-2020\n"
)
GOALS = (
    "goal_id,scope,kommune_code,indicator,indicator_kind,target_pct,deadline_year,or_national_average,set_by,"
    "set_year,valid_from_year,valid_to_year,description_da,source\n"
    "koege_95,kommune,259,completed_youth_education,projection,95,,true,Køge Byråd,2019,,,"
    '"95 % af de unge, eller landsgennemsnittet, gennemfører en ungdomsuddannelse",https://www.koege.dk/politik\n'
)
# A small STATUSU6 for Køge: in 2024 "ingen registreret" (2) is a small cell, and the smallest
# other status, "fuldført" (6), is hidden beside it ("x") so that the 2 cannot be subtracted.
STATUSU6 = [
    ("Fuldført ungdomsuddannelse", "I alt", [9, 6]),
    ("Igangværende ungdomsuddannelse", "I alt", [41, 40]),
    ("Afbrudt ungdomsuddannelse", "I alt", [28, 30]),
    ("Ingen registreret ungdomsuddannelse", "I alt", [7, 2]),
    ("I alt", "I alt", [85, 78]),
]
# The profilmodel: Køge's projection 90,5 %, above the national 89,9 % but below 95 %.
PROFIL = (
    "Kommune;Årgang;År efter 9. klasse;Andel med ungdomsuddannelse (%);Profilmodel\r\n"
    "Køge;2023;25;90,5;2023\r\nHele landet;2023;25;89,9;2023\r\n"
)


def _files(folder):
    folder.mkdir()
    paths = [
        _write(
            folder,
            "koege_2024.csv",
            _groups_by_years("Søgetal for Køge Kommune, 9. og 10. klasse", [2024], KOEGE_2024),
            MINISTRY + "geography_basis: school\nsource: https://www.koege.dk/soegetal-2024\npublished: 2024-06-14\n",
        ),
        _write(
            folder,
            "koege_bopael.csv",
            _groups_by_years("Søgetal for Køge Kommune efter bopæl", [2022, 2023], KOEGE_RESIDENCE),
            MINISTRY + "geography_basis: residence\nsource: https://www.koege.dk/bopael\npublished: 2023-06-01\n",
        ),
        _write(
            folder,
            "uvm_3vejs_2021.csv",
            _groups_by_years("Søgetal for Køge Kommune", [2021], THREE_WAY_2021),
            MINISTRY + "geography_basis: school\nsource: https://www.uvm.dk/3vejs\npublished: 2021-06-01\n",
        ),
        _write(
            folder,
            "uvm_5vejs_2021_revideret.csv",
            _groups_by_years("Søgetal for Køge Kommune", [2021], FIVE_WAY_2021),
            MINISTRY + "geography_basis: school\nsource: https://www.uvm.dk/5vejs\npublished: 2022-05-01\n",
        ),
        _write(
            folder,
            "stevns_2024.csv",
            _groups_by_years("Søgetal for Stevns Kommune", [2024], STEVNS_2024),
            "denominator: youth_education_applicants\ngeography_basis: school\nsource: https://www.stevns.dk/s\n",
        ),
        _write(
            folder,
            "hele_landet_2024.csv",
            _groups_by_years("Søgetal, hele landet", [2024], NATIONAL_2024),
            "denominator: all_applicants\ngeography_basis: school\narea: Hele landet\nsource: https://www.uvm.dk/l\n",
        ),
        _write(
            folder,
            "greve_antal_2024.csv",
            _groups_by_years("Søgetal for Greve Kommune (antal elever)", [2024], GREVE_COUNTS),
            MINISTRY + "geography_basis: school\nunit: count\nsource: https://www.greve.dk/antal\n",
        ),
    ]
    (folder / "maaltal.csv").write_text(MAALTAL, encoding="utf-8")
    (folder / "maal.csv").write_text(GOALS, encoding="utf-8")
    status = "".join(f'"{s}";"{k}";"Køge";' + ";".join(map(str, v)) + "\r\n" for s, k, v in STATUSU6)
    (folder / "statusu6_koege.csv").write_bytes(status.encode("cp1252"))
    (folder / "statusu6_koege.yaml").write_text(
        "table: STATUSU6\ncolumns: [status, køn, area]\nyears: [2023, 2024]\nfilter: {køn: I alt}\n", encoding="utf-8"
    )
    (folder / "profilmodel_2023.csv").write_text(PROFIL, encoding="utf-8")
    names = ["maaltal.csv", "maal.csv", "statusu6_koege.csv", "profilmodel_2023.csv"]
    return paths + [folder / n for n in names]


@pytest.fixture(scope="module")
def mixed_home(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("mixed")
    done = overgang(tmp, "load", *map(str, _files(tmp / "mine")))
    assert done.returncode == 0, done.stdout + done.stderr
    made = overgang(tmp, "report", "--all")
    assert made.returncode == 0, made.stdout + made.stderr
    return tmp


def _report(home, kommune=KOEGE, year=2024):
    return _page(home / "home" / "reports" / f"rapport_{kommune}_{year}.html")


def _series(page):
    """The three trend tables (table-eud, -gym, -oevrige) as one: per year, each group's share,
    national share and måltal, then the year's source, under the names "EUD", "EUD landet",
    "EUD måltal", ... "Kilde"."""
    head, rows = ["År"], {}
    for group, name in (("eud", "EUD"), ("gym", "GYM"), ("oevrige", "Øvrige")):
        head += [name, f"{name} landet", f"{name} måltal"]
        for r in page.tables[f"table-{group}"][1:]:
            rows.setdefault(r[0].split()[0], [r[0]]).extend(r[1:4])
    sources = {r[0].split()[0]: r[4] for r in page.tables["table-eud"][1:]}
    for year, row in rows.items():
        row.append(sources.get(year, ""))
    head.append("Kilde")
    return {name: i for i, name in enumerate(head)}, rows


def _text(t: str) -> str:
    return t.replace("\u00a0", " ")


def test_a_three_way_oevrige_revised_by_a_five_way_table_is_not_shown(mixed_home):
    """Item 1 ("the later publication wins in reports"): Køge's 2021 was published three-way in 2021
    (EUD 20,4, GYM 69,0, Øvrige 10,6) and revised five-way in 2022 (EUD 21,0, GYM 67,5, FGU 6,0,
    STU 1,5, Øvrigt 4,0). The 2021 row takes EUD and GYM from the revision but Øvrige from the
    superseded three-way table (10,6 % instead of 6,0 + 1,5 + 4,0 = 11,5 %): the row adds up to
    99,1 % and hides the revision of Øvrige."""
    col, rows = _series(_report(mixed_home))
    assert [rows["2021"][col[g]] for g in ("EUD", "GYM", "Øvrige")] == ["21,0 %", "67,5 %", "11,5 %"], rows["2021"]


def test_earlier_years_from_a_residence_table_are_marked_in_the_trend(mixed_home):
    """Item 2 / README ("a note when a table uses another denominator or geography than the
    ministry's"): Køge's 2022 and 2023 are known only from a table by residence (bopæl). The trend
    table shows them beside 2024's ministry figure (school geography) as plain "offentliggjort
    søgetal", and the methods still say "elever fra skoler beliggende i kommunen": nothing tells the
    council that the 18,2 % -> 23,0 % jump crosses a change of geography."""
    page = _report(mixed_home)
    col, rows = _series(page)
    assert rows["2022"][col["EUD"]] == "18,2 %"  # the residence table's figure is what is shown
    notes = [_text(v) for k, v in page.ids.items() if k.startswith(("note", "basis"))]
    marked = rows["2022"][-1] != rows["2024"][-1] or any(
        "bopæl" in n.replace("bopælskommune)", "") or "anden opgørelse" in n for n in notes
    )
    assert marked, (rows["2022"], rows["2024"], notes)


def test_interpolated_maaltal_keep_their_decimals(mixed_home):
    """Item 4 ("decimals kept"): the måltal file says 22.33 and 23.67 for the interpolated years
    (a straight line from 21 to 25); the trend table prints "22,3 %*" and "23,7 %*", a value the
    council never wrote (and the decisions table rounds the same way)."""
    page = _report(mixed_home)
    col, rows = _series(page)
    assert (rows["2022"][col["EUD måltal"]], rows["2023"][col["EUD måltal"]]) == ("22,33 %*", "23,67 %*")


def test_hele_landet_from_another_denominator_is_not_shown_as_the_national_line(mixed_home):
    """Item 2 ("national lines from published figures") / README note on other denominators: the
    only national table loaded counts all applicants (10th-grade applicants in the denominator:
    EUD 17,0 %). The report prints it as "Hele landet" next to Køge's ministry-definition 23,0 % on
    the EUD card, in the trend and in the comparison, with no word that it is another opgørelse."""
    page = _report(mixed_home)
    col, rows = _series(page)
    national = {r[0]: r for r in page.tables["table-comparison"][1:]}.get("Hele landet (offentliggjort tabel)")
    notes = [_text(v) for k, v in page.ids.items() if k.startswith(("note", "basis"))]
    said = any("anden opgørelse" in n or "alle ansøgere" in n or "all_applicants" in n for n in notes)
    assert rows["2024"][col["EUD landet"]] == "–" or said, (rows["2024"], national, notes)


def test_a_peer_on_another_denominator_is_compared_without_a_note(mixed_home):
    """Item 2 ("peer lines from published figures"): Stevns's only table counts youth-education
    applicants only (a larger EUD share by construction). The comparison table puts its 26,1 %
    under Køge's 23,0 % as "(offentliggjort tabel)", exactly like a ministry-definition figure;
    Stevns's own report says "Tabellen bruger en anden opgørelse", Køge's says nothing."""
    page = _report(mixed_home)
    rows = {r[0]: r for r in page.tables["table-comparison"][1:]}
    stevns = [name for name in rows if name.startswith("Stevns")]
    assert stevns and rows[stevns[0]][2] == "26,1 %", rows
    html = (mixed_home / "home" / "reports" / f"rapport_{KOEGE}_2024.html").read_text(encoding="utf-8")
    section = html[html.index('id="sammenligning"') : html.index('id="gennemfoerelse"')]
    assert "anden opgørelse" in section or "nævner" in section.lower(), stevns


def test_the_completion_trend_reveals_a_hidden_statusu6_count(mixed_home):
    """Item 5 / disclosure (the audit must hold): in 2024 Køge's STATUSU6 table hides "fuldført"
    (x) to protect "ingen registreret" (<5), and shows the total 78, "i gang" 40 and "afbrudt" 30.
    The new trend table beside it prints 2024's share of fuldført, 7,7 % of 78: only 6 fits, so
    fuldført = 6 and ingen registreret = 78 - 6 - 40 - 30 = 2. The trend table carries no data-cell,
    so the audit never sees it."""
    page = _report(mixed_home)
    table = {r[0]: r for r in page.tables["table-completion"][1:]}
    assert table["Fuldført"][1] == "x" and table["Ingen registreret uddannelse"][1] == "<5", table
    total = int(table["I alt"][1].replace(".", ""))
    trend = {r[0]: r[1] for r in page.tables["table-completion-trend"][1:]}
    shown = trend["2024"]
    if shown not in ("–", "x", "<5"):
        share = float(shown.replace(" %", "").replace(",", "."))
        fits = [n for n in range(total + 1) if round(100 * n / total, 1) == share]
        assert len(fits) > 3, f"trend 2024 {shown} of {total} leaves only {fits} for the hidden 'fuldført'"


def test_met_by_the_national_average_shows_no_gap_to_95(mixed_home):
    """Item 5 ("without a met/not-met status or a gap that cannot be closed"; the issue's complaint
    was "Nået (landsgennemsnittet)" printed next to a negative distance): Køge's profilmodel
    projection 90,5 % is above the national 89,9 %, so the goal "95 %, eller landsgennemsnittet" is
    met, yet the card still prints "Afstand til mål −4,5 procentpoint" under "Nået"."""
    card = _text(_report(mixed_home).ids["card-koege_95"])
    assert "Nået (landsgennemsnittet)" in card
    assert "Afstand til mål" not in card, card


def test_a_count_table_gives_the_eud_card_its_share(mixed_home):
    """Items 1 and 2 ("counts or percentages"; "goal cards ... from published figures"): Greve's
    table gives counts (EUD 50 of 250 leavers). The group table prints the counts, but every share
    is "–" and the EUD card says "–": the report has the figures and shows no EUD share (50/250 =
    20,0 %)."""
    page = _report(mixed_home, GREVE)
    groups = {r[0]: r for r in page.tables["table-groups"][1:]}
    assert groups["Erhvervsuddannelser (EUD/EUX)"][1] == "50"
    assert "20,0 %" in _text(page.ids["card-eud_share"]), page.ids["card-eud_share"]


def test_the_overview_calls_a_published_count_table_unpublished(mixed_home):
    """Item 7: the overview ranks Greve last as "ikke offentl." (not published) although Greve's
    table of counts was loaded and published (EUD 50 of 250 = 20,0 %): a published figure is
    labelled as hidden."""
    ranking = _page(mixed_home / "home" / "reports" / "landsoversigt_2024.html").tables["table-kommuner"]
    greve = [r for r in ranking if "Greve" in r]
    assert greve and greve[0][3] == "20,0 %", ranking


def test_the_overview_ranks_other_denominators_unmarked(mixed_home):
    """Item 7 ("ranking of EUD share"): Stevns (youth-education applicants only) is ranked first
    with 26,1 % above Køge (ministry definition, 23,0 %), and the page's "hele landet: 17,0 %" is
    an all-applicants table; the overview says nowhere that these are other opgørelser."""
    path = mixed_home / "home" / "reports" / "landsoversigt_2024.html"
    ranking = _page(path).tables["table-kommuner"]
    stevns = [r for r in ranking if "Stevns" in r][0]
    html = path.read_text(encoding="utf-8")
    assert stevns[3] != "26,1 %" or "anden opgørelse" in html or "nævner" in html.lower(), ranking


def _workbook(home, kommune=KOEGE, year=2024):
    book = load_workbook(home / "home" / "reports" / f"rapport_{kommune}_{year}.xlsx")
    rows = list(book["Udvikling"].iter_rows(values_only=True))
    return rows[0], {r[0]: r for r in rows[1:]}


def test_the_workbook_marks_interpolated_maaltal(mixed_home):
    """Item 4 ("interpolated values marked") in the report's .xlsx: the sheet "Udvikling" gives the
    2022 måltal as the plain number 22.3 (rounded, and not marked interpolated), where the HTML
    prints "22,3 %*" with its footnote; nothing in the workbook says it was never decided."""
    head, rows = _workbook(mixed_home)
    cells = dict(zip(head, rows[2022]))
    marked = any("interpol" in str(h).lower() for h in head) or "*" in str(cells["EUD måltal (%)"])
    assert marked and cells["EUD måltal (%)"] != 22.3, (head, rows[2022])


def test_the_workbook_says_where_each_year_comes_from(mixed_home):
    """Item 2 ("each figure says which it comes from") in the report's .xlsx: the sheet "Udvikling"
    has no source column, so a year from a published table cannot be told from an extract year
    (the HTML's "Kilde" column: "offentliggjort søgetal" / "udtræk (Optagelse.dk)")."""
    head, _ = _workbook(mixed_home)
    assert any("kilde" in str(h).lower() for h in head), head


# A second home: a partial revision, a table with the publisher's small-cell marks, and two
# måltal decisions taken in the same year.
SOLROED = 269
KOEGE_MAY = [
    ("Erhvervsuddannelser (EUD/EUX)", ["21,4%", "20,2%", "22,0%"]),
    ("Gymnasiale uddannelser", ["68,1%", "69,9%", "67,5 %"]),
    ("Forberedende uddannelser/FGU", ["4,9%", "4,6%", "4,8 %"]),
    ("Øvrige ungdomsuddannelser/STU", ["1,3 %", "1,2%", "1,1 %"]),
    ("Øvrigt", ["4,3%", "4,1%", "4,6 %"]),
]
SOLROED_MARKS = [
    ("EUD", ["22,0%"]),
    ("GYM", ["68,0%"]),
    ("FGU", ["x"]),
    ("STU", ["<5"]),
    ("Øvrigt", ["5,5%"]),
]
NATIONAL_5WAY_2024 = [
    ("EUD", ["20,0%"]),
    ("GYM", ["71,5%"]),
    ("FGU", ["3,5%"]),
    ("STU", ["1,0%"]),
    ("Øvrigt", ["4,0%"]),
]
# Greve's table as Excel saved it, with two decimals.
GREVE_TWO_DECIMALS = [
    ("EUD", ["21,45%"]),
    ("GYM", ["68,55%"]),
    ("FGU", ["4,85%"]),
    ("STU", ["1,05%"]),
    ("Øvrigt", ["4,10%"]),
]
SAME_YEAR_DECISIONS = (
    "kommune_code,target_year,target_group,target_pct,value_basis,decided_year,decided_on,decided_by,"
    "stated_growth_pp_per_year,source\n"
    "259,2024,EUD,23,published,2023,2023-02-01,Børne- og Ungeudvalget,,https://www.koege.dk/maal-feb\n"
    "259,2025,EUD,24,published,2023,2023-02-01,Børne- og Ungeudvalget,,https://www.koege.dk/maal-feb\n"
    "259,2024,EUD,22.5,published,2023,2023-11-20,Køge Byråd,,https://www.koege.dk/maal-nov\n"
)

# The profilmodel of 2023 at 25 years after 9th grade (the goal's measure), and the 2024 edition
# with a 6-year horizon only (the share with a youth education 6 years after 9th grade).
TWO_VINTAGES = (
    "Kommune;Årgang;År efter 9. klasse;Andel med ungdomsuddannelse (%);Profilmodel\r\n"
    "Køge;2023;25;90,5;2023\r\nHele landet;2023;25;89,9;2023\r\n"
    "Køge;2024;6;80,1;2024\r\nHele landet;2024;6;81,0;2024\r\n"
)


@pytest.fixture(scope="module")
def revision_home(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("revision")
    folder = tmp / "mine"
    folder.mkdir()
    paths = [
        _write(
            folder,
            "koege_maj.csv",
            _groups_by_years("Søgetal for Køge Kommune, 9. og 10. klasse", [2022, 2023, 2024], KOEGE_MAY),
            MINISTRY + "geography_basis: school\nsource: https://www.koege.dk/maj\npublished: 2024-05-02\n",
        ),
        # June corrects only 2024's EUD share, in a table of its own (an EUD-only table).
        _write(
            folder,
            "koege_rettelse_juni.csv",
            _groups_by_years("Søgetal for Køge Kommune – rettelse", [2024], [("Erhvervsuddannelser", ["25,0%"])]),
            MINISTRY + "geography_basis: school\nsource: https://www.koege.dk/rettelse\npublished: 2024-06-14\n",
        ),
        # The same years by residence (bopæl): the report uses the school table, not this one.
        _write(
            folder,
            "koege_bopael_2023_2024.csv",
            _groups_by_years("Søgetal for Køge Kommune efter bopæl", [2023, 2024], KOEGE_RESIDENCE),
            MINISTRY + "geography_basis: residence\nsource: https://www.koege.dk/bopael\npublished: 2024-06-20\n",
        ),
        # The ministry's national table of 2024, five-way, on the ministry's definition.
        _write(
            folder,
            "uvm_landet_2024.csv",
            _groups_by_years("Søgetal, hele landet", [2024], NATIONAL_5WAY_2024),
            MINISTRY + "geography_basis: school\narea: Hele landet\nsource: https://www.uvm.dk/landet-2024\n",
        ),
        _write(
            folder,
            "greve_2024.csv",
            _groups_by_years("Søgetal for Greve Kommune", [2024], GREVE_TWO_DECIMALS),
            MINISTRY + "geography_basis: school\nsource: https://www.greve.dk/2024\n",
        ),
        _write(
            folder,
            "solroed_2024.csv",
            _groups_by_years("Søgetal for Solrød Kommune", [2024], SOLROED_MARKS),
            MINISTRY + "geography_basis: school\nsource: https://www.solrod.dk/s\n",
        ),
    ]
    (folder / "maaltal_2023.csv").write_text(SAME_YEAR_DECISIONS, encoding="utf-8")
    (folder / "maal.csv").write_text(GOALS, encoding="utf-8")
    (folder / "profilmodel.csv").write_text(TWO_VINTAGES, encoding="utf-8")
    paths += [folder / "maaltal_2023.csv", folder / "maal.csv", folder / "profilmodel.csv"]
    loaded = overgang(tmp, "load", *map(str, paths))
    # Only Køge's report here: Solrød's is the subject of its own test.
    made = overgang(tmp, "report", "--kommune", str(KOEGE))
    assert made.returncode == 0, loaded.stdout + loaded.stderr + made.stdout + made.stderr
    return tmp, loaded


def test_a_partial_revision_names_the_source_of_each_figure(revision_home):
    """Item 1 / README ("the table named"): June's correction gives only 2024's EUD share (25,0 %);
    GYM, FGU, STU and Øvrigt stay May's. The report's 2024 is a mix of two publications, but the
    line under the title names one source only, so some of the printed figures are attributed to
    a page that does not hold them."""
    home, _ = revision_home
    page = _report(home)
    groups = {r[0]: r[2] for r in page.tables["table-groups"][1:]}
    assert groups["Erhvervsuddannelser (EUD/EUX)"] == "25,0 %" and groups["Gymnasiale uddannelser"] == "67,5 %"
    basis = page.ids["basis-published"]
    assert "koege.dk/maj" in basis and "koege.dk/rettelse" in basis, basis


def test_a_publishers_small_cell_mark_crashes_the_report(revision_home):
    """Item 2 (a report for any kommune with published søgetal; a plain message, never a
    traceback): Solrød's table blanks FGU ("x") and STU ("<5") as publishers do. The trend table
    then marks 2024's Øvrige "x" with data-cell="None", and the disclosure audit dies on it:
    `overgang report --kommune 269` (and `report --all`, and the run's council_report step) ends in
    "ValueError: not enough values to unpack"."""
    home, _ = revision_home
    made = overgang(home, "report", "--kommune", str(SOLROED))
    assert made.returncode == 0 and "Traceback" not in made.stderr, made.stderr[-600:]


def test_the_publishers_small_cell_marks_do_not_throw_away_the_shown_groups(revision_home):
    """Item 1 ("its small-cell marks as the publisher set them"; rows "kept ..., not thrown
    away"): because FGU and STU are blanked, Solrød's shown groups (EUD 22,0 %, GYM 68,0 %,
    Øvrigt 5,5 %) cannot add up to 100 %, and all three go to quarantine (shares_sum_to_100):
    only the two marks are loaded, and Solrød has no EUD share anywhere."""
    import duckdb

    home, _ = revision_home
    with duckdb.connect(str(home / "home" / "warehouse" / "overgang.duckdb"), read_only=True) as con:
        kept = dict(
            con.execute(
                "SELECT education_group, coalesce(CAST(share_pct AS VARCHAR), suppressed_as) "
                "FROM published_application_shares WHERE kommune_code = 269"
            ).fetchall()
        )
    assert kept.get("EUD") is not None and float(kept["EUD"]) == 22.0, kept


def test_a_later_decision_in_the_same_year_replaces_the_earlier(revision_home):
    """Item 4 ("a later decision supersedes an earlier one from its decision date"): the committee
    set 2024 = 23 % on 2023-02-01 and the council changed it to 22,5 % on 2023-11-20. Both are
    decisions of 2023, with their dates; the report must use 22,5 % and list both decisions."""
    home, loaded = revision_home
    page = _report(home)
    card = _text(page.ids["card-eud_share"])
    decisions = page.tables.get("table-target-decisions", [])
    assert "22,5 %" in card and len(decisions) == 3, (card, decisions, loaded.stdout[-1500:])


def test_a_table_the_report_does_not_use_is_listed_as_used(revision_home):
    """Item 1 / README ("the table named under Metode og kilder"): Køge has a school table and a
    residence table (bopæl) for 2023 and 2024. The report rightly shows the school figures (EUD
    25,0 % in 2024), but "Offentliggjorte søgetal, der er brugt" lists the residence table as
    "Brugt: ja", although none of its figures is on the page."""
    home, _ = revision_home
    page = _report(home)
    col, rows = _series(page)
    assert rows["2024"][col["EUD"]] == "25,0 %" and rows["2023"][col["EUD"]] == "20,2 %"
    used = {r[0]: r[-1] for r in page.tables["table-published-sources"][1:]}
    assert not used["koege_bopael_2023_2024.csv"].startswith("ja"), used


def test_own_published_table_after_a_sample_run_is_hidden_behind_synthetic_extracts(sample_home, tmp_path):
    """Items 2 and 3 ("a run on real input never mixes in the sample"; "each figure says which it
    comes from"): a new user first tries `overgang run` (the shipped synthetic sample, Køge among
    its kommuner), then loads Køge's real web-page table. Køge's report for 2024 shows the
    sample's invented 20,9 % labelled "udtræk (Optagelse.dk)" instead of the file's 23,0 %, and
    lists the real table as "Brugt: ja" although none of its figures is shown.
    (The sample run is the session's, copied: `sample_home`; the load is the scenario.)"""
    from tests.test_public_report import _files as public_files

    page_file = public_files(tmp_path / "mine")[0]  # June's Køge page: 2024 EUD 23,0 %
    done = overgang(tmp_path, "load", str(page_file))
    assert done.returncode == 0, done.stdout + done.stderr
    made = overgang(tmp_path, "report", "--kommune", str(KOEGE), "--year", "2024")
    assert made.returncode == 0, made.stdout + made.stderr
    col, rows = _series(_report(tmp_path))
    assert (rows["2024"][col["EUD"]], rows["2024"][-1]) == ("23,0 %", "offentliggjort"), rows["2024"]


def test_a_ninth_grade_table_of_another_kommune_stops_the_loads_reports(tmp_path):
    """Item 2 / README step 4 ("the report of each kommune with figures is written"): Køge's
    web page (9th and 10th grade) is loaded together with Greve's table for 9th grade only
    (`grade: 9`). The run counts Greve as a kommune with figures (any grade) but the report
    reads only 9+10 figures, so Greve's report fails, the council_report step fails, and the
    load ends "the run stopped" without Køge's report either."""
    from tests.test_public_report import _files as public_files

    koege = public_files(tmp_path / "mine")[0]
    greve = _write(
        tmp_path / "mine",
        "greve_9_klasse.csv",
        _groups_by_years("Søgetal for Greve Kommune, 9. klasse", [2024], KOEGE_2024),
        MINISTRY + "geography_basis: school\ngrade: 9\nsource: https://www.greve.dk/9\n",
    )
    done = overgang(tmp_path, "load", str(koege), str(greve))
    assert done.returncode == 0, done.stdout[-1500:] + done.stderr[-1500:]
    assert (tmp_path / "home" / "reports" / f"rapport_{KOEGE}_2024.html").exists()


def test_the_95_percent_goal_is_not_measured_six_years_after_ninth_grade(revision_home):
    """Item 5 ("measured by the profilmodel projection"; no "gap that cannot be closed"): the
    profilmodel file holds the 2023 edition at 25 years after 9th grade (Køge 90,5 %) and the 2024
    edition at 6 years only (80,1 %). The card takes the newer edition's 6-year figure, which
    structurally cannot reach 95 % (the youngest are still in education, as with STATUSU6), and
    prints "Ikke nået" with a gap of −14,9 procentpoint."""
    home, _ = revision_home
    card = _text(_report(home).ids["card-koege_95"])
    assert "25 år efter 9. klasse" in card and "−14,9" not in card, card


def test_a_five_way_national_table_gives_the_oevrige_national_line(revision_home):
    """Item 2 ("national ... lines from published figures"): the ministry's five-way national
    table for 2024 is loaded (FGU 3,5 + STU 1,0 + Øvrigt 4,0 = 8,5 %). Køge's own five-way Øvrige
    is added up from its three groups (10,5 %), but the national Øvrige is not: the trend and the
    comparison print "–" for "Øvrige landet" beside EUD 20,0 % and GYM 71,5 % from the same table."""
    home, _ = revision_home
    col, rows = _series(_report(home))
    assert rows["2024"][col["EUD landet"]] == "20,0 %", rows["2024"]
    assert rows["2024"][col["Øvrige landet"]] == "8,5 %", rows["2024"]


def test_another_denominator_is_described_as_the_ministrys(mixed_home):
    """Items 1 and 2 (the denominator is what the description says; README: "a note when a table
    uses another denominator"): Stevns's figures count youth-education applicants only. Its report
    prints the internal code ("nævner: youth_education_applicants, geografi: school") in the Danish
    text, and "Metode og kilder" still defines the shares by the ministry's denominator
    ("... Børne- og Undervisningsministeriets definition"), which these figures do not use."""
    html = (mixed_home / "home" / "reports" / f"rapport_{STEVNS}_2024.html").read_text(encoding="utf-8")
    page = _page(mixed_home / "home" / "reports" / f"rapport_{STEVNS}_2024.html")
    assert "youth_education_applicants" not in page.ids["basis-published"], page.ids["basis-published"]
    method = html[html.index("<strong>Nævner:</strong>") :]
    method = method[: method.index("</li>")]
    assert "ministeriets definition" not in method, method


def test_the_overview_marks_an_interpolated_maaltal(mixed_home):
    """Items 4 and 7 ("interpolated values marked", "distance to own måltal"): for 2023 Køge's
    måltal 23.67 is interpolated, not decided (its report stars it). The overview's ranking
    prints it as "23,7 %" (rounded) with no mark, and measures the distance against it as if the
    council had decided it."""
    made = overgang(mixed_home, "report", "--all", "--year", "2023")
    assert made.returncode == 0, made.stdout + made.stderr
    path = mixed_home / "home" / "reports" / "landsoversigt_2023.html"
    ranking = _page(path).tables["table-kommuner"]
    koege = [r for r in ranking if "Køge" in r][0]
    assert "*" in koege[5] or "interpol" in koege[5], ranking


def test_a_two_decimal_share_is_shown_as_the_file_gives_it(revision_home):
    """Item 1 / Done when ("every figure in it equals the file's figure"): Greve's table, saved
    from Excel, says EUD 21,45 %. The report shows "21,4 %": neither the file's figure nor its
    rounding (21,5 %); Python's round() of the float 21.45 goes down. The same for GYM 68,55 %."""
    home, _ = revision_home
    made = overgang(home, "report", "--kommune", str(GREVE))
    assert made.returncode == 0, made.stdout + made.stderr
    groups = {r[0]: r[2] for r in _report(home, GREVE).tables["table-groups"][1:]}
    assert groups["Erhvervsuddannelser (EUD/EUX)"] in ("21,45 %", "21,5 %"), groups
    assert groups["Gymnasiale uddannelser"] in ("68,55 %", "68,6 %"), groups
