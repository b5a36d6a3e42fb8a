"""The national overview compares kommuner with a funnel plot, not a league table: in Chromium the
funnel is drawn with its limits, the national line and its axis titles, and axe finds nothing
serious; each kommune is grouped over / within / under by limits checked here with scipy's
binomial (independent of reports/funnel.py); no rank numbers; hidden kommuner are not on it.
Without a published national share there is no funnel, and the page says why."""

from __future__ import annotations

import json
from datetime import datetime

import duckdb
import pandas as pd
import pytest
from axe_playwright_python.sync_playwright import Axe
from scipy.stats import binom

from reports.data import load_report_data
from reports.overview import OverviewRow, kommuner_with_data, render_overview, render_overview_html
from tests.test_report_browser import browser  # noqa: F401  (the shared Chromium fixture)

WITH_NATIONAL = 2023  # data/reference/published_figures.csv: EUD 19,4 % nationally
WITHOUT_NATIONAL = 2025  # no published national figure for 2025


def _spiegelhalter(p0: float, n: int, prob: float) -> float:
    r = binom.ppf(prob, n, p0)
    alpha = (binom.cdf(r, n, p0) - prob) / binom.pmf(r, n, p0)
    return max(0.0, 100 * (r - alpha) / n)


@pytest.fixture(scope="module")
def pages(sample_run, tmp_path_factory):
    settings = sample_run.settings
    out = tmp_path_factory.mktemp("overview")
    shown = {}
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        for year in (WITH_NATIONAL, WITHOUT_NATIONAL):
            for k in kommuner_with_data(con, year):
                data = load_report_data(con, k, year, settings)
                eud = data.series["EUD"].set_index("year")
                share = eud["kommune"].get(year)
                hidden = share is None or share != share or data.denominator_label is not None
                shown[(year, k)] = None if hidden else (float(share), int(data.denominator))
    return {
        y: render_overview(settings, y, out / f"landsoversigt_{y}.html") for y in (WITH_NATIONAL, WITHOUT_NATIONAL)
    }, shown


def _chart_data(path, div_id):
    html = path.read_text(encoding="utf-8").split("</head>", 1)[1]
    script = html.split(f'id="{div_id}"', 1)[1].split("</script>", 1)[0]
    return json.loads(script.split(f'Plotly.newPlot("{div_id}", ', 1)[1].split(", {", 1)[0])


def _rows(page):
    return page.locator("#table-kommuner tbody tr[data-kommune]").evaluate_all(
        """rows => rows.map(r => ({kommune: +r.dataset.kommune, group: r.closest('tbody').dataset.group,
             name: r.children[0].innerText, leavers: r.querySelector('.leavers').innerText,
             share: r.querySelector('.share').innerText, placement: r.querySelector('.placement').innerText}))"""
    )


def test_the_overview_draws_a_labelled_funnel_and_is_axe_clean(pages, browser):  # noqa: F811
    paths, _ = pages
    page = browser.new_page(viewport={"width": 1100, "height": 1400})
    page.goto(paths[WITH_NATIONAL].as_uri(), wait_until="load")
    page.wait_for_selector("#chart-funnel .main-svg")
    svg = page.locator("#chart-funnel").inner_text() + " ".join(page.locator("#chart-funnel text").all_text_contents())
    for label in ("95 %-grænser", "99,8 %-grænser", "Hele landet (19,4 %)", "Antal afgangselever", "EUD-andel"):
        assert label in svg, f"the funnel has no {label!r}"
    assert page.locator("#chart-funnel .scatterlayer .trace").count() >= 6  # 4 limits, national, kommuner
    assert page.locator("#chart-funnel .scatterlayer .point").count() > 0
    assert "Tragtdiagram" in page.locator("#fig-funnel figcaption").inner_text()
    violations = Axe().run(page).response["violations"]
    serious = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in violations]
    assert [s for s in serious if s[1] in ("serious", "critical")] == [], serious
    page.close()


def test_kommuner_are_grouped_by_the_funnel_limits_not_ranked(pages, browser):  # noqa: F811
    paths, shown = pages
    page = browser.new_page()
    page.goto(paths[WITH_NATIONAL].as_uri(), wait_until="load")
    rows = _rows(page)
    heads = page.locator("#table-kommuner thead th").all_inner_texts()
    page.close()
    assert "Nr." not in heads and "Rangering" not in paths[WITH_NATIONAL].read_text(encoding="utf-8")
    groups = {}
    for r in rows:
        groups.setdefault(r["group"], []).append(r["name"])
        figure = shown[(WITH_NATIONAL, r["kommune"])]
        if figure is None:
            assert r["group"] == "ingen" and r["placement"] == "–"
            continue
        share, n = figure
        assert r["share"] == f"{share:.1f} %".replace(".", ",") and r["leavers"].replace(".", "") == str(n)
        low, high = _spiegelhalter(0.194, n, 0.025), _spiegelhalter(0.194, n, 0.975)
        low998, high998 = _spiegelhalter(0.194, n, 0.001), _spiegelhalter(0.194, n, 0.999)
        expected = "over" if share > high else "under" if share < low else "within"
        assert r["group"] == expected, (r, low, high)
        assert r["placement"].endswith("(også uden for 99,8 %-grænsen)") == (share > high998 or share < low998)
    # Within a group by name, never by share. (The sample's shown kommuner all lie within the
    # limits: Høje-Taastrup's 16,1 % of 428 is inside 15,8-23,3 %; over and under are below.)
    assert all(names == sorted(names) for names in groups.values())
    assert {"within", "ingen"} <= set(groups)


def _row(code, name, share, n, region="Region Sjælland"):
    return OverviewRow(code, name, region, share, None, None, f"rapport_{code}.html", pd.DataFrame(), leavers=n)


def test_over_and_under_are_drawn_and_listed_apart(browser, tmp_path):  # noqa: F811
    # The sizes around 19,4 %: 24,1 % of 453 is over, 12,0 % of 453 under and beyond
    # 99,8 %, 30,4 % of 23 (7 pupils) within; the larger kommune's 24,1 % is no "rank 2".
    rows = [_row(1, "Stor A", 24.1, 453), _row(2, "Stor B", 12.0, 453), _row(3, "Lille", 30.4, 23)]
    path = tmp_path / "o.html"
    path.write_text(render_overview_html(rows, 2023, 19.4, datetime(2026, 5, 1)), encoding="utf-8")
    page = browser.new_page(viewport={"width": 1100, "height": 1400})
    page.goto(path.as_uri(), wait_until="load")
    page.wait_for_selector("#chart-funnel .main-svg")
    listed = {r["name"]: (r["group"], r["placement"]) for r in _rows(page)}
    assert listed == {
        "Stor A": ("over", "Over forventet"),
        "Stor B": ("under", "Under forventet (også uden for 99,8 %-grænsen)"),
        "Lille": ("within", "Inden for forventet"),
    }
    legend = " ".join(page.locator("#chart-funnel .legend text").all_text_contents())
    assert all(g in legend for g in ("Over forventet", "Inden for forventet", "Under forventet"))
    assert page.locator("#table-kommuner tbody tr.group th").all_inner_texts() == [
        "Over forventet (1)",
        "Inden for forventet (1)",
        "Under forventet (1)",
    ]
    violations = Axe().run(page).response["violations"]
    assert [v["id"] for v in violations if v["impact"] in ("serious", "critical")] == []
    page.close()
    # Beyond 99,8 %: the larger point with the heavier edge, as the caption says.
    sizes = {t["name"]: t["marker"]["size"] for t in _chart_data(path, "chart-funnel") if t.get("mode") == "markers"}
    assert sizes == {"Over forventet": [9], "Inden for forventet": [9], "Under forventet": [12]}


def test_a_hidden_kommune_is_not_on_the_funnel(pages):
    paths, shown = pages
    data = _chart_data(paths[WITH_NATIONAL], "chart-funnel")
    points = {(name, x, y) for t in data if t.get("mode") == "markers" for name, x, y in zip(t["text"], t["x"], t["y"])}
    hidden = [k for (y, k), v in shown.items() if y == WITH_NATIONAL and v is None]
    assert hidden, "the sample has kommuner whose EUD share is hidden: the test must see one"
    with duckdb.connect() as con:
        names = dict(
            con.execute("SELECT kommune_code, kommune_name FROM read_csv('data/reference/kommuner.csv')").fetchall()
        )
    assert not {names[k] for k in hidden} & {p[0] for p in points}
    on_funnel = {names[k]: v for (y, k), v in shown.items() if y == WITH_NATIONAL and v is not None}
    assert {(p[0], p[1], p[2]) for p in points} == {(k, n, round(s, 1)) for k, (s, n) in on_funnel.items()}


def test_without_a_published_national_share_there_is_no_funnel_and_no_ranking(pages, browser):  # noqa: F811
    paths, _ = pages
    page = browser.new_page()
    page.goto(paths[WITHOUT_NATIONAL].as_uri(), wait_until="load")
    assert page.locator("#chart-funnel").count() == 0
    assert "ikke indlæst et offentliggjort landstal for 2025" in page.locator("#funnel-missing").inner_text()
    rows = _rows(page)
    page.close()
    assert rows and {r["group"] for r in rows} == {"ingen"} and {r["placement"] for r in rows} == {"–"}
    assert [r["name"] for r in rows] == sorted(r["name"] for r in rows)
