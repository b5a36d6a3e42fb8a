"""Hostile tests of this round's hand-written plotly.js JSON (reports/charts.py).

Promises attacked: no text in a chart can end its ``<script>`` (JSON with ``<`` escaped), the
audit (reports/audit.py: chart_data) reads back exactly what the chart carries, and the
browser draws it (real Chromium, network blocked).
"""

from __future__ import annotations

import json
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest

from reports import charts
from reports.audit import _audit_charts, chart_data
from reports.render import _wrap

HOSTILE = [
    "</script><script>window.__pwned = 1</script>",
    "</SCRIPT ><img src=x onerror='window.__pwned=2'>",
    "<!--<script>",
    "<!-- </script> -->",
    "Skole\u2028Linje\u2029Afsnit",
    "Citat \"dobbelt\" og 'enkelt' og \\ backslash",
    'Plotly.newPlot("fake", [{"x": [1.23456]}], {})',
    "]]></script>&lt;/script&gt;",
    "\ufeffBOM og \x7f og \u200b",
]


class _Scripts(HTMLParser):
    """The page's script elements as an HTML parser splits them (how a browser ends them)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.scripts, self.tags, self._in = [], [], False

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "script":
            self._in = True
            self.scripts.append("")

    def handle_data(self, data):
        if self._in:
            self.scripts[-1] += data

    def handle_endtag(self, tag):
        if tag == "script":
            self._in = False


def _figure(text: str) -> dict:
    fig = charts.figure()
    charts.trace(
        fig,
        "scatter",
        x=[12.3, 45.6],
        y=[text, _wrap(text)],
        name=text,
        mode="markers",
        customdata=None,
        hovertemplate=text + ": %{x:.1f} %<extra></extra>",
    )
    charts.annotate(fig, x=1, y=1, text=text, showarrow=False)
    charts.update(fig["layout"], title={"text": text})
    return fig


@pytest.mark.parametrize("text", HOSTILE)
def test_chart_text_cannot_end_its_script_and_reads_back_the_same(text):
    """Attack: a school or kommune name holding ``</script>``, ``<!--``, U+2028 or quotes in a
    chart's trace name, category, hover template, note and title. Promise: the script element
    ends only where the chart's div ends, one script per chart, and the audit reads the JSON back
    as the same figure. Found nothing: pins the promise."""
    fig = _figure(text)
    page = "<html><head></head><body>" + charts.div(fig, "chart-x") + "<p id=after>after</p></body></html>"
    parser = _Scripts()
    parser.feed(page)
    assert len(parser.scripts) == 1
    assert parser.tags.count("script") == 1 and "img" not in parser.tags
    script = parser.scripts[0]
    assert script.rstrip().endswith("};"), script[-80:]
    assert "<" not in script
    assert chart_data(page) == {"chart-x": fig["data"]}
    assert page.index("<p id=after>") > page.index("</script>")


def test_a_name_that_looks_like_a_chart_adds_no_chart_for_the_audit():
    """Attack: a name spelled ``Plotly.newPlot("fake", …)`` inside a chart: the audit's regex
    must not read it as another chart (whose numbers it would then judge instead of the real
    ones). Found nothing: pins it."""
    fig = _figure('Plotly.newPlot("fake", [{"x": [1.23456], "customdata": ["0/0/g/EUD"]}], {})')
    page = "<html><head></head><body>" + charts.div(fig, "chart-x") + "</body></html>"
    assert list(chart_data(page)) == ["chart-x"]
    assert _audit_charts(page, data=None) == 2  # the two x values, nothing from the name


def test_audit_sees_a_precise_number_in_error_bars():
    """Attack: a more precise number than any table hidden in a part of the trace the audit
    might not walk (error bars). Promise: the audit reads every number a chart carries there."""
    from overgang.suppression import DisclosureError

    fig = charts.figure()
    charts.trace(fig, "scatter", x=[12.3], y=["a"], error_x={"type": "data", "array": [1.23456]})
    page = "<html><head></head><body>" + charts.div(fig, "chart-x") + "</body></html>"
    with pytest.raises(DisclosureError):
        _audit_charts(page, data=None)


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.mark.integration
def test_hostile_chart_text_in_chromium(tmp_path):
    """Attack: every hostile name above in one page with the embedded plotly.js, opened in real
    Chromium. Promise: no script of the name runs, no script error, every chart is drawn and
    plotly.js holds each name exactly. Found nothing: pins it."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed")
    from playwright.sync_api import sync_playwright

    bundle = next(iter(sorted(Path(charts.VENDOR).glob("plotly-*.min.js"))))
    body = "".join(charts.div(_figure(t), f"chart-{i}") for i, t in enumerate(HOSTILE))
    page_path = tmp_path / "page.html"
    page_path.write_text(
        f'<!doctype html><html><head><meta charset="utf-8"><script>{bundle.read_text(encoding="utf-8")}</script>'
        f"</head><body>{body}</body></html>",
        encoding="utf-8",
    )
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page()
            errors = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
            page.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file://") else r.abort())
            page.goto(page_path.as_uri(), wait_until="load")
            for i in range(len(HOSTILE)):
                page.wait_for_selector(f"#chart-{i} .main-svg")
            assert page.evaluate("window.__pwned === undefined")
            assert errors == []
            names = page.evaluate(
                f"[...Array({len(HOSTILE)}).keys()].map(i => document.getElementById('chart-' + i).data[0].name)"
            )
            assert names == HOSTILE
            assert page.locator("img").count() == 0
        finally:
            browser.close()


def test_charts_json_is_plotly_pys_for_hostile_text():
    """Attack: hostile text through plotly.py's own figure and JSON, compared with the hand-written
    dicts: same data, same layout values (the drawing plotly.py would produce)."""
    go = pytest.importorskip("plotly.graph_objects")
    for text in HOSTILE:
        fig = _figure(text)
        theirs = go.Figure(data=fig["data"], layout=fig["layout"]).to_plotly_json()
        assert json.loads(json.dumps(theirs["data"])) == fig["data"]


# --- a hostile school name through a real run, the report and Chromium ------------------------

SCHOOL = "</script><script>window.__pwned=3</script><!--<script> Skole\u2028'Øst' & <b>fed</b>"


@pytest.fixture(scope="module")
def hostile_school_run(tmp_path_factory):
    from overgang.settings import SAMPLE_DIR
    from tests.conftest import TEST_KEY, run_pipeline

    root = tmp_path_factory.mktemp("hostile_school")
    given = root / "given"
    given.mkdir()
    for year in (2023, 2024):
        text = (SAMPLE_DIR / f"optagelse_{year}.csv").read_text(encoding="utf-8")
        (given / f"optagelse_{year}.csv").write_text(text.replace("Høje-Taastrup Byskole", SCHOOL), encoding="utf-8")
    mp = pytest.MonkeyPatch()
    mp.setenv("OVERGANG_CPR_KEY", TEST_KEY)
    try:
        run = run_pipeline(root / "home", given)
    finally:
        mp.undo()
    assert run.result.success
    return run


@pytest.mark.integration
def test_a_hostile_school_name_in_a_real_report(hostile_school_run):
    """Attack: a school named ``</script><script>…`` with ``<!--``, U+2028, quotes and markup,
    through a real run into the council report (school table and the schools chart), then
    Chromium. Promise: the name is text everywhere (no script of it runs, no element of it is
    made), the audit reads the chart, and the chart carries the name as the table shows it."""
    from playwright.sync_api import sync_playwright

    from reports.render import render_report

    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed")
    path = render_report(hostile_school_run.settings, 169, 2024)
    page_text = path.read_text(encoding="utf-8")
    schools = chart_data(page_text)["chart-schools"][0]
    assert _wrap(SCHOOL) in schools["y"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 1400})
            errors = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file://") else r.abort())
            page.goto(path.as_uri(), wait_until="load")
            page.wait_for_selector("#chart-schools .main-svg")
            assert page.evaluate("window.__pwned === undefined")
            assert errors == []
            assert page.locator("b", has_text="fed").count() == 0
            ticks = page.locator("#chart-schools .ytick text").all_text_contents()
            assert any("</script>" in t for t in ticks), ticks
            body = page.locator("body").inner_text()
            assert "</script><script>window.__pwned=3</script>" in body
        finally:
            browser.close()


@pytest.mark.integration
def test_the_national_overview_charts_only_what_each_report_shows(sample_run, tmp_path):
    """Attack: the national overview (`overgang report --all`) draws every kommune's EUD share in a
    funnel plot and a trend per region, as JSON written by hand this round, and the disclosure audit
    runs on the council reports, not on it. Promise: a number in a chart is one a reader could
    already see; here: each kommune's point in the overview is the number its own report's EUD
    chart draws for that year (null there means hidden, so it must be absent here). Found
    nothing: pins it."""
    import duckdb

    from reports.overview import render_overview
    from reports.render import render_report

    page = render_overview(sample_run.settings, 2023, out=tmp_path / "overview.html").read_text(encoding="utf-8")
    charts_ = chart_data(page)
    # The funnel's points (2023: a year with a published national share), one trace per group.
    funnel_points = [t for t in charts_["chart-funnel"] if t.get("mode") == "markers"]
    assert funnel_points
    with duckdb.connect(str(sample_run.settings.warehouse), read_only=True) as con:
        names = dict(con.execute("SELECT kommune_name, kommune_code FROM kommuner").fetchall())
    drawn = {}
    for trace in charts_["chart-regions"]:
        drawn[trace["name"]] = dict(zip(trace["x"], trace["y"]))
    for trace in funnel_points:
        for name, share in zip(trace["text"], trace["y"]):
            assert drawn.setdefault(name, {}).setdefault(2023, share) == share, name
    checked = 0
    for name, points in drawn.items():
        report = render_report(sample_run.settings, names[name], 2023, out=tmp_path / f"{names[name]}.html")
        eud = chart_data(report.read_text(encoding="utf-8"))["chart-eud"][0]
        shown = {x: y for x, y in zip(eud["x"], eud["y"]) if y is not None}
        for year, value in points.items():
            assert shown.get(year) == value, (name, year, value, shown.get(year))
            checked += 1
    assert checked > 0
