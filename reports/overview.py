"""The national overview (landsoversigt): one self-contained HTML page for every kommune with
data: EUD share and distance to its own måltal; a funnel plot against the national share, the
kommuner grouped as over, within or under what chance allows a kommune of their size (no rank
order: a one-decimal league table implies differences the data cannot show, reports/funnel.py);
a small chart per region; region summaries; a picker linking to each kommune's council report.

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
from reports import charts, funnel
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
    leavers: int | None = None  # the share's denominator as the report shows it; None where hidden
    placement: funnel.Placement | None = None  # against the national share (place_rows)


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
                # Shown beside the share in the report, so no new number (hidden stays None).
                data.denominator if data.denominator_label is None else None,
            )
        )
    return sorted(rows, key=lambda r: r.kommune_name)


# The groups in the order the page lists them; a kommune not on the funnel last.
GROUP_ORDER = (funnel.OVER, funnel.WITHIN, funnel.UNDER, None)


def place_rows(rows: list[OverviewRow], national: float | None) -> list[OverviewRow]:
    """Each kommune placed against the national share with the funnel's limits for its number of
    leavers; the rows by group, then by name (never by share). Not placed (the page's notes say
    why): no published national share, a share or number of leavers its report hides, or
    figures of another opgørelse than the ministry's."""
    for r in rows:
        if national is not None and r.share is not None and r.leavers and not r.other_definition:
            r.placement = funnel.place(r.share, r.leavers, national)
    return sorted(rows, key=lambda r: (GROUP_ORDER.index(r.placement and r.placement.group), r.kommune_name))


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


def funnel_figure(rows: list[OverviewRow], national: float | None) -> dict | None:
    """Share against number of leavers, with the 95 % and 99,8 % limits around the national
    share (reports/funnel.py). Only kommuner placed by place_rows: a hidden share or a hidden
    number of leavers is not drawn, not even as a point without a label."""
    # (name, placement, leavers, share) of each placed kommune: place_rows sets all three together.
    placed = [
        (r.kommune_name, r.placement, r.leavers, r.share)
        for r in rows
        if r.placement is not None and r.leavers is not None and r.share is not None
    ]
    if national is None or not placed:
        return None
    fig = charts.figure()
    top = max(leavers for _, _, leavers, _ in placed)
    # The limits at whole numbers of leavers 4 % apart, up to the largest kommune (Spiegelhalter's
    # interpolation makes them smooth in n, so a line between them is the limit).
    ns = sorted({max(5, round(5 * (1.04**i))) for i in range(200) if 5 * (1.04**i) <= top * 1.08})
    curves = [funnel.limits(national, n) for n in ns]
    for level, dash, width in (("99,8", "dot", 1.2), ("95", "dash", 1.5)):
        low, high = ("low998", "high998") if level == "99,8" else ("low95", "high95")
        for i, side in enumerate((low, high)):
            charts.trace(
                fig,
                "scatter",
                x=ns,
                y=[round(getattr(c, side), 2) for c in curves],
                mode="lines",
                name=f"{level} %-grænser",
                legendgroup=level,
                showlegend=i == 0,
                line={"color": COLOURS["break"], "dash": dash, "width": width},
                hoverinfo="skip",
            )
    charts.trace(
        fig,
        "scatter",
        x=[ns[0], ns[-1]],
        y=[national, national],
        mode="lines",
        name=f"Hele landet ({national:.1f} %)".replace(".", ","),
        line={"color": COLOURS["national"], "width": 2},
        hoverinfo="skip",
    )
    markers = {
        funnel.OVER: ("triangle-up", COLOURS["target"]),
        funnel.WITHIN: ("circle", COLOURS["kommune"]),
        funnel.UNDER: ("triangle-down", "#D55E00"),
    }
    for group, (symbol, colour) in markers.items():
        part = [p for p in placed if p[1].group == group]
        if not part:
            continue
        charts.trace(
            fig,
            "scatter",
            x=[leavers for _, _, leavers, _ in part],
            y=[round(share, 1) for _, _, _, share in part],
            mode="markers",
            name=funnel.GROUP_WORDS[group],
            text=[str(name) for name, _, _, _ in part],
            customdata=[placement.words for _, placement, _, _ in part],
            # Beyond the 99,8 % limits: a larger point with a heavier edge (the table says it in words).
            marker={
                "symbol": symbol,
                "size": [12 if placement.beyond_998 else 9 for _, placement, _, _ in part],
                "color": colour,
                "line": {
                    "width": [2.5 if placement.beyond_998 else 1 for _, placement, _, _ in part],
                    "color": "#1b1b1b",
                },
            },
            hovertemplate="%{text}: %{y:.1f} % af %{x} afgangselever (%{customdata})<extra></extra>",
        )
    fig = _layout(fig, "EUD-andel", 420)
    charts.update(
        fig["layout"],
        xaxis={"title": {"text": "Antal afgangselever (nævneren)"}, "rangemode": "tozero"},
        yaxis={"rangemode": "tozero"},
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
    rows = place_rows(rows, national)
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
            groups=[(g, [r for r in rows if (r.placement and r.placement.group) == g]) for g in GROUP_ORDER],
            group_words=funnel.GROUP_WORDS,
            funnel_chart=charts.div(funnel_figure(rows, national), "chart-funnel"),
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
