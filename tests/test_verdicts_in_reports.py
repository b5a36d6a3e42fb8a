"""Every report of the sample (every kommune, every year 2015-2025) against the verdict rule:
no goal judged on a figure from after its deadline, no projection resting on fewer than 4 points
or on points from both sides of the series break, and the small words a council reads right."""

from __future__ import annotations

import re

import pytest

from overgang.settings import series_break_year
from reports.audit import chart_data


@pytest.fixture(scope="module")
def every_page(every_sample_report):
    """(kommune, year, data, page) for every kommune and year of the sample, rendered once per
    session (tests/conftest.py: every_sample_report)."""
    return [(r.kommune, r.year, r.data, r.page()) for r in every_sample_report]


def test_no_goal_is_judged_on_a_later_years_figure(every_page):
    brk = series_break_year("application_shares")
    judged_at_deadline = projected = 0
    for k, year, data, _page in every_page:
        deadlines = {g["goal_id"]: g["deadline_year"] for g in data.goals.to_dict("records")}
        for card in data.goal_cards:
            v = card.verdict
            deadline = deadlines.get(card.goal_id)
            label_years = [int(x) for x in re.findall(r"\b(20\d\d)\b", card.value_label)]
            if deadline is not None and year >= deadline and v is not None:
                # Nothing after the deadline decides the verdict or is shown as the goal's figure.
                assert v.year <= deadline and v.projection is None, (k, year, card.goal_id, v)
                assert all(y <= deadline for y in label_years), (k, year, card.goal_id, card.value_label)
                if year > deadline:
                    # Past the deadline: judged on the deadline year's figure, and saying so.
                    assert v.year == deadline, (k, year, card.goal_id, v)
                    assert str(deadline) in card.status, (k, year, card.status)
                    judged_at_deadline += 1
            if v is not None and v.year is not None:
                assert v.year <= year, (k, year, card.goal_id, v)
            p = v and v.projection
            if p:
                projected += 1
                # At least 4 points, all of one series (one side of the break), none after the report year.
                assert len(p.years) >= 4, (k, year, card.goal_id, p.years)
                assert max(p.years) <= year
                assert all(y >= brk for y in p.years) or all(y < brk for y in p.years), (k, year, p.years)
                assert card.status in ("På vej", "Ikke på vej", "Usikkert")
                assert f"({len(p.years)} år i samme dataserie)" in card.note
            if card.status in ("På vej", "Ikke på vej", "Usikkert"):
                assert p, (k, year, card.goal_id, card.status)
    # The sample has deadlines passed (2020) and projections to check.
    assert judged_at_deadline > 20 and projected > 5


def test_esbjerg_2022_is_judged_on_2020(every_page):
    """The issue's case: Esbjerg's 2022 report judged the 25 %-in-2020 goal on 2022's 25,0 %."""
    (data, page), *_ = [(d, p) for k, y, d, p in every_page if k == 561 and y == 2022]
    card = next(c for c in data.goal_cards if c.goal_id == "national_eud_25_2020")
    truth = data.series["EUD"].set_index("year")["kommune"][2020]
    assert card.verdict.year == 2020 and card.value == truth
    assert re.sub(
        r"<[^>]+>", "", str(card.status)
    ) == f"{'Nået' if truth >= 25 else 'Ikke nået'} i 2020 ({truth:.1f} %)".replace(".", ",")
    # The figure in the verdict is tied to its protected cell (the audit reads it).
    assert 'data-cell="561/2020/g/EUD"' in str(card.status)


def test_projections_are_drawn_as_a_band_to_the_deadline(every_page):
    drawn = 0
    for k, year, data, page in every_page:
        p = next((c.projection for c in data.goal_cards if c.kind == "søgning" and c.projection), None)
        traces = chart_data(page)["chart-eud"]
        band = [t for t in traces if str(t.get("name", "")).startswith("Fremskrivning") and t.get("fill")]
        if p is None:
            assert not band, (k, year)
            continue
        drawn += 1
        (t,) = band
        assert t["x"][-1] == p.deadline and t["x"][0] == max(p.years)
        assert t["y"][-1] == round(p.high, 1)
    assert drawn > 5


def test_the_small_words(every_page):
    for k, year, data, page in every_page:
        text = re.sub(r"<[^>]+>", "", page)
        # Genitive: "Stevns'", never "Stevnss"; no doubled "eller landsgennemsnittet".
        assert not re.search(r"[sxzSXZ]s grundskoler", page), (k, year)  # the charts' labels too
        assert "landsgennemsnittet) (eller landsgennemsnittet)" not in text
        assert "landsgennemsnittet, gennemfører en ungdomsuddannelse (eller landsgennemsnittet)" not in text
        # The schools' caption is a range at one time, not a change, and a pool is not one of its ends.
        assert "EUD-andelen på skolerne gik" not in text, (k, year)
        m = re.search(
            r"Blandt de (\d+) skoler med egne tal lå EUD-andelen i \d+ mellem ([^()]+) \(([^)]+)\) og ([^()]+) \(([^)]+)\)",
            text,
        )
        if m:
            own = data.schools[data.schools["row_key"] != "pool"]
            assert int(m.group(1)) == int((own["EUD"].notna() & own["label_EUD"].isna()).sum())
            assert not m.group(3).startswith("Øvrige") and not m.group(5).startswith("Øvrige"), (k, year, m.group(0))
        # A hidden group has no bar, and its mark stands where the bar would be.
        hidden = [lbl for lbl in data.groups["label"] if isinstance(lbl, str)]
        marks = _chart_annotations(page, "chart-groups")
        assert sorted(marks) == sorted(hidden), (k, year, marks, hidden)


def _chart_annotations(page: str, chart: str) -> list[str]:
    import json

    m = re.search(r'Plotly\.newPlot\(\s*"' + chart + r'",\s*', page)
    decoder = json.JSONDecoder()
    _, end = decoder.raw_decode(page, m.end())
    layout, _ = decoder.raw_decode(page, page.index("{", end))
    return [a["text"].replace("\\u003c", "<") for a in layout.get("annotations", [])]


def test_the_break_note_sits_under_the_eud_chart(every_page):
    brk = series_break_year("application_shares")
    for k, year, _data, page in every_page:
        if year <= brk:
            continue
        table_end = page.index("</figure>", page.index('id="fig-eud"'))
        note = page.index('id="note-break"')
        # Nothing but the note between the EUD chart's figure and the note.
        assert page[table_end + len("</figure>") : note].strip() == '<p class="note"', (k, year)
        assert f"ændringen fra {brk} til {brk + 1} skyldes ikke databruddet" in page[note : note + 800]


def test_the_workbook_says_the_pages_verdicts(every_page):
    """One rule, every surface: the workbook's goal sheet has each card's verdict word for word."""
    import html as htmllib

    from reports.render import report_tables

    for k, year, data, page in every_page:
        sheet = report_tables(data)["Målsætninger"]
        assert len(sheet) == len(data.goal_cards)
        for card, row in zip(data.goal_cards, sheet):
            block = page.split(f'id="card-{card.goal_id}"', 1)[1]
            status = re.search(r'<div class="status [^"]*">(.*?)</div>', block, re.S).group(1)
            assert row["Status"] == htmllib.unescape(re.sub(r"<[^>]+>", "", status)).strip(), (k, year, card.goal_id)
            if card.projection is not None:
                assert row["Prædiktionsinterval, nedre (%)"] == round(card.projection.low, 1)
