"""Report details that need no browser: escaping, suppression, Danish formats, embedding."""

from __future__ import annotations

from datetime import datetime

import duckdb
import pandas as pd

from overgang.numbers import da_int, da_pct, da_pp
from overgang.stats import wilson_interval
from overgang.suppression import intervals
from reports.render import load_report_data, render_html


def test_danish_number_formats():
    assert da_pct(16.1) == "16,1 %"
    assert da_pct(23.66) == "23,7 %"
    assert da_pct(28, 0) == "28 %"
    assert da_int(3443) == "3.443"
    assert da_pp(-4.3) == "−4,3 procentpoint"
    assert da_pct(None) == "–"


def test_markup_in_names_is_escaped(sample_run):
    with duckdb.connect(str(sample_run.settings.warehouse), read_only=True) as con:
        data = load_report_data(con, 169, 2024, sample_run.settings)
    data.kommune_name = "<script>alert('x')</script>Høje"
    data.schools.loc[0, "school_name"] = "</script><script>alert(2)</script><b>Skole</b>"
    html = render_html(data, datetime(2026, 11, 23, 14, 5))
    body = html.split("</head>", 1)[1]
    assert "<script>alert" not in body and "<b>Skole" not in body
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;Høje" in body
    assert "&lt;b&gt;Skole&lt;/b&gt;" in body
    assert "23. november 2026 kl. 14.05" in body


def test_plotly_embedded_once_and_no_external_resources(sample_run):
    report = next(sample_run.settings.reports_dir.glob("rapport_169_*.html")).read_text(encoding="utf-8")
    # The basic partial bundle (reports/vendor/), once: 1.2 MB rather than the full 4.8 MB.
    assert report.count("plotly.js (basic - minified) v") == 1 and report.count("Copyright 2012-") == 1
    assert len(report.encode("utf-8")) < 2_000_000
    # plotly.js mentions its CDN in library code; the page itself loads nothing from outside
    # (the browser test blocks and counts every request).
    assert "<script src=" not in report and "<link " not in report
    body = report.split("</head>", 1)[1]
    assert "cdn.plot.ly" not in body and 'src="http' not in body


def test_small_counts_blanked_in_published_group_table(sample_run):
    with duckdb.connect(str(sample_run.settings.warehouse), read_only=True) as con:
        data = load_report_data(con, 169, 2024, sample_run.settings)
        raw = con.execute("""SELECT applicants FROM application_shares s JOIN education_groups g ON g."group" = s.education_group
                             WHERE kommune_code = 169 AND year = 2024 AND grade = '9+10' AND geography_basis = 'school'
                             AND education_group <> 'TIENDE' ORDER BY g.sort_order""").df()["applicants"]
    # By hand from the warehouse: FGU 9, STU 4, øvrigt 18; Øvrige (31) is shown in the trend.
    # STU is "<5"; Øvrige - øvrigt = FGU + STU = 13 would reveal it, so FGU is hidden too ("x").
    assert list(raw) == [101, 294, 9, 4, 18]
    assert list(data.groups["label"]) == [None, None, "x", "<5", None]
    assert not data.groups["applicants"].dropna().astype(int).between(0, 4).any()
    pub = data.cells[(169, 2024)]
    # FGU + STU = 13 with STU 0-4: FGU is 9-13, STU 0-4 (any of five values).
    assert intervals(pub.cube, pub.labels) == {"g/FGU": (9, 13), "g/STU": (0, 4)}
    assert data.denominator == 426


def test_school_table_suppressed_by_hand(sample_run):
    with duckdb.connect(str(sample_run.settings.warehouse), read_only=True) as con:
        schools = load_report_data(con, 169, 2024, sample_run.settings).schools.set_index("school_institution_number")
    # Counts (EUD, GYM, Øvrige) from the warehouse: 169001 16/42/3, 169002 11/37/2, 169003 11/46/5,
    # 169004 12/41/5, 169005 51/128/16. 169001 and 169002 have a group under 5: they are pooled
    # ("Øvrige skoler (2)": 27/79/5 of 111), which can be shown whole; nothing is hidden.
    assert list(schools.index) == ["169005", "169003", "169004", "pool"]
    assert schools.loc["pool", "school_name"] == "Øvrige skoler (2)" and schools.loc["pool", "denominator"] == 111
    assert round(schools.loc["pool", "OEVRIGE"], 1) == 4.5
    assert not schools[["label_EUD", "label_GYM", "label_OEVRIGE", "label_n"]].notna().any().any()
    # 11 of 62 leavers: Wilson 95 % interval 10.2 %-29.0 %.
    assert schools.loc["169003", "EUD"] == 17.7
    assert (schools.loc["169003", "EUD_low"], schools.loc["169003", "EUD_high"]) == (10.2, 29.0)


def test_wilson_interval_by_hand():
    # k=16, n=61: p=0.2623, centre 0.2764, half-width 0.1080.
    low, high = wilson_interval(16, 61)
    assert (round(low, 2), round(high, 2)) == (16.84, 38.44)
    assert wilson_interval(0, 20)[0] == 0 and wilson_interval(20, 20)[1] == 100


def test_action_plan_flag_below_ten_percent(sample_run):
    with duckdb.connect(str(sample_run.settings.warehouse), read_only=True) as con:
        data = load_report_data(con, 169, 2024, sample_run.settings)
    assert 'id="action-plan"' not in render_html(data, datetime(2026, 1, 1))
    data.series["EUD"].loc[data.series["EUD"].year == 2024, "kommune"] = 9.9
    assert 'id="action-plan"' in render_html(data, datetime(2026, 1, 1))


def _parts():
    """The report parts a goal card reads, for 2024 (EUD 23,7 % against a måltal of 28 %)."""
    from reports.indicators import CardInputs

    return CardInputs(
        series={"EUD": pd.DataFrame({"year": [2024], "kommune": [23.7], "national": [20.0], "target": [28.0]})},
        groups=pd.DataFrame(),
        denominator=None,
        completion=pd.DataFrame(),
        completion_year=None,
        extract_years={2024},
    )


def test_goal_added_by_an_analyst_gets_a_card(sample_run):
    with duckdb.connect(str(sample_run.settings.warehouse), read_only=True) as con:
        goals = con.execute("SELECT * FROM goals").df()
    extra = goals.iloc[[0]].assign(
        goal_id="htk_transition_90",
        indicator="transition_15_months",
        indicator_kind="transition",
        description_da="90 % i uddannelse 15 måneder efter 9. klasse",
    )
    from reports.indicators import goal_cards

    cards = goal_cards(
        None,
        _parts(),
        extra,
        {"k": 169, "y": 2024},
    )
    assert [c.status for c in cards if c.goal_id == "htk_transition_90"] == ["Ingen data"]


def test_a_new_kind_of_goal_is_one_registered_indicator(sample_run):
    """Issue 14: a new goal is a goals.csv row plus at most one indicator function; its card is
    judged by the shared status rule."""
    from reports.indicators import INDICATORS, GoalCard, goal_cards, indicator, status

    with duckdb.connect(str(sample_run.settings.warehouse), read_only=True) as con:
        goals = con.execute("SELECT * FROM goals").df()
    extra = goals.iloc[[0]].assign(
        goal_id="htk_transition_90", indicator="transition_15_months", indicator_kind="transition", target_pct=90.0
    )

    @indicator("transition_15_months", extra.iloc[0].scope)
    def transition(ctx, g):
        return GoalCard(
            g.goal_id,
            g.description_da,
            "overgang",
            91.5,
            "",
            None,
            g.target_pct,
            None,
            *status(91.5, g.target_pct, year=ctx.year),
        )

    try:
        cards = goal_cards(None, _parts(), extra, {"k": 169, "y": 2024})
    finally:
        del INDICATORS[("transition_15_months", extra.iloc[0].scope)]
    assert [(c.status, c.value) for c in cards if c.goal_id == "htk_transition_90"] == [("Nået", 91.5)]
