"""The national overview (landsoversigt) in a real browser: every kommune with data is on it,
each link opens that kommune's report, and it shows no share its kommune's report hides."""

from __future__ import annotations

import duckdb
import pytest

from reports.data import load_report_data
from reports.overview import kommuner_with_data, render_overview
from reports.render import render_report
from tests.test_report_browser import browser  # noqa: F401  (the shared Chromium fixture)

YEAR = 2025


@pytest.fixture(scope="module")
def overview(sample_run):
    settings = sample_run.settings
    path = render_overview(settings, YEAR)
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        codes = kommuner_with_data(con, YEAR)
        shown = {
            k: load_report_data(con, k, YEAR, settings).series["EUD"].set_index("year")["kommune"].get(YEAR)
            for k in codes
        }
    for code in codes:
        render_report(settings, code, YEAR)
    return path, codes, shown


def _offline(browser, path):  # noqa: F811
    page = browser.new_page(viewport={"width": 1100, "height": 1400})
    blocked = []
    page.route(
        "**/*",
        lambda route: (
            route.continue_()
            if route.request.url.startswith("file://")
            else (blocked.append(route.request.url), route.abort())
        ),
    )
    page.goto(path.as_uri(), wait_until="load")
    return page, blocked


def test_every_kommune_is_on_the_overview_and_its_link_opens_its_report(overview, browser):  # noqa: F811
    path, codes, _ = overview
    page, blocked = _offline(browser, path)
    page.wait_for_selector("#chart-regions .main-svg")
    listed = [
        int(k)
        for k in page.locator("#table-kommuner tbody tr[data-kommune]").evaluate_all(
            "rows => rows.map(r => r.dataset.kommune)"
        )
    ]
    assert sorted(listed) == codes and len(codes) == 20
    assert page.locator("#kommune-picker option").count() == len(codes) + 1
    hrefs = page.locator("#table-kommuner a").evaluate_all("links => links.map(a => a.href)")
    # Every link resolves to a report file beside the overview; two are opened in the browser
    # (each report embeds plotly.js: opening all twenty would only repeat the same check).
    assert [h.rsplit("/", 1)[1] for h in hrefs] == [f"rapport_{code}_{YEAR}.html" for code in listed]
    assert all((path.parent / h.rsplit("/", 1)[1]).is_file() for h in hrefs)
    for href, code in list(zip(hrefs, listed))[:2]:
        report = browser.new_page()
        report.goto(href, wait_until="load")
        assert report.url.endswith(f"rapport_{code}_{YEAR}.html")
        assert "Søgning til ungdomsuddannelserne" in report.title()
        report.close()
    # The picker navigates too.
    page.select_option("#kommune-picker", f"rapport_169_{YEAR}.html")
    page.wait_for_url(f"**/rapport_169_{YEAR}.html")
    assert blocked == []


def test_the_overview_shows_what_each_report_shows_and_hides_what_it_hides(overview, browser):  # noqa: F811
    path, _, shown = overview
    page, _ = _offline(browser, path)
    cells = page.locator("#table-kommuner tbody tr[data-kommune]").evaluate_all(
        "rows => rows.map(r => [r.dataset.kommune, r.querySelector('.share').innerText])"
    )
    for code, text in cells:
        value = shown[int(code)]
        if value is None or value != value:
            assert text == "ikke offentl."
        else:
            assert text == f"{value:.1f} %".replace(".", ",")
    hidden = [k for k, v in shown.items() if v is None or v != v]
    assert hidden, "the sample has kommuner whose EUD share is hidden: the test must see one"
    # A hidden kommune is not on the funnel either: tests/test_overview_funnel.py.


def test_the_2023_break_is_drawn_in_every_region_panel(overview):
    path, _, _ = overview
    html = path.read_text(encoding="utf-8").split("</head>", 1)[1]
    regions = html.split('id="chart-regions"', 1)[1].split("</script>", 1)[0]
    assert regions.count('"x0":2022.5') == 5  # one dashed line per region
