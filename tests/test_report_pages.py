"""The council report for every reader, in Chromium: axe-core finds no serious or critical
violation, no text in a chart overlaps another or is cut, every chart is drawn, nothing in a
chart is a Tab stop, and printed to A4 every chart shares its page with its numbers table."""

from __future__ import annotations

import io
import re
import unicodedata

import pytest
from axe_playwright_python.sync_playwright import Axe
from pypdf import PdfReader

from reports.render import render_report
from tests.test_report_browser import browser  # noqa: F401  (the shared Chromium fixture)

# Text boxes of a chart that must neither overlap each other nor leave the chart's box.
OVERLAPS = """() => {
  const problems = [];
  const sel = ".xtick text, .ytick text, .g-xtitle text, .g-ytitle text, .g-gtitle text, .legend .traces, .annotation";
  for (const gd of document.querySelectorAll(".js-plotly-plot")) {
    const frame = gd.getBoundingClientRect();
    const boxes = [...gd.querySelectorAll(sel)]
      .map(e => ({ name: e.textContent.trim().slice(0, 30), r: e.getBoundingClientRect() }))
      .filter(b => b.r.width > 0 && b.r.height > 0);
    for (const b of boxes)
      if (b.r.left < frame.left - 1 || b.r.right > frame.right + 1 || b.r.top < frame.top - 1 || b.r.bottom > frame.bottom + 1)
        problems.push(`${gd.id}: "${b.name}" is cut at the chart's edge`);
    for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i].r, b = boxes[j].r;
      if (Math.min(a.right, b.right) - Math.max(a.left, b.left) > 1 && Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 1)
        problems.push(`${gd.id}: "${boxes[i].name}" overlaps "${boxes[j].name}"`);
    }
  }
  return problems;
}"""
# Each figure: its id, its title and the caption of the table it is described by.
FIGURES = """() => [...document.querySelectorAll("figure.chart-block")].map(f => [
  f.id, f.querySelector(".fig-title").textContent,
  document.getElementById(f.getAttribute("aria-describedby")).querySelector("caption").textContent])"""


@pytest.fixture(scope="module")
def reports(sample_run, tmp_path_factory):
    out = tmp_path_factory.mktemp("pages")
    # 2024: every chart (schools and completion too); 2023: six goal cards and the break caveat.
    return {y: render_report(sample_run.settings, 169, y, out / f"r{y}.html") for y in (2023, 2024)}


@pytest.mark.parametrize("width", [390, 1280])
def test_report_reads_well_at_every_width(reports, browser, width):  # noqa: F811
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.goto(reports[2024].as_uri(), wait_until="load")
    page.wait_for_selector("#chart-completion .main-svg")
    charts = page.locator(".js-plotly-plot")
    assert charts.count() == 6 == page.locator("figure.chart-block .chart .js-plotly-plot").count()
    for i in range(charts.count()):
        drawn = charts.nth(i).locator(".plot .trace, .barlayer .point, .scatterlayer .trace").count()
        assert drawn > 0, f"{charts.nth(i).get_attribute('id')} is not drawn"
    assert page.evaluate(OVERLAPS) == []
    scroll = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert scroll[0] <= scroll[1]
    # A chart is not an app: nothing in it takes keyboard focus.
    focusable = page.locator(".chart a, .chart button, .chart input, .chart [tabindex]:not([tabindex='-1'])")
    assert focusable.count() == 0
    violations = Axe().run(page).response["violations"]
    serious = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in violations]
    assert [s for s in serious if s[1] in ("serious", "critical")] == [], serious
    assert page.locator("figure.chart-block figcaption .finding").count() == 6
    page.close()


def _squash(text: str) -> str:
    # pypdf gives "ﬁ" for "fi" and breaks lines where the layout does: compare without either.
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


@pytest.mark.parametrize("year", [2023, 2024])
def test_printed_report_keeps_charts_with_their_tables(reports, browser, year):  # noqa: F811
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(reports[year].as_uri(), wait_until="load")
    page.wait_for_selector("#chart-eud .main-svg")
    figures = page.evaluate(FIGURES)
    pdf = page.pdf(format="A4", print_background=True)
    page.close()
    pages = [_squash(p.extract_text()) for p in PdfReader(io.BytesIO(pdf)).pages]
    assert 4 <= len(pages) <= 8, f"{len(pages)} pages"
    for n, text in enumerate(pages, start=1):
        assert _squash(f"Side {n} af {len(pages)}") in text
        assert _squash(f"Høje-Taastrup Kommune · Søgning til ungdomsuddannelserne {year}") in text
    assert len(figures) >= 5
    for fig_id, title, caption in figures:
        on = [i for i, t in enumerate(pages) if _squash(title) in t]
        table = [i for i, t in enumerate(pages) if _squash(caption) in t]
        assert len(on) == 1 and on == table, f"{fig_id}: chart on pages {on}, its table on {table}"
    # Page 1 is the summary: the goal cards, and the main trend with its table right after them
    # (on page 2 when six cards with their verdicts' caveats and an earlier year's note about
    # today's data fill page 1).
    assert "Målsætninger–status" in pages[0] and figures[0][0] == "fig-eud"
    assert _squash(figures[0][1]) in pages[0] or (year == 2023 and 0 <= pages[1].find(_squash(figures[0][1])) < 200)
    # The technical appendix comes last, after everything a councillor reads.
    appendix = [i for i, t in enumerate(pages) if "Tekniskbilag" in t]
    last_chart = max(i for i, t in enumerate(pages) for _, title, _ in figures if _squash(title) in t)
    assert (
        len(appendix) == 1
        and appendix[0] >= last_chart
        and "data/targets/maaltal.csv" not in "".join(pages[: appendix[0]])
    )
