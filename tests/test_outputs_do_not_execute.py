"""Nothing Overgang hands out runs, and no name reorders the text around it.

Attack: schools named like spreadsheet formulas (``=HYPERLINK(…)``, ``+1+1``, ``@SUM(A1)``,
``-2+3``, a leading tab or carriage return before ``=1``) and a school whose name begins with
U+202E (RIGHT-TO-LEFT OVERRIDE), through a real run into the council report, its workbook and
``overgang query --csv``.

Promises: no workbook cell is a formula and every name is kept as its text; CSV for a spreadsheet
puts ``'`` before such text (OWASP), ``--csv-raw`` writes it as it is, and numbers stay numbers;
in the HTML every such name is isolated in ``<bdi>``, and no page or chart carries a bidi control.
"""

from __future__ import annotations

import re

import duckdb
import pytest
from click.testing import CliRunner
from markupsafe import escape
from openpyxl import load_workbook

from pipelines.cli import main

# The list, written apart from the code's: embeddings and overrides, isolates, LRM, RLM, ALM.
BIDI_CONTROLS = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C)}
FORMULAS = ['=HYPERLINK("http://evil/","x")', "+1+1", "@SUM(A1)", "-2+3", "\t=1", "\r=1"]
# U+202E first: unisolated, "… (Vestskolen) til 26,2 %" in a caption reads "% 2,62". Every other
# bidi control between its letters.
BIDI = "\u202eVest" + "".join(sorted(BIDI_CONTROLS - {"\u202e"})) + "skolen"
SHOWN = {BIDI: "Vestskolen"}  # as a reader sees it: without the controls
# Each hostile name on a school the report shows in that year (the others are pooled).
RENAMED = {
    (169, 2024): {
        "Høje-Taastrup Byskole": FORMULAS[0],
        "Høje-Taastrup Parkskole": FORMULAS[2],
        "Høje-Taastrup 10. klasse-center": BIDI,
    },
    (461, 2023): {
        "Odense Nordskole": FORMULAS[4],
        "Odense Sydskole": FORMULAS[5],
        "Odense 10. klasse-center": FORMULAS[1],
    },
    (751, 2024): {"Aarhus 10. klasse-center": FORMULAS[3]},
}
BY_KOMMUNE = {k: names for (k, _), names in RENAMED.items()}


def _quoted(field: str) -> str:
    return '"' + field.replace('"', '""') + '"'


def _hostile_extract(text: str) -> str:
    lines = []
    for line in text.splitlines(keepends=True):
        fields = line.split(";")
        if len(fields) > 10 and fields[10].isdigit() and (new := BY_KOMMUNE.get(int(fields[10]), {}).get(fields[9])):
            fields[9] = _quoted(new)
        lines.append(";".join(fields))
    return "".join(lines)


@pytest.fixture(scope="module")
def hostile_names_run(tmp_path_factory):
    from overgang.settings import SAMPLE_DIR
    from tests.conftest import TEST_KEY, run_pipeline

    root = tmp_path_factory.mktemp("hostile_names")
    given = root / "given"
    given.mkdir()
    for year in (2023, 2024):
        text = (SAMPLE_DIR / f"optagelse_{year}.csv").read_text(encoding="utf-8")
        (given / f"optagelse_{year}.csv").write_text(_hostile_extract(text), encoding="utf-8", newline="")
    mp = pytest.MonkeyPatch()
    mp.setenv("OVERGANG_CPR_KEY", TEST_KEY)
    try:
        run = run_pipeline(root / "home", given)
    finally:
        mp.undo()
    assert run.result.success
    with duckdb.connect(str(run.settings.warehouse), read_only=True) as con:
        names = {n for (n,) in con.execute("SELECT DISTINCT school_name FROM applications").fetchall()}
    assert set(FORMULAS) | {BIDI} <= names, "the hostile names reach the warehouse as they are"
    return run


@pytest.fixture(scope="module")
def reports(hostile_names_run):
    from reports.render import render_report

    return {(k, y): render_report(hostile_names_run.settings, k, y) for k, y in RENAMED}


def _without_scripts(page: str) -> str:
    return re.sub(r"<(script|style)\b.*?</\1>", "", page, flags=re.S)


def _outside_bdi(page: str, shown: str) -> list[str]:
    """Each place the page shows `shown` as text (not in a tag's attribute, a script or the
    <title>, where no markup can go) without <bdi> right around it."""
    body = _without_scripts(page.split("</head>", 1)[1])
    tokens = re.findall(r"<[^>]*>|[^<]+", body)
    text = str(escape(shown))
    bad = []
    for i, token in enumerate(tokens):
        if not token.startswith("<") and text in token:
            isolated = token == text and tokens[i - 1] == "<bdi>" and tokens[i + 1] == "</bdi>"
            if not isolated and not tokens[i - 1].startswith("<option"):
                bad.append("".join(tokens[max(0, i - 2) : i + 3]))
    return bad


def _ooxml(text: str) -> str:
    return re.sub(r"_x([0-9A-F]{4})_", lambda m: chr(int(m.group(1), 16)), text)


@pytest.mark.integration
def test_no_workbook_cell_is_a_formula_and_every_name_is_kept(reports):
    for report, html in reports.items():
        book = load_workbook(html.with_suffix(".xlsx"))
        formulas = [
            (sheet.title, c.coordinate, c.value)
            for sheet in book
            for row in sheet.iter_rows()
            for c in row
            if c.data_type == "f"
        ]
        assert formulas == [], formulas
        # A control character is stored as _xHHHH_ (OOXML's escape, which Excel reads back and
        # openpyxl leaves as it is).
        schools = [_ooxml(row[0]) for row in book["Skoler"].iter_rows(min_row=2, values_only=True)]
        for _original, new in RENAMED[report].items():
            assert SHOWN.get(new, new) in schools, (new, schools)
        # Numbers that are numbers stay numbers.
        pupils = [row[1] for row in book["Skoler"].iter_rows(min_row=2, values_only=True)]
        assert all(isinstance(n, int) for n in pupils if n not in ("<5", "x", "<20")), pupils
        texts = [c.value for sheet in book for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
        assert not [t for t in texts if BIDI_CONTROLS & set(t)]


@pytest.mark.integration
def test_every_name_in_the_report_is_isolated_and_no_chart_carries_a_bidi_control(reports):
    from reports.audit import chart_data
    from reports.render import _wrap

    for report, html in reports.items():
        page = html.read_bytes().decode("utf-8")  # as written: a CR stays a CR
        assert not BIDI_CONTROLS & set(page), f"a bidi control in {html.name}"
        charts = chart_data(page)
        assert charts, "the report has charts"
        for new in RENAMED[report].values():
            assert f"<bdi>{escape(SHOWN.get(new, new))}</bdi>" in page, (new, html.name)
            assert _outside_bdi(page, SHOWN.get(new, new)) == [], new
        # The schools chart names each school as the table does, without the controls.
        ticks = charts["chart-schools"][0]["y"]
        for new in RENAMED[report].values():
            assert _wrap(SHOWN.get(new, new)) in ticks, (new, ticks)


KOMMUNE = "=1+1 \u202eHøje-Taastrup"  # a kommune name from the reference file, copied and edited


@pytest.mark.integration
def test_a_hostile_kommune_name_is_isolated_in_the_report_and_the_overview(hostile_names_run, tmp_path):
    import shutil
    from dataclasses import replace

    from reports.audit import chart_data
    from reports.overview import render_overview
    from reports.render import render_report

    settings = replace(hostile_names_run.settings, home=tmp_path / "copy")
    settings.warehouse.parent.mkdir(parents=True)
    shutil.copy(hostile_names_run.settings.warehouse, settings.warehouse)
    with duckdb.connect(str(settings.warehouse)) as con:
        con.execute("UPDATE kommuner SET kommune_name = $n WHERE kommune_code = 169", {"n": KOMMUNE})
    shown = KOMMUNE.replace("\u202e", "")
    report = render_report(settings, 169, 2024)
    overview = render_overview(settings, 2024)
    for path in (report, overview):
        page = path.read_bytes().decode("utf-8")
        assert not BIDI_CONTROLS & set(page), path.name
        assert f"<bdi>{escape(shown)}</bdi>" in page and _outside_bdi(page, shown) == [], path.name
        assert any(
            shown in str(trace.get("name")) + str(trace.get("y")) for c in chart_data(page).values() for trace in c
        )
    book = load_workbook(report.with_suffix(".xlsx"))
    cells = [c for sheet in book for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    assert any(c.value.startswith(shown) for c in cells)


# --- overgang query --csv ----------------------------------------------------------------------


@pytest.fixture
def warehouse(tmp_path):
    path = tmp_path / "home" / "warehouse" / "overgang.duckdb"
    path.parent.mkdir(parents=True)
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE schools (school_name VARCHAR, pupils INTEGER, change DECIMAL(4, 1), note VARCHAR)")
        con.executemany(
            "INSERT INTO schools VALUES (?, ?, ?, ?)",
            [(name, -i - 1, -1.5, "plain") for i, name in enumerate(FORMULAS)],
        )
    return path


def _csv(*args) -> str:
    result = CliRunner().invoke(main, ["query", "SELECT * FROM schools ORDER BY pupils DESC", *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_query_csv_for_a_spreadsheet_writes_formula_text_as_text(warehouse):
    import csv
    import io

    rows = list(csv.reader(io.StringIO(_csv("--csv"), newline="")))
    assert rows[0] == ["school_name", "pupils", "change", "note"]
    assert [r[0] for r in rows[1:]] == ["'" + name for name in FORMULAS]
    # Numbers stay numbers, negative ones too; other text as it is.
    assert [r[1] for r in rows[1:]] == [str(-i - 1) for i in range(len(FORMULAS))]
    assert {r[2] for r in rows[1:]} == {"-1.5"} and {r[3] for r in rows[1:]} == {"plain"}


def test_query_csv_raw_writes_every_value_as_it_is(warehouse):
    import csv
    import io

    rows = list(csv.reader(io.StringIO(_csv("--csv-raw"), newline="")))
    assert [r[0] for r in rows[1:]] == FORMULAS
    assert [r[1] for r in rows[1:]] == [str(-i - 1) for i in range(len(FORMULAS))]


def test_a_column_named_like_a_formula_is_text_too(warehouse):
    result = CliRunner().invoke(main, ["query", 'SELECT 1 AS "=1+1", \'@x\' AS "-a"', "--csv"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["'=1+1,'-a", "1,'@x"]
