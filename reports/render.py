"""The council report: one self-contained HTML file in Danish per municipality and year.

Reads only the published warehouse (read-only), so a report can be made while a run builds
the next version. The numbers come from ``reports/data.py``; this module draws the charts
(plotly.js embedded once, no network) and fills ``templates/council_report.html.j2``.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from pathlib import Path

import duckdb
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import plotly.offline
from jinja2 import Environment, FileSystemLoader, select_autoescape

from overgang.numbers import da_date, da_int, da_pct, da_pp
from overgang.settings import Settings
from overgang.suppression import DisclosureError
from reports.audit import audit_html
from reports.data import TARGET_GROUPS, ReportData, ReportError, load_report_data

__all__ = ["ReportError", "load_report_data", "render_html", "render_report"]

TEMPLATES = Path(__file__).resolve().parent / "templates"
SERIES_BREAK_YEAR = 2023
# Okabe-Ito: distinguishable with the common colour-vision deficiencies.
COLOURS = {
    "kommune": "#0072B2",
    "national": "#E69F00",
    "target": "#009E73",
    "break": "#555555",
    "completed": "#009E73",
    "in_progress": "#56B4E9",
    "dropped_out": "#D55E00",
    "no_registered_education": "#999999",
}
GROUP_TITLES = {
    "EUD": "erhvervsuddannelse (EUD)",
    "GYM": "gymnasial uddannelse (GYM)",
    "OEVRIGE": "øvrige (FGU, STU, arbejde m.m.)",
}


def _layout(fig: go.Figure, title: str, y_title: str, height: int = 400) -> go.Figure:
    fig.update_layout(
        title=title,
        separators=",.",
        height=height,
        margin={"l": 60, "r": 20, "t": 60, "b": 50},
        legend={"orientation": "h", "y": -0.2},
        yaxis={"title": y_title, "ticksuffix": " %", "rangemode": "tozero"},
        font={"family": "system-ui, -apple-system, 'Segoe UI', sans-serif", "size": 13},
    )
    return fig


def _values(values) -> list:
    """What a chart may carry: the numbers as the tables print them (one decimal), a hidden or
    missing one as null. Plain lists, so the page's JSON is readable (no binary arrays)."""
    return [None if v is None or pd.isna(v) else round(float(v), 1) for v in values]


def series_figure(data: ReportData, group: str) -> go.Figure:
    s = data.series[group]
    fig = go.Figure()
    years = [int(y) for y in s["year"]]
    fig.add_scatter(
        x=years,
        y=_values(s["kommune"]),
        name=data.kommune_name,
        mode="lines+markers",
        customdata=[c if isinstance(c, str) else None for c in s["cell"]],
        line={"color": COLOURS["kommune"], "width": 3},
        hovertemplate="%{x}: %{y:.1f} %<extra></extra>",
    )
    fig.add_scatter(
        x=years,
        y=_values(s["national"]),
        name="Hele landet",
        mode="lines+markers",
        line={"color": COLOURS["national"], "dash": "dash"},
        hovertemplate="%{x}: %{y:.1f} %<extra></extra>",
    )
    if s["target"].notna().any():
        fig.add_scatter(
            x=years,
            y=_values(s["target"]),
            name="Måltal",
            mode="markers+lines",
            line={"color": COLOURS["target"], "dash": "dot"},
            marker={"symbol": "diamond", "size": 9},
            hovertemplate="Måltal %{x}: %{y:.1~f} %<extra></extra>",
        )
    fig.add_vline(x=SERIES_BREAK_YEAR - 0.5, line={"color": COLOURS["break"], "dash": "dash", "width": 1})
    fig.add_annotation(
        x=SERIES_BREAK_YEAR - 0.5,
        y=1,
        yref="paper",
        text="Databrud 2023",
        showarrow=False,
        xanchor="left",
        yanchor="top",
        font={"size": 11, "color": COLOURS["break"]},
    )
    fig.update_xaxes(dtick=1, title="Ansøgningsår")
    return _layout(fig, f"Andel der søger {GROUP_TITLES[group]}", "Andel af afgangselever", 360)


def groups_figure(data: ReportData) -> go.Figure:
    g = data.groups
    fig = go.Figure()
    prefix = f"{data.kommune_code}/{data.year}/"
    fig.add_bar(
        x=list(g["short_label_da"]),
        y=_values(g["share"]),
        name=data.kommune_name,
        marker_color=COLOURS["kommune"],
        # A published table's figures are public already: no protected cell to tie them to.
        customdata=[prefix + c for c in g["cell"]] if data.basis == "extract" else None,
        text=[label if isinstance(label, str) else da_pct(v) for v, label in zip(g["share"], g["label"])],
        textposition="outside",
        hovertemplate="%{x}: %{y:.1f} %<extra></extra>",
    )
    fig.add_bar(
        x=list(g["short_label_da"]),
        y=_values(g["national"]),
        name="Hele landet",
        marker_color=COLOURS["national"],
        text=[da_pct(v) for v in g["national"]],
        textposition="outside",
        hovertemplate="%{x}: %{y:.1f} %<extra></extra>",
    )
    fig.update_layout(barmode="group")
    return _layout(fig, f"Første prioritet {data.year} fordelt på uddannelsesgrupper", "Andel af afgangselever")


def schools_figure(data: ReportData) -> go.Figure | None:
    s = data.schools
    if s.empty:
        return None
    s = s[s["EUD"].notna() & s["EUD_low"].notna()]
    if s.empty:
        return None
    prefix = f"{data.kommune_code}/{data.year}/"
    fig = go.Figure()
    fig.add_scatter(
        x=_values(s["EUD"]),
        y=list(s["school_name"]),
        mode="markers",
        name="EUD-andel",
        customdata=[prefix + c + "/EUD" for c in s["cell"]],
        marker={"color": COLOURS["kommune"], "size": 10},
        error_x={
            "type": "data",
            "symmetric": False,
            "array": _values(s["EUD_high"] - s["EUD"]),
            "arrayminus": _values(s["EUD"] - s["EUD_low"]),
            "color": COLOURS["kommune"],
        },
        hovertemplate="%{y}: %{x:.1f} %<extra></extra>",
    )
    national = data.series["EUD"].set_index("year")["national"].get(data.year)
    if national is not None and not pd.isna(national):
        fig.add_vline(
            x=national,
            line={"color": COLOURS["national"], "dash": "dash"},
            annotation_text="Hele landet",
            annotation_position="top",
        )
    fig = _layout(fig, f"EUD-andel pr. skole {data.year} med 95 %-konfidensinterval", "", 120 + 45 * len(s))
    fig.update_layout(
        yaxis={"ticksuffix": "", "title": ""},
        xaxis={"ticksuffix": " %", "rangemode": "tozero", "title": "Andel af afgangselever"},
        showlegend=False,
    )
    return fig


def completion_figure(data: ReportData) -> go.Figure | None:
    c = data.completion
    if c.empty:
        return None
    fig = go.Figure()
    areas = {"kommune": data.kommune_name, "Hele landet": "Hele landet"}
    for status in c["status"].unique():
        part = c[c.status == status]
        fig.add_bar(
            y=[areas[a] for a in part["area"]],
            x=_values(part["share"]),
            orientation="h",
            name=part["label"].iloc[0],
            marker_color=COLOURS[status],
            hovertemplate="%{y}: %{x:.1f} %<extra>" + part["label"].iloc[0] + "</extra>",
        )
    fig.update_layout(barmode="stack")
    fig = _layout(fig, f"18–25-årige efter uddannelsesstatus {data.completion_year}", "", 340)
    fig.update_layout(
        yaxis={"ticksuffix": "", "title": ""},
        legend={"y": -0.45},
        xaxis={"ticksuffix": " %", "title": "Andel af de 18–25-årige", "range": [0, 100]},
    )
    return fig


@lru_cache(maxsize=1)
def _template() -> dict:
    return pio.templates["simple_white"].to_plotly_json()


def _div(fig: go.Figure | None, div_id: str) -> str:
    """The chart's div and script. The "simple_white" template is put into the figure's JSON
    as it is (plotly.js applies it), not validated again for every figure: 14x faster."""
    if fig is None:
        return ""
    spec = fig.to_plotly_json()
    spec["layout"]["template"] = _template()
    return pio.to_html(
        spec,
        full_html=False,
        include_plotlyjs=False,
        div_id=div_id,
        validate=False,
        # A chart is part of a document, not an app: no toolbar (its buttons were the
        # first Tab stops, and "share" does nothing offline), no zoom by scroll or touch.
        config={"displaylogo": False, "responsive": True, "displayModeBar": False, "scrollZoom": False},
    )


def series_table(data: ReportData) -> list[dict]:
    """One row per year with kommune, national and måltal for each group (the charts' numbers)."""
    table = None
    for group, frame in data.series.items():
        part = frame.set_index("year").add_prefix(f"{group}_")
        table = part if table is None else table.join(part, how="outer")
    table = table.astype(object).where(table.notna(), None)
    return table.reset_index().to_dict("records")


def report_tables(data: ReportData) -> dict[str, pd.DataFrame]:
    """The report's tables as printed (one decimal, hidden cells as their mark): the workbook's sheets."""

    def shown(value, label, decimals=1):
        if isinstance(label, str):
            return label
        return None if value is None or pd.isna(value) else (round(float(value), decimals) if decimals else int(value))

    sheets = {}
    rows = []
    for r in series_table(data):
        row = {"År": r["year"]}
        for g, name in TARGET_GROUPS.items():
            row[f"{name} (%)"] = shown(r.get(f"{g}_kommune"), r.get(f"{g}_label"))
            row[f"{name} hele landet (%)"] = shown(r.get(f"{g}_national"), None)
            row[f"{name} måltal (%)"] = shown(r.get(f"{g}_target"), None)
        rows.append(row)
    sheets["Udvikling"] = pd.DataFrame(rows)
    sheets["Grupper"] = pd.DataFrame(
        [
            {
                "Uddannelsesgruppe": r.label_da,
                "Antal": shown(r.applicants, r.label, 0),
                "Andel (%)": shown(r.share, r.label),
                "Hele landet (%)": shown(r.national, None),
            }
            for r in data.groups.itertuples()
        ]
        + [
            {
                "Uddannelsesgruppe": "Afgangselever i alt",
                "Antal": shown(data.denominator, data.denominator_label, 0),
                "Andel (%)": 100,
            }
        ]
    )

    def split(frame, first):
        out = []
        for name, r in frame.iterrows():
            row = {first: r.get("school_name", name), "Elever": shown(r["denominator"], r["label_n"], 0)}
            for g, label in TARGET_GROUPS.items():
                row[f"{label} (%)"] = shown(r[g], r[f"label_{g}"])
            out.append(row)
        return pd.DataFrame(out)

    sheets["Klassetrin"] = split(data.grades, "Klassetrin")
    sheets["Køn"] = split(data.sexes, "Køn")
    sheets["Skoler"] = split(data.schools, "Skole")
    sheets["Sammenligning"] = split(
        data.comparison.set_index("area") if len(data.comparison) else data.comparison, "Område"
    )
    if len(data.completion):
        mine = data.completion[data.completion.area == "kommune"]
        sheets["Uddannelsesstatus"] = pd.DataFrame(
            [
                {"Status": r.label, "Antal": shown(r.persons, r.mark, 0), "Andel (%)": shown(r.share, r.mark)}
                for r in mine.itertuples()
            ]
        )
    return sheets


def write_workbook(data: ReportData, path: Path) -> Path:
    """The report's tables as an .xlsx workbook (publication set): the same cells, marks and rounding."""
    import xlsxwriter

    tmp = path.with_suffix(".tmp.xlsx")
    sheets = report_tables(data)
    sheets["Om tallene"] = pd.DataFrame(
        {
            "Note": [
                "Antal på 0-4 står som <5; x er skjult for at beskytte et andet tal (altid 5 eller flere); "
                f"<{data.small_cell['min_denominator']} betyder færre elever end det. Andele i procent med én decimal.",
                f"{data.kommune_name} Kommune, {data.year}. Kilde: Overgang, kørsel {data.publication.get('run_id')}.",
            ]
        }
    )
    book = xlsxwriter.Workbook(str(tmp))
    bold = book.add_format({"bold": True})
    for name, frame in sheets.items():
        sheet = book.add_worksheet(name)
        sheet.write_row(0, 0, [str(c) for c in frame.columns], bold)
        for i, row in enumerate(frame.itertuples(index=False), start=1):
            sheet.write_row(i, 0, [None if v is None or (isinstance(v, float) and pd.isna(v)) else v for v in row])
    book.close()
    tmp.replace(path)
    return path


VENDOR = Path(__file__).resolve().parent / "vendor"


def plotly_bundle() -> str:
    """plotly.js to embed once: the basic partial bundle (scatter and bar, all the report draws)
    when it matches the plotly.js version plotly.py writes figures for, else the full library."""
    basic = VENDOR / f"plotly-basic-{plotly.offline.get_plotlyjs_version()}.min.js"
    return basic.read_text(encoding="utf-8") if basic.exists() else plotly.offline.get_plotlyjs()


@lru_cache(maxsize=1)
def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"]))
    env.filters.update(pct=da_pct, int=da_int, date=da_date, pp=da_pp, target=target_pct)
    return env


def target_pct(value) -> str:
    """A måltal as the council decided it: 30 -> '30 %', 17.5 -> '17,5 %' (never rounded away)."""
    if value is None or value != value:
        return da_pct(value)
    return da_pct(value, 0 if float(value).is_integer() else 1)


def render_html(data: ReportData, generated: datetime) -> str:
    env = _environment()
    eud_now = data.series["EUD"].set_index("year")["kommune"].get(data.year)
    return env.get_template("council_report.html.j2").render(
        d=data,
        groups_order=TARGET_GROUPS,
        series_rows=series_table(data),
        eud_now=None if pd.isna(eud_now) else eud_now,
        series_charts={g: _div(series_figure(data, g), f"chart-{g.lower()}") for g in TARGET_GROUPS},
        groups_chart=_div(groups_figure(data), "chart-groups"),
        schools_chart=_div(schools_figure(data), "chart-schools"),
        completion_chart=_div(completion_figure(data), "chart-completion"),
        plotly_js=plotly_bundle(),
        generated=generated,
        series_break=SERIES_BREAK_YEAR,
    )


def render_report(settings: Settings, kommune_code: int, year: int | None = None, out: Path | None = None) -> Path:
    if not settings.warehouse.exists():
        raise ReportError(f"No published warehouse at {settings.warehouse}: run `overgang run` first.")
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        data = load_report_data(con, kommune_code, year, settings)
    html = render_html(data, datetime.now())
    try:
        # The disclosure audit on the page as written; a report that fails it is not written.
        audit_html(html, data)
    except DisclosureError as e:
        raise ReportError(
            f"Report for kommune {kommune_code} {data.year} not written: it fails the disclosure audit ({e})."
        ) from e
    out = out or settings.reports_dir / f"rapport_{kommune_code}_{data.year}.html"
    out.parent.mkdir(parents=True, exist_ok=True)
    write_workbook(data, out.with_suffix(".xlsx"))
    tmp = out.with_suffix(".tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(out)
    return out
