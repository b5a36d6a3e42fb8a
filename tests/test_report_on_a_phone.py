"""Tables on a phone (390 px) in Chromium: the columns that matter are on the screen without
scrolling (the area or year, its pupils, the share, måltal and gap), and a table that is still
wider than the screen says so and keeps its first column in view."""

from __future__ import annotations

import pytest

from reports.overview import render_overview
from reports.render import render_report
from tests.test_report_browser import browser  # noqa: F401  (the shared Chromium fixture)

# Per table, the column headings that must be on the screen at 390 px without scrolling.
KEY_COLUMNS = {
    "table-comparison": ["Område", "Afgangselever", "EUD"],
    "table-eud": ["År", "Høje-Taastrup", "Hele landet", "Måltal"],
    "table-gym": ["År", "Høje-Taastrup", "Hele landet", "Måltal"],
    "table-schools": ["Skole", "Afgangselever", "EUD"],
    "table-kommuner": ["Kommune", "EUD-andel", "Måltal", "Forskel"],
}
# Each table's headings, whether each is drawn, and whether it lies inside the table's box.
HEADINGS = """() => [...document.querySelectorAll('table')].map(t => {
  const box = (t.closest('.scroll') || t.parentElement).getBoundingClientRect();
  const cue = getComputedStyle(t.querySelector('caption') || t, '::after').content;
  return { id: t.id, wider: t.scrollWidth > box.width + 1, cue: cue && cue !== 'none' && cue !== 'normal',
           sticky: getComputedStyle(t.querySelector('tr > :first-child')).position === 'sticky',
           columns: [...t.querySelectorAll('thead th')].map(h => {
             const r = h.getBoundingClientRect();
             return { name: h.textContent.replace(/\\u00ad/g, '').trim(), drawn: r.width > 0, inside: r.right <= box.right + 1 };
           }) };
})"""


@pytest.fixture(scope="module")
def pages(sample_run, tmp_path_factory):
    out = tmp_path_factory.mktemp("phone")
    render_report(sample_run.settings, 169, 2024, out / "rapport.html")
    return [out / "rapport.html", render_overview(sample_run.settings, 2024, out / "oversigt.html")]


def _tables(browser, path):  # noqa: F811
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(path.as_uri(), wait_until="load")
    tables = {t["id"]: t for t in page.evaluate(HEADINGS)}
    page.close()
    return tables


def test_key_columns_are_on_the_screen(pages, browser):  # noqa: F811
    tables = {**_tables(browser, pages[0]), **_tables(browser, pages[1])}
    for table_id, wanted in KEY_COLUMNS.items():
        columns = {c["name"]: c for c in tables[table_id]["columns"]}
        for name in wanted:
            assert columns[name]["drawn"] and columns[name]["inside"], f"{table_id}: {name} is off the screen"


@pytest.mark.parametrize("which", [0, 1], ids=["report", "overview"])
def test_a_table_wider_than_the_screen_says_so(pages, browser, which):  # noqa: F811
    tables = _tables(browser, pages[which])
    wide = [t for t in tables.values() if t["wider"]]
    assert wide, "no table is wider than a phone: the test would prove nothing"
    for t in wide:
        assert t["cue"], f"{t['id']} scrolls sideways without saying so"
        assert t["sticky"], f"{t['id']}: its first column scrolls out of view"
    for t in tables.values():
        if not t["wider"]:
            assert not t["cue"], f"{t['id']} fits, yet says it scrolls"
