"""Reports for every sample kommune and for an early, a middle, the break and the latest year:
no "Ingen data" card where the warehouse has the figure, charts that stop at the report year,
the 2023 break marked where last year is compared across it, and a missing year said in words."""

from __future__ import annotations

import re
from datetime import datetime

import duckdb

from reports.audit import chart_data
from reports.data import load_report_data
from reports.render import render_html

WHEN = datetime(2026, 5, 1, 12, 0)


def test_every_kommune_and_year_has_its_cards(sample_run):
    with duckdb.connect(str(sample_run.settings.warehouse), read_only=True) as con:
        kommuner = [
            k
            for (k,) in con.execute(
                "SELECT DISTINCT kommune_code FROM application_shares WHERE kommune_code <> 0 ORDER BY 1"
            ).fetchall()
        ]
        latest = con.execute("SELECT max(year) FROM application_shares").fetchone()[0]
        assert latest == 2025  # the sample's newest year (data/sample/manifest.csv)
        completion_from = con.execute("SELECT min(year) FROM completion_status").fetchone()[0]
        checked = 0
        for k in kommuner:
            for year in (2015, 2019, 2023, latest):
                data = load_report_data(con, k, year, sample_run.settings)
                page = render_html(data, WHEN)
                indicator = dict(zip(data.goals["goal_id"], data.goals["indicator"]))
                eud = data.series["EUD"].set_index("year")
                eud_shown = (
                    year in eud.index
                    and eud.loc[year, "kommune"] is not None
                    and eud.loc[year, "kommune"] == eud.loc[year, "kommune"]
                )
                for card in data.goal_cards:
                    # A card shows nothing measured after the report year (a 2019 report, 2023's figure).
                    later = [y for y in re.findall(r"\b(20\d\d)\b", card.value_label) if int(y) > year]
                    assert not later, f"{k} {year}: {card.goal_id} shows {card.value_label!r}"
                    if card.status != "Ingen data":
                        continue
                    # Only a goal with nothing to measure it by may say so.
                    kind = indicator.get(card.goal_id)
                    has = {
                        "eud_application_share": eud_shown,
                        "completed_youth_education": completion_from is not None and completion_from <= year,
                    }.get(kind, False)
                    assert not has, f"{k} {year}: {card.goal_id} says 'Ingen data' but the warehouse has it"
                # Charts stop at the report year; only next year's måltal lies beyond it.
                for chart, traces in chart_data(page).items():
                    for trace in traces:
                        xs = [x for x in trace.get("x") or [] if isinstance(x, int)]
                        if chart.startswith("chart-") and chart[6:] in ("eud", "gym", "oevrige") and xs:
                            beyond = [x for x in xs if x > year]
                            # Beyond it only next year's måltal and a projection's band up to its deadline.
                            band = str(trace.get("name", "")).startswith("Fremskrivning")
                            assert (
                                not beyond or band or (trace["name"].endswith("(kommende)") and beyond == [year + 1])
                            ), (
                                k,
                                year,
                                chart,
                                trace["name"],
                                xs,
                            )
                # Last year compared across the break is marked on the card.
                compared = any(c.previous is not None for c in data.goal_cards)
                assert ('class="note break-caveat"' in page) == (year == 2023 and compared), (k, year)
                # The break is drawn only where the chart spans it (a 2015 report's axis stays in 2015).
                assert ('"text":"Databrud 2023"' in page) == (year >= 2023), (k, year)
                checked += 1
    assert checked == 4 * len(kommuner) >= 80


def test_a_missing_year_is_said_not_skipped(sample_run):
    with duckdb.connect(str(sample_run.settings.warehouse), read_only=True) as con:
        data = load_report_data(con, 169, 2024, sample_run.settings)
    # As a warehouse without the 2019 extract would give it: no row for 2019 in any series.
    for group, frame in data.series.items():
        data.series[group] = frame[frame.year != 2019].reset_index(drop=True)
    page = render_html(data, WHEN)
    eud = page.split('id="fig-eud"', 1)[1].split("</figure>", 1)[0]
    assert "Der er ingen tal for 2019" in eud
    row = re.search(r"<tr><td>2019</td>(.*?)</tr>", eud, re.S).group(1)
    assert "ingen data" in row
    assert 'id="missing-years"' in page and "ingen søgetal for 2019" in page
    # The line has a hole at 2019 (a null point), not a straight line across it.
    trace = chart_data(page)["chart-eud"][0]
    assert trace["x"][trace["x"].index(2019)] == 2019 and trace["y"][trace["x"].index(2019)] is None
