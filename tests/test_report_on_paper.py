"""The council report on paper (Chromium's PDF, read back with pdftotext, and the page laid out
for print): the goal cards keep what makes them honest (whose figure, which year, national or
not, background only), the synthetic-data mark is part of page 1 and of every page's header but
never over the title, and no trend table or axis title is cut at the edge of the page."""

from __future__ import annotations

import pytest

from reports.render import render_report
from tests.paper import COVERED, lay_out_for_print, pdf_pages, squeeze
from tests.test_report_browser import browser  # noqa: F401  (the shared Chromium fixture)
from tests.test_report_pages import OVERLAPS

TITLE = "Søgning til ungdomsuddannelserne 2024"


@pytest.fixture(scope="module")
def printed(sample_run, browser, tmp_path_factory):  # noqa: F811
    path = render_report(sample_run.settings, 169, 2024, tmp_path_factory.mktemp("paper") / "r.html")
    page = browser.new_page(viewport={"width": 1100, "height": 1400})
    page.goto(path.as_uri(), wait_until="load")
    page.wait_for_selector("#chart-eud .main-svg")
    cards = page.evaluate(
        "() => [...document.querySelectorAll('.card')].map(c => [c.id, c.querySelector('.label').innerText,"
        " [...c.querySelectorAll('p.note')].map(n => n.innerText)])"
    )
    pdf = page.pdf(format="A4", print_background=True)
    page.close()
    return path, cards, pdf_pages(pdf)


def test_goal_cards_keep_their_labels_and_caveats_on_paper(printed):
    _, cards, pages = printed
    first = squeeze(pages[0])
    assert len(cards) == 4
    for card_id, label, notes in cards:
        assert squeeze(label) in first, f"{card_id}: its label {label!r} is not printed"
        for note in notes:
            assert squeeze(note) in first, f"{card_id}: its caveat {note!r} is not printed"
    # Said in words a councillor reads: whose figure and which year; national figures say so.
    assert "18–25-årige med fuldført ungdomsuddannelse (2024)" in first
    assert first.count("hele landet (2023)") == 2


def test_council_text_has_no_instruction_to_the_analyst(printed):
    path, cards, _ = printed
    html = path.read_text(encoding="utf-8")
    for instruction in ("kræver profilmodellen", "indlæs den", "ikke indlæst for kommunen"):
        assert instruction not in html
    completion = next(c for c in cards if c[0] == "card-htk_completion_95")
    assert "vides ikke endnu" in " ".join(completion[2])


def test_synthetic_mark_is_above_the_title_on_paper_and_on_every_page(printed):
    _, _, pages = printed
    lines = [squeeze(line) for line in pages[0].splitlines() if line.strip()]
    assert TITLE in lines, f"the title is not a line of its own on page 1: {lines[:8]}"
    mark = next(i for i, line in enumerate(lines) if line.startswith("Syntetiske data"))
    assert mark < lines.index(TITLE)
    for n, text in enumerate(pages, start=1):
        assert "SYNTETISKE DATA – ikke rigtige tal" in text, f"page {n} does not say the data are synthetic"


def test_nothing_covers_the_title_when_printed(printed, browser):  # noqa: F811
    page = browser.new_page()
    page.goto(printed[0].as_uri(), wait_until="load")
    page.wait_for_selector("#chart-eud .main-svg")
    lay_out_for_print(page)
    mark, title = page.locator("#synthetic-mark").bounding_box(), page.locator("h1").bounding_box()
    assert mark["y"] + mark["height"] <= title["y"], (mark, title)
    assert page.evaluate(COVERED, "h1") == []
    assert page.evaluate("() => getComputedStyle(document.getElementById('synthetic-mark')).position") == "static"
    page.close()


def test_trend_tables_and_axis_titles_are_whole_on_paper(printed, browser):  # noqa: F811
    _, _, pages = printed
    assert "Kilde" in pages[0] and "udtræk" in pages[0], "the trend table's last column is cut on paper"
    page = browser.new_page()
    page.goto(printed[0].as_uri(), wait_until="load")
    page.wait_for_selector("#chart-eud .main-svg")
    lay_out_for_print(page)
    cut = page.evaluate(
        """(width) => [...document.querySelectorAll('figure.trend')].flatMap(f => {
             const box = f.getBoundingClientRect();
             return [...f.querySelectorAll('th, td')].filter(c => c.getBoundingClientRect().right > Math.min(box.right, width) + 1)
               .map(c => `${f.id}: "${c.innerText}" reaches past the page`);
           })""",
        page.viewport_size["width"],
    )
    assert cut == []
    assert page.evaluate(OVERLAPS) == []
    page.close()
