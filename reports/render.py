"""The council report: one self-contained HTML file in Danish per municipality and year.

Reads only the published warehouse (read-only), so a report can be made while a run builds
the next version. Figures come from the tables named beside each query: `application_shares`
(assets/applications/sql/application_shares.sql), `targets` (data/targets/maaltal.csv) and
`goals` (data/goals/goals.csv).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd
import plotly.graph_objects as go
import plotly.offline
from jinja2 import Environment, FileSystemLoader, select_autoescape

from overgang.numbers import da_date, da_int, da_pct, da_pp
from overgang.suppression import suppress_frame
from overgang.settings import Settings

TEMPLATES = Path(__file__).resolve().parent / "templates"
SERIES_BREAK_YEAR = 2023
# Okabe-Ito: distinguishable with the common colour-vision deficiencies.
COLOURS = {"kommune": "#0072B2", "national": "#E69F00", "target": "#009E73", "break": "#555555"}
GROUP_ORDER = ["EUD", "GYM", "FGU", "STU", "OEVRIGT"]


class ReportError(ValueError):
    pass


@dataclass
class ReportData:
    kommune_code: int
    kommune_name: str
    year: int
    eud_series: pd.DataFrame     # year, kommune, national, target
    groups: pd.DataFrame         # group, label, applicants, share (kommune), national share
    tenth_grade: int             # 9th graders applying to 10th grade this year
    denominator: int | None      # None when publishing it would reveal a blanked cell
    goals: pd.DataFrame
    sources: pd.DataFrame
    run: dict


def _query(con, sql: str, params: dict | None = None) -> pd.DataFrame:
    return con.execute(sql, params or {}).df()


def load_report_data(con: duckdb.DuckDBPyConnection, kommune_code: int, year: int | None = None) -> ReportData:
    name = con.execute("SELECT kommune_name FROM kommuner WHERE kommune_code = $k", {"k": kommune_code}).fetchone()
    if name is None:
        raise ReportError(f"Kommune {kommune_code} is not one of the 98 municipalities (data/reference/kommuner.csv).")
    years = con.execute(
        "SELECT DISTINCT year FROM application_shares WHERE kommune_code = $k ORDER BY year", {"k": kommune_code}).fetchall()
    if not years:
        raise ReportError(f"The warehouse has no applications for kommune {kommune_code} ({name[0]}); "
                          "load its Optagelse.dk extracts first.")
    year = year or years[-1][0]
    if (year,) not in years:
        raise ReportError(f"No applications for kommune {kommune_code} in {year}; years loaded: "
                          f"{', '.join(str(y[0]) for y in years)}.")
    params = {"k": kommune_code, "y": year}
    shares = """FROM application_shares WHERE geography_basis = 'school' AND grade = '9+10'"""
    eud = _query(con, f"""
        SELECT s.year,
               max(s.share_pct) FILTER (WHERE s.kommune_code = $k) AS kommune,
               max(s.share_pct) FILTER (WHERE s.kommune_code = 0)  AS national,
               max(t.target_pct)                                     AS target
        FROM (SELECT * {shares} AND education_group = 'EUD') s
        LEFT JOIN targets t ON t.kommune_code = $k AND t.target_year = s.year AND t.target_group = 'EUD'
        GROUP BY s.year ORDER BY s.year""", {"k": kommune_code})
    # Måltal for years without applications yet (the path ahead) are shown too.
    ahead = _query(con, """SELECT target_year AS year, target_pct AS target FROM targets
                           WHERE kommune_code = $k AND target_group = 'EUD' AND target_year > $y""", params)
    eud = eud[eud["year"] <= year]
    eud = pd.concat([eud, ahead], ignore_index=True) if len(ahead) else eud
    groups = _query(con, f"""
        SELECT g."group", g.label_da, g.short_label_da,
               max(s.applicants) FILTER (WHERE s.kommune_code = $k) AS applicants,
               max(s.share_pct) FILTER (WHERE s.kommune_code = $k) AS share,
               max(s.share_pct) FILTER (WHERE s.kommune_code = 0)  AS national,
               max(s.denominator) FILTER (WHERE s.kommune_code = $k) AS denominator
        FROM (SELECT * {shares} AND year = $y) s JOIN education_groups g ON g."group" = s.education_group
        GROUP BY g."group", g.label_da, g.short_label_da, g.sort_order ORDER BY g.sort_order""", params)
    tenth = groups.loc[groups["group"] == "TIENDE", "applicants"]
    goals = _query(con, """
        SELECT goal_id, scope, indicator_kind, target_pct, deadline_year, or_national_average, set_by,
               description_da, source
        FROM goals
        WHERE (scope = 'national' OR kommune_code = $k)
          AND (valid_to_year IS NULL OR valid_to_year >= $y)
        ORDER BY scope DESC, deadline_year NULLS FIRST""", params)
    sources = _query(con, "SELECT source_file, encoding, data_rows, loaded_at FROM ingested_files ORDER BY source_file")
    denominator = int(groups["denominator"].dropna().iloc[0])
    groups = groups[groups["group"].isin(GROUP_ORDER)].reset_index(drop=True)
    # Counts of 1-4 (and the cell that would reveal them) are blanked before publishing;
    # the national column is shown as is (all counts are large).
    groups, withhold_total = suppress_frame(groups, "applicants", ["share"], denominator)
    return ReportData(
        kommune_code=kommune_code, kommune_name=name[0], year=year, eud_series=eud,
        groups=groups,
        tenth_grade=int(tenth.iloc[0]) if len(tenth) else 0,
        denominator=None if withhold_total else denominator,
        goals=goals.astype(object).where(goals.notna(), None), sources=sources,
        run={"loaded_at": sources["loaded_at"].max()},
    )


def _layout(fig: go.Figure, title: str, y_title: str) -> go.Figure:
    fig.update_layout(
        title=title, separators=",.", template="simple_white", height=420,
        margin={"l": 60, "r": 20, "t": 60, "b": 50}, legend={"orientation": "h", "y": -0.18},
        yaxis={"title": y_title, "ticksuffix": " %", "rangemode": "tozero"},
        font={"family": "system-ui, -apple-system, 'Segoe UI', sans-serif", "size": 13},
    )
    return fig


def eud_figure(data: ReportData) -> go.Figure:
    s = data.eud_series
    fig = go.Figure()
    fig.add_scatter(x=s["year"], y=s["kommune"], name=data.kommune_name, mode="lines+markers",
                    line={"color": COLOURS["kommune"], "width": 3}, hovertemplate="%{x}: %{y:.1f} %<extra></extra>")
    fig.add_scatter(x=s["year"], y=s["national"], name="Hele landet", mode="lines+markers",
                    line={"color": COLOURS["national"], "dash": "dash"}, hovertemplate="%{x}: %{y:.1f} %<extra></extra>")
    if s["target"].notna().any():
        fig.add_scatter(x=s["year"], y=s["target"], name="Måltal", mode="markers+lines",
                        line={"color": COLOURS["target"], "dash": "dot"}, marker={"symbol": "diamond", "size": 9},
                        hovertemplate="Måltal %{x}: %{y:.0f} %<extra></extra>")
    fig.add_vline(x=SERIES_BREAK_YEAR - 0.5, line={"color": COLOURS["break"], "dash": "dash", "width": 1})
    fig.add_annotation(x=SERIES_BREAK_YEAR - 0.5, y=1, yref="paper", text="Databrud 2023", showarrow=False,
                       xanchor="left", yanchor="top", font={"size": 11, "color": COLOURS["break"]})
    fig.update_xaxes(dtick=1, title="Ansøgningsår")
    return _layout(fig, f"Andel der søger en erhvervsuddannelse (EUD), {data.kommune_name}", "Andel af afgangselever")


def groups_figure(data: ReportData) -> go.Figure:
    g = data.groups
    fig = go.Figure()
    fig.add_bar(x=g["short_label_da"], y=g["share"], name=data.kommune_name, marker_color=COLOURS["kommune"],
                text=["<5" if b else da_pct(v) for v, b in zip(g["share"], g["blanked"])], textposition="outside", hovertemplate="%{x}: %{y:.1f} %<extra></extra>")
    fig.add_bar(x=g["short_label_da"], y=g["national"], name="Hele landet", marker_color=COLOURS["national"],
                text=[da_pct(v) for v in g["national"]], textposition="outside", hovertemplate="%{x}: %{y:.1f} %<extra></extra>")
    fig.update_layout(barmode="group")
    return _layout(fig, f"Første prioritet {data.year} fordelt på uddannelsesgrupper", "Andel af afgangselever")


def _div(fig: go.Figure, div_id: str) -> str:
    return fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id,
                       config={"displaylogo": False, "responsive": True, "locale": "da"})


def render_html(data: ReportData, generated: datetime) -> str:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"]))
    env.filters.update(pct=da_pct, int=da_int, date=da_date)
    this = data.eud_series[data.eud_series["year"] == data.year].iloc[0]
    previous = data.eud_series[data.eud_series["year"] == data.year - 1]
    target = None if pd.isna(this["target"]) else float(this["target"])
    eud_count = data.groups.loc[data.groups["group"] == "EUD", "applicants"].iloc[0]
    # Pupils who would have had to choose EUD as well for the share to reach the target.
    missing_pupils = None
    if target is not None and eud_count is not None and data.denominator and this["kommune"] < target:
        missing_pupils = math.ceil(round(target / 100 * data.denominator, 9)) - int(eud_count)
    return env.get_template("council_report.html.j2").render(
        d=data,
        eud_now=this["kommune"], eud_national=this["national"], eud_target=target, missing_pupils=missing_pupils,
        gap_pp=None if target is None else da_pp(this["kommune"] - target), target_met=None if target is None else this["kommune"] >= target,
        eud_previous=previous["kommune"].iloc[0] if len(previous) else None,
        eud_chart=_div(eud_figure(data), "chart-eud"),
        groups_chart=_div(groups_figure(data), "chart-groups"),
        plotly_js=plotly.offline.get_plotlyjs(),
        generated=generated,
        series_break=SERIES_BREAK_YEAR,
    )


def render_report(settings: Settings, kommune_code: int, year: int | None = None, out: Path | None = None) -> Path:
    if not settings.warehouse.exists():
        raise ReportError(f"No published warehouse at {settings.warehouse}: run `overgang run` first.")
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        data = load_report_data(con, kommune_code, year)
    html = render_html(data, datetime.now())
    out = out or settings.reports_dir / f"rapport_{kommune_code}_{data.year}.html"
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(out)
    return out
