"""The national overview as a council secretariat uses it, in Chromium: on a phone the title is
whole, the page never scrolls sideways and the region panels stand one under the other; on paper
it has the report's margins, running header and page numbers, and the synthetic-data mark is in
the page's flow above the title; axe finds no violation from moderate up."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

from reports.overview import render_overview
from tests.paper import COVERED, lay_out_for_print, pdf_pages, squeeze
from tests.test_report_browser import browser  # noqa: F401  (the shared Chromium fixture)
from tests.test_report_pages import OVERLAPS

TITLE = "Søgning til erhvervsuddannelserne 2024: alle kommuner"


@pytest.fixture(scope="module")
def overview(sample_run, tmp_path_factory):
    return render_overview(sample_run.settings, 2024, tmp_path_factory.mktemp("overview") / "oversigt.html")


def _open(browser, path, width):  # noqa: F811
    page = browser.new_page(viewport={"width": width, "height": 844})
    page.goto(path.as_uri(), wait_until="load")
    page.wait_for_selector("#chart-regions .main-svg")
    return page


def test_overview_reads_on_a_phone(overview, browser):  # noqa: F811
    page = _open(browser, overview, 390)
    scroll = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert scroll[0] <= scroll[1], f"the page scrolls sideways: {scroll}"
    assert page.evaluate("() => { const h = document.querySelector('h1'); return h.scrollWidth <= h.clientWidth; }")
    panels = page.evaluate(
        "() => [...document.querySelectorAll('#chart-regions .cartesianlayer .subplot .xaxislayer-above')]"
        ".map(e => e.getBoundingClientRect().width)"
    )
    titles = page.evaluate(
        "() => [...document.querySelectorAll('#chart-regions .annotation')].map(a => a.getBoundingClientRect().x)"
    )
    assert len(titles) == 5 and max(titles) - min(titles) < 80, f"the region panels are side by side: {titles}"
    assert min(panels) >= 250, f"a region panel is {min(panels):.0f} px wide on a phone"
    page.close()


def test_overview_on_paper_has_header_page_numbers_and_the_title_whole(overview, browser):  # noqa: F811
    page = _open(browser, overview, 1100)
    pages = pdf_pages(page.pdf(format="A4", print_background=True))
    page.close()
    assert len(pages) >= 2
    for n, text in enumerate(pages, start=1):
        assert f"Side {n} af {len(pages)}" in text, f"page {n} has no page number"
        assert "SYNTETISKE DATA – ikke rigtige tal · Søgning til erhvervsuddannelserne 2024 · landsoversigt" in text
    lines = [squeeze(line) for line in pages[0].splitlines() if line.strip()]
    mark = next(i for i, line in enumerate(lines) if line.startswith("Syntetiske data"))
    title = next(i for i, line in enumerate(lines) if line.startswith("Søgning til erhvervsuddannelserne 2024"))
    assert mark < title and TITLE in squeeze(" ".join(lines[title : title + 2]))
    page = _open(browser, overview, 1100)
    lay_out_for_print(page)
    assert page.evaluate(COVERED, "h1") == []
    assert page.evaluate(OVERLAPS) == [], "on paper, chart labels run into each other or are cut"
    page.close()


@pytest.mark.parametrize("width", [390, 1280])
def test_overview_has_no_accessibility_violation(overview, browser, width):  # noqa: F811
    page = _open(browser, overview, width)
    violations = Axe().run(page).response["violations"]
    found = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in violations]
    assert [f for f in found if f[1] in ("moderate", "serious", "critical")] == [], found
    page.close()
