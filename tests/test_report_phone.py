"""The council report on a phone (390 px wide) in Chromium: the page never scrolls sideways (wide
tables scroll inside their own box), every chart is drawn, charts have no toolbar, and the
content sits in a `main` landmark."""

from __future__ import annotations

from reports.render import render_report
from tests.test_report_browser import browser  # noqa: F401  (the shared Chromium fixture)


def test_report_fits_a_phone(sample_run, browser, tmp_path):  # noqa: F811
    path = render_report(sample_run.settings, 169, 2025, tmp_path / "r.html")
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(path.as_uri(), wait_until="load")
    page.wait_for_selector("#chart-eud .main-svg")
    width = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert width[0] <= width[1], f"the page scrolls sideways: {width[0]} px of content in {width[1]} px"
    wide = page.evaluate(
        "() => [...document.querySelectorAll('table')].filter(t => t.closest('.scroll') === null).length"
    )
    assert wide == 0, "every table sits in its own scroll box"
    assert page.locator(".js-plotly-plot").count() == page.locator(".js-plotly-plot .main-svg").count() // 3 > 0
    assert page.locator(".modebar-container .modebar-btn").count() == 0, "a chart toolbar is shown"
    assert page.locator("main").count() == 1 and page.locator("main h1").count() == 1
    page.close()
