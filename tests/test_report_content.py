"""Report details that need no browser: escaping, suppression, Danish formats, embedding."""

from __future__ import annotations

from datetime import datetime

import duckdb
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from overgang.numbers import da_int, da_pct, da_pp
from overgang.stats import wilson_interval
from overgang.suppression import recoverable, suppress_counts, suppress_table, total_withheld
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
    # By hand from the warehouse: FGU 9, STU 4 -> STU is "<5" and FGU, the smallest other, is blanked too.
    assert list(raw) == [101, 294, 9, 4, 18]
    assert list(data.groups["blanked"]) == [False, False, True, True, False]
    assert not data.groups["applicants"].dropna().astype(int).between(1, 4).any()
    assert not recoverable(raw, data.groups["blanked"]) and data.denominator == 426


@given(st.lists(st.integers(min_value=0, max_value=60), min_size=2, max_size=8))
def test_suppression_property(counts):
    series = pd.Series(counts)
    blank = suppress_counts(series)
    assert not series[~blank].between(1, 4).any()
    # Either the total can be published without revealing any blanked cell, or it is withheld.
    assert not recoverable(series, blank) or total_withheld(series, blank)
    if blank.any() and not total_withheld(series, blank):
        # By brute force: more than one value of every blanked cell fits the total and the labels.
        hidden = series[blank]
        for i in hidden.index:
            lo, hi = (1, 4) if hidden[i] < 5 else (5, int(hidden.sum()))
            others = hidden.drop(i)
            o_lo = sum(1 if v < 5 else 5 for v in others)
            o_hi = sum(4 if v < 5 else int(hidden.sum()) for v in others)
            fits = [x for x in range(lo, hi + 1) if o_lo <= hidden.sum() - x <= o_hi]
            assert len(fits) > 1, (counts, i, fits)


def test_suppression_cases_by_hand():
    # 3 is blanked; the total 53 would reveal it, so the next smallest (20) goes too.
    assert list(suppress_counts(pd.Series([30, 3, 20]))) == [False, True, True]
    # Two cells of 1: total of blanks is 2, so both must be 1; a third cell is blanked.
    assert list(suppress_counts(pd.Series([1, 1, 40, 9]))) == [True, True, False, True]
    assert not suppress_counts(pd.Series([0, 12, 40])).any()


def test_school_table_suppressed_by_hand(sample_run):
    with duckdb.connect(str(sample_run.settings.warehouse), read_only=True) as con:
        schools = load_report_data(con, 169, 2024, sample_run.settings).schools.set_index("school_institution_number")
    # Counts (EUD, GYM, Øvrige) from the warehouse: 169001 16/42/3, 169002 11/37/2, 169003 11/46/5,
    # 169004 12/41/5, 169005 51/128/16. Øvrige 3 and 2 are "<5"; each school's total would reveal
    # them, so its next smallest cell (EUD 16 and 11) is blanked as well. Column totals then leave
    # every blanked cell with more than one possible value.
    blanked = schools[["blanked_EUD", "blanked_GYM", "blanked_OEVRIGE"]]
    assert blanked.loc["169001"].tolist() == [True, False, True]
    assert blanked.loc["169002"].tolist() == [True, False, True]
    assert not blanked.loc[["169003", "169004", "169005"]].any().any()
    # 11 of 62 leavers: Wilson 95 % interval 10.2 %-29.0 %.
    assert round(schools.loc["169003", "EUD"], 1) == 17.7
    assert (round(schools.loc["169003", "EUD_low"], 1), round(schools.loc["169003", "EUD_high"], 1)) == (10.2, 29.0)


def test_wilson_interval_by_hand():
    # k=16, n=61: p=0.2623, centre 0.2764, half-width 0.1080.
    low, high = wilson_interval(16, 61)
    assert (round(low, 2), round(high, 2)) == (16.84, 38.44)
    assert wilson_interval(0, 20)[0] == 0 and wilson_interval(20, 20)[1] == 100


@given(st.lists(st.lists(st.integers(min_value=0, max_value=40), min_size=3, max_size=3), min_size=1, max_size=6))
def test_table_suppression_property(rows):
    counts = pd.DataFrame(rows, columns=["EUD", "GYM", "OEVRIGE"])
    blank = suppress_table(counts)
    assert not counts[~blank].stack().between(1, 4).any()
    # No row total and no column total pins down a blanked cell (where blanking can prevent it).
    for i in counts.index:
        assert not recoverable(counts.loc[i], blank.loc[i]) or total_withheld(counts.loc[i], blank.loc[i])
    for column in counts.columns:
        assert not recoverable(counts[column], blank[column]) or total_withheld(counts[column], blank[column])


def test_action_plan_flag_below_ten_percent(sample_run):
    with duckdb.connect(str(sample_run.settings.warehouse), read_only=True) as con:
        data = load_report_data(con, 169, 2024, sample_run.settings)
    assert 'id="action-plan"' not in render_html(data, datetime(2026, 1, 1))
    data.series["EUD"].loc[data.series["EUD"].year == 2024, "kommune"] = 9.9
    assert 'id="action-plan"' in render_html(data, datetime(2026, 1, 1))


def test_goal_added_by_an_analyst_gets_a_card(sample_run):
    with duckdb.connect(str(sample_run.settings.warehouse), read_only=True) as con:
        goals = con.execute("SELECT * FROM goals").df()
    extra = goals.iloc[[0]].assign(goal_id="htk_transition_90", indicator="transition_15_months",
                                   indicator_kind="transition", description_da="90 % i uddannelse 15 måneder efter 9. klasse")
    from reports.data import _goal_cards
    cards = _goal_cards(None, {"series": {"EUD": pd.DataFrame({"year": [2024], "kommune": [23.7], "national": [20.0], "target": [28.0]})},
                               "groups": pd.DataFrame(), "denominator": None, "completion": pd.DataFrame(), "completion_year": None},
                        extra, {"k": 169, "y": 2024})
    assert [c.status for c in cards if c.goal_id == "htk_transition_90"] == ["Ingen data"]
