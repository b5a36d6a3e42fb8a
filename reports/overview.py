"""The national overview (landsoversigt): one self-contained HTML page for every kommune with
data: EUD share and distance to its own måltal, ranked; a small chart per region; region
summaries; a picker linking to each kommune's council report.

Every kommune figure on this page is the figure that kommune's council report shows for the
year, taken from the same ReportData (``reports/data.py``), hidden where the report hides it.
The page therefore adds no number a reader could subtract with: region summaries are the
median and range of the shown shares, never sums of counts.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
from plotly.subplots import make_subplots

from overgang.settings import Settings
from reports import charts
from reports.data import FIGURES, ReportError, load_report_data
from reports.render import COLOURS, SERIES_BREAK_YEAR, _environment, _layout, plotly_bundle
from schemas.sqltext import fill


@dataclass
class OverviewRow:
    kommune_code: int
    kommune_name: str
    region: str
    share: float | None  # as the kommune's report shows it; None where the report hides it
    target: float | None
    gap_pp: float | None
    report: str  # file name of the kommune's report, beside the overview
    trend: pd.DataFrame  # year, share (shown values only)
    target_interpolated: bool = False  # the year's måltal lies between decided ones
    other_definition: str | None = None  # a published table's opgørelse when not the ministry's


def report_name(kommune_code: int, year: int) -> str:
    return f"rapport_{kommune_code}_{year}.html"


def overview_year(con: duckdb.DuckDBPyConnection, year: int | None) -> int:
    """The year asked for, or the newest with søgetal (extracts or published) for any kommune."""
    if year is None:
        year = con.execute(fill("SELECT max(year) FROM (${figures})", figures=FIGURES)).fetchall()[0][0]
    if year is None:
        raise ReportError(
            "The warehouse has no søgetal for any kommune: load Optagelse.dk extracts or published søgetal first."
        )
    return year


def kommuner_with_data(con: duckdb.DuckDBPyConnection, year: int) -> list[int]:
    return [
        k
        for (k,) in con.execute(
            fill("SELECT DISTINCT kommune_code FROM (${figures}) WHERE year = $y ORDER BY 1", figures=FIGURES),
            {"y": year},
        ).fetchall()
    ]


def overview_rows(con: duckdb.DuckDBPyConnection, year: int, settings: Settings) -> list[OverviewRow]:
    rows = []
    for code in kommuner_with_data(con, year):
        data = load_report_data(con, code, year, settings)
        eud = data.series["EUD"].set_index("year")
        # A value the report shows has no label; a labelled one ("x", "<5") is hidden there.
        shown = eud["kommune"].where(eud["label"].isna()) if "label" in eud else eud["kommune"]
        share = _value(shown.get(year))
        target = _value(eud["target"].get(year))
        trend = shown.dropna().reset_index().rename(columns={"kommune": "share"})
        basis = eud["target_basis"].get(year) if "target_basis" in eud else None
        source = data.published_year if data.basis == "published" else None
        rows.append(
            OverviewRow(
                code,
                data.kommune_name,
                data.region,
                share,
                target,
                None if share is None or target is None else share - target,
                report_name(code, year),
                trend[trend.year <= year],
                basis == "interpolated",
                None if source is None or source.ministry_definition else source.definition_da,
            )
        )
    return sorted(rows, key=lambda r: (r.share is None, -(r.share or 0), r.kommune_name))


def _value(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def region_summaries(rows: list[OverviewRow]) -> list[dict]:
    """Per region: kommuner with data, how many shown, median and range of the shown shares."""
    out = []
    for region in sorted({r.region for r in rows}):
        shown = [r.share for r in rows if r.region == region and r.share is not None]
        out.append(
            {
                "region": region,
                "kommuner": sum(r.region == region for r in rows),
                "shown": len(shown),
                "median": statistics.median(shown) if shown else None,
                "low": min(shown) if shown else None,
                "high": max(shown) if shown else None,
            }
        )
    return out


def ranking_figure(rows: list[OverviewRow], year: int) -> dict:
    shown = [r for r in rows if r.share is not None][::-1]  # plotly draws the first bar at the bottom
    fig = charts.figure()
    charts.trace(
        fig,
        "bar",
        y=[r.kommune_name for r in shown],
        x=[round(r.share, 1) for r in shown if r.share is not None],
        orientation="h",
        name="EUD-andel",
        marker={"color": COLOURS["kommune"]},
        hovertemplate="%{y}: %{x:.1f} %<extra></extra>",
    )
    with_target = [r for r in shown if r.target is not None]
    if with_target:
        charts.trace(
            fig,
            "scatter",
            y=[r.kommune_name for r in with_target],
            x=[r.target for r in with_target],
            mode="markers",
            name="Eget måltal",
            marker={"symbol": "diamond", "size": 9, "color": COLOURS["target"]},
            hovertemplate="Måltal for %{y}: %{x:.1f} %<extra></extra>",
        )
    # The title is the figure's HTML caption in the template (it wraps on a phone).
    fig = _layout(fig, "", 140 + 22 * len(shown))
    charts.update(
        fig["layout"],
        xaxis={"ticksuffix": " %", "rangemode": "tozero", "title": {"text": "Andel af afgangselever"}},
        yaxis={"ticksuffix": "", "title": {"text": ""}},
    )
    return fig


def regions_figure(rows: list[OverviewRow], regions: list[str], year: int) -> dict:
    """Small multiples: one panel per region, a line per kommune (shown values only). The panels'
    axes and titles are laid out by plotly.py's make_subplots (only `report --all` needs it)."""
    grid = make_subplots(
        rows=1, cols=len(regions), shared_yaxes=True, subplot_titles=[r.removeprefix("Region ") for r in regions]
    ).to_plotly_json()
    fig: dict[str, Any] = {"data": [], "layout": {k: v for k, v in grid["layout"].items() if k != "template"}}
    for i, region in enumerate(regions, 1):
        axis = "" if i == 1 else str(i)
        # The 2023 series break, drawn on every time series (see SERIES_BREAK_YEAR).
        fig["layout"].setdefault("shapes", []).append(
            {
                "type": "line",
                "x0": SERIES_BREAK_YEAR - 0.5,
                "x1": SERIES_BREAK_YEAR - 0.5,
                "xref": f"x{axis}",
                "y0": 0,
                "y1": 1,
                "yref": f"y{axis} domain",
                "line": {"color": COLOURS["break"], "dash": "dash", "width": 1},
            }
        )
        for r in rows:
            if r.region == region and not r.trend.empty:
                charts.trace(
                    fig,
                    "scatter",
                    x=[int(y) for y in r.trend["year"]],
                    y=[float(v) for v in r.trend["share"].round(1)],
                    mode="lines",
                    name=r.kommune_name,
                    line={"color": COLOURS["kommune"], "width": 1},
                    showlegend=False,
                    hovertemplate=f"{r.kommune_name} %{{x}}: %{{y:.1f}} %<extra></extra>",
                    xaxis=f"x{axis}",
                    yaxis=f"y{axis}",
                )
    fig = _layout(fig, "Andel af afgangselever", 320)
    for key in fig["layout"]:
        if key.startswith("xaxis"):
            fig["layout"][key]["dtick"] = 4
    return fig


def render_overview_html(
    rows: list[OverviewRow], year: int, national: float | None, generated: datetime, synthetic: bool = False
) -> str:
    regions = region_summaries(rows)
    return (
        _environment()
        .get_template("overview.html.j2")
        .render(
            rows=rows,
            year=year,
            national=national,
            regions=regions,
            generated=generated,
            synthetic=synthetic,
            ranking_chart=charts.div(ranking_figure(rows, year), "chart-ranking"),
            regions_chart=charts.div(regions_figure(rows, [r["region"] for r in regions], year), "chart-regions"),
            plotly_js=plotly_bundle(),
        )
    )


def render_overview(settings: Settings, year: int | None = None, out: Path | None = None) -> Path:
    if not settings.warehouse.exists():
        raise ReportError(f"No published warehouse at {settings.warehouse}: run `overgang run` first.")
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        year = overview_year(con, year)
        rows = overview_rows(con, year, settings)
        if not rows:
            raise ReportError(f"No kommune has applications for {year}.")
        first = load_report_data(con, rows[0].kommune_code, year, settings)
        national = _value(first.series["EUD"].set_index("year")["national"].get(year))
        synthetic = first.publication["synthetic_data"]
    out = out or settings.reports_dir / f"landsoversigt_{year}.html"
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    try:
        tmp.write_text(render_overview_html(rows, year, national, datetime.now(), synthetic), encoding="utf-8")
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)  # a disk that filled mid-write leaves no half file behind
    return out
