"""The council report: one self-contained HTML file in Danish per municipality and year.

Reads only the published warehouse (read-only), so a report can be made while a run builds
the next version. The numbers come from ``reports/data.py``; this module draws the charts
(plotly.js embedded once, no network) and fills ``templates/council_report.html.j2``.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlparse

import duckdb
import numpy as np
import pandas as pd
from jinja2 import Environment, FileSystemBytecodeCache, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from overgang.display import runs_in_a_spreadsheet, without_bidi
from overgang.numbers import da_date, da_int, da_pct, da_pp, da_target
from overgang.settings import Settings
from overgang.suppression import DisclosureError
from reports import charts
from reports.audit import audit_html
from reports.data import ReportData, ReportError, load_report_data
from reports.findings import (
    SERIES_BREAK_YEAR,
    completion_finding,
    genitive,
    groups_finding,
    schools_finding,
    series_finding,
)
from reports.names import Name, plain
from reports.verdicts import MIN_POINTS, MODEL

__all__ = ["ReportError", "load_report_data", "render_html", "render_report", "write_report"]

TEMPLATES = Path(__file__).resolve().parent / "templates"
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


def _layout(fig: dict, y_title: str, height: int = 340) -> dict:
    """A chart for a document: the title is the figure's HTML caption (it wraps on a phone, a
    plotly title does not), the legend lies below the plot, nothing zooms or pans."""
    charts.update(
        fig["layout"],
        separators=",.",
        height=height,
        autosize=True,
        margin={"l": 10, "r": 24, "t": 24, "b": 10},
        # Tied to the figure's bottom edge, so it never lands on the tick labels however the
        # plot's height and the legend's rows come out at a given width.
        legend={
            "orientation": "h",
            "yref": "container",
            "y": 0,
            "yanchor": "bottom",
            "x": 0,
            "xanchor": "left",
            "itemclick": False,
            "itemdoubleclick": False,
        },
        yaxis={
            "title": {"text": y_title},
            "ticksuffix": " %",
            "rangemode": "tozero",
            "automargin": True,
            "fixedrange": True,
        },
        xaxis={"automargin": True, "fixedrange": True, "tickangle": 0},
        dragmode=False,
        font={"family": "system-ui, -apple-system, 'Segoe UI', sans-serif", "size": 13},
    )
    return fig


def _values(values) -> list:
    """What a chart may carry: the numbers as the tables print them (one decimal), a hidden or
    missing one as null. Plain lists, so the page's JSON is readable (no binary arrays)."""
    return [None if v is None or pd.isna(v) else round(float(v), 1) for v in values]


def _wrap(name: str, width: int = 18) -> str:
    """'Høje-Taastrup 10. klasse-center' -> 'Høje-Taastrup 10.<br>klasse-center' (plotly breaks lines only at <br>)."""
    words, lines = str(name).split(" "), [""]
    for w in words:
        if lines[-1] and len(lines[-1]) + 1 + len(w) > width:
            lines.append(w)
        else:
            lines[-1] = f"{lines[-1]} {w}".strip()
    return "<br>".join(str(escape(line)) for line in lines)


def rows(frame: pd.DataFrame) -> list[dict]:
    """``frame.to_dict("records")`` for the report's small frames (numpy numbers as Python ones,
    NaN kept), without its column-by-column indexing: that cost the template more than its text."""
    columns = list(frame.columns)
    return [dict(zip(columns, map(_native, row))) for row in frame.to_numpy(dtype=object).tolist()]


def _native(value):
    return value.item() if isinstance(value, np.integer | np.floating | np.bool_) else value


def named_rows(frame: pd.DataFrame) -> list[tuple]:
    """(index, row) pairs, as ``frame.iterrows()`` gives them, the rows as dicts (see ``rows``)."""
    return list(zip(frame.index, rows(frame)))


def _records(frame: pd.DataFrame) -> list[dict]:
    """A small frame's rows as dicts of plain Python values, a missing one as None."""
    return [{k: None if v is None or v != v else v for k, v in r.items()} for r in rows(frame)]


def chart_series(data: ReportData, group: str) -> list[dict]:
    """The rows a trend chart and its table show: every year from the first loaded one to the
    report year (a year without data stays as an empty row, so it is said, not skipped), and
    the måltal for the year after the report year when the council has set one."""
    # Plain rows, not pandas: a dozen years, and the merges cost more than the report's charts.
    series = _records(data.series[group])
    columns = list(data.series[group].columns)
    # A year has figures when it has a source: its extract (a protected cell) or a published table.
    loaded = [r["year"] for r in series if r["source"] is not None]
    first = int(min(loaded)) if loaded else data.year
    by_year = {r["year"]: r for r in series if first <= r["year"] <= data.year}
    out = [by_year.get(y) or {**dict.fromkeys(columns), "year": y} for y in range(first, data.year + 1)]
    out += [r for r in series if r["year"] == data.year + 1 and r["target"] is not None]
    return [
        {
            **r,
            "year": int(r["year"]),
            "ahead": r["year"] > data.year,
            "missing": r["year"] <= data.year and r["source"] is None,
        }
        for r in out
    ]


def missing_years(data: ReportData, group: str = "EUD", series: list[dict] | None = None) -> list[int]:
    """The years without figures (`series`: the group's chart_series, when already made)."""
    return [r["year"] for r in series or chart_series(data, group) if r["missing"]]


def projection_of(data: ReportData, group: str):
    """The projection a goal card on the group's share rests on (reports/verdicts.py), if any:
    drawn as a band up to its deadline, so the chart and the card say the same."""
    if group != "EUD":
        return None
    return next((c.projection for c in data.goal_cards if c.kind == "søgning" and c.projection is not None), None)


def series_figure(data: ReportData, group: str, series: list[dict] | None = None) -> dict:
    s = series or chart_series(data, group)
    now = [r for r in s if not r["ahead"]]
    fig = charts.figure()
    years = [r["year"] for r in now]

    def column(name: str) -> list:
        return [r[name] for r in now]

    charts.trace(
        fig,
        "scatter",
        x=years,
        y=_values(column("kommune")),
        name=data.kommune_name,
        mode="lines+markers",
        customdata=[c if isinstance(c, str) else None for c in column("cell")],
        line={"color": COLOURS["kommune"], "width": 3},
        hovertemplate="%{x}: %{y:.1f} %<extra></extra>",
    )
    if any(v is not None for v in column("national")):
        charts.trace(
            fig,
            "scatter",
            x=years,
            y=_values(column("national")),
            name="Hele landet",
            mode="lines+markers",
            line={"color": COLOURS["national"], "dash": "dash"},
            hovertemplate="%{x}: %{y:.1f} %<extra></extra>",
        )
    if any(v is not None for v in column("target")):
        charts.trace(
            fig,
            "scatter",
            x=years,
            y=_values(column("target")),
            name="Måltal",
            mode="markers+lines",
            line={"color": COLOURS["target"], "dash": "dot"},
            marker={"symbol": "diamond", "size": 9},
            hovertemplate="Måltal %{x}: %{y:.1~f} %<extra></extra>",
        )
    ahead = [r for r in s if r["ahead"]]
    if ahead:
        # Next year's måltal is already decided: drawn, but as what it is (a target ahead, no data).
        charts.trace(
            fig,
            "scatter",
            x=[r["year"] for r in ahead],
            y=_values([r["target"] for r in ahead]),
            name=f"Måltal {ahead[0]['year']} (kommende)",
            mode="markers",
            marker={"symbol": "diamond-open", "size": 11, "color": COLOURS["target"], "line": {"width": 2}},
            hovertemplate="Kommende måltal %{x}: %{y:.1~f} %<extra></extra>",
        )
        charts.vrect(fig, data.year + 0.5, data.year + 1.5, "#eeeeee")
    first, last = years[0], max(r["year"] for r in s)
    if (p := projection_of(data, group)) is not None:
        # The 95 % prediction interval from the newest point to the deadline: the lower edge, then
        # the upper filled down to it, then the trend itself.
        band_years = [b[0] for b in p.band]
        charts.trace(
            fig,
            "scatter",
            x=band_years,
            y=_values([b[2] for b in p.band]),
            mode="lines",
            line={"width": 0, "color": COLOURS["kommune"]},
            name="Fremskrivning, nedre grænse",
            showlegend=False,
            hoverinfo="skip",
        )
        charts.trace(
            fig,
            "scatter",
            x=band_years,
            y=_values([b[3] for b in p.band]),
            mode="lines",
            fill="tonexty",
            fillcolor="rgba(0,114,178,0.15)",
            line={"width": 0, "color": COLOURS["kommune"]},
            name=f"Fremskrivning til {p.deadline} (95 %-prædiktionsinterval)",
            hoverinfo="skip",
        )
        charts.trace(
            fig,
            "scatter",
            x=band_years,
            y=_values([b[1] for b in p.band]),
            mode="lines",
            line={"color": COLOURS["kommune"], "dash": "dot", "width": 2},
            name="Fremskrivning, trend",
            showlegend=False,
            hovertemplate="Fremskrevet %{x}: %{y:.1f} %<extra></extra>",
        )
        last = max(last, p.deadline)
    if first < SERIES_BREAK_YEAR <= data.year:
        charts.vline(fig, SERIES_BREAK_YEAR - 0.5, {"color": COLOURS["break"], "dash": "dash", "width": 1})
        charts.annotate(
            fig,
            x=SERIES_BREAK_YEAR - 0.5,
            y=1,
            yref="paper",
            text=f"Databrud {SERIES_BREAK_YEAR}",
            showarrow=False,
            # Left of the line: right of it there may be only a year or two of room.
            xanchor="right",
            yanchor="bottom",
            font={"size": 11, "color": COLOURS["break"]},
        )
    # The axis ends at the report year (or next year's måltal); plotly picks fewer ticks on a
    # narrow screen, but a short series needs whole years forced (else 2023,5).
    xaxis: dict[str, object] = {"range": [first - 0.5, last + 0.5], "tickformat": "d", "title": {"text": ""}}
    if last - first < 5:
        xaxis["dtick"] = 1
    charts.update(fig["layout"], xaxis=xaxis)
    return _layout(fig, "Andel af afgangselever", 340)


def groups_figure(data: ReportData) -> dict:
    g = data.groups
    fig = charts.figure()
    prefix = f"{data.kommune_code}/{data.year}/"
    charts.trace(
        fig,
        "bar",
        x=list(g["short_label_da"]),
        y=_values(g["share"]),
        name=data.kommune_name,
        marker={"color": COLOURS["kommune"]},
        # A published table's figures are public already: no protected cell to tie them to.
        customdata=[prefix + c for c in g["cell"]] if data.basis == "extract" else None,
        text=[label if isinstance(label, str) else da_pct(v) for v, label in zip(g["share"], g["label"])],
        textposition="outside",
        hovertemplate="%{x}: %{y:.1f} %<extra></extra>",
        cliponaxis=False,
    )
    charts.trace(
        fig,
        "bar",
        x=list(g["short_label_da"]),
        y=_values(g["national"]),
        name="Hele landet",
        marker={"color": COLOURS["national"]},
        text=[da_pct(v) for v in g["national"]],
        textposition="outside",
        hovertemplate="%{x}: %{y:.1f} %<extra></extra>",
        cliponaxis=False,
    )
    # A hidden count has no bar: its mark stands on the axis, so it never reads as 0 %.
    for x, label in zip(g["short_label_da"], g["label"]):
        if isinstance(label, str):
            charts.annotate(
                fig,
                x=x,
                y=0,
                xshift=-14,
                text=label,
                showarrow=False,
                yanchor="bottom",
                font={"size": 12, "color": COLOURS["kommune"]},
            )
    # A label that no longer fits above its bar on a narrow screen is left out (the table has it).
    charts.update(fig["layout"], barmode="group", uniformtext={"minsize": 10, "mode": "hide"})
    return _layout(fig, "Andel af afgangselever", 340)


def schools_figure(data: ReportData) -> dict | None:
    s = data.schools
    if s.empty:
        return None
    s = s[s["EUD"].notna() & s["EUD_low"].notna()]
    if s.empty:
        return None
    prefix = f"{data.kommune_code}/{data.year}/"
    fig = charts.figure()
    charts.trace(
        fig,
        "scatter",
        x=_values(s["EUD"]),
        # Long names over two lines: on a phone the names would otherwise leave the axis no room.
        y=[_wrap(n) for n in s["school_name"]],
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
        charts.vline(fig, float(national), {"color": COLOURS["national"], "dash": "dash"}, "Hele landet", {"size": 11})
    fig = _layout(fig, "", 90 + 40 * len(s))
    charts.update(
        fig["layout"],
        yaxis={"ticksuffix": "", "title": {"text": ""}, "autorange": "reversed"},
        xaxis={"ticksuffix": " %", "rangemode": "tozero", "title": {"text": ""}, "nticks": 5},
        showlegend=False,
    )
    return fig


def completion_figure(data: ReportData) -> dict | None:
    c = data.completion
    if c.empty:
        return None
    fig = charts.figure()
    areas = {"kommune": data.kommune_name, "Hele landet": "Hele landet"}
    for status in c["status"].unique():
        part = c[c.status == status]
        charts.trace(
            fig,
            "bar",
            y=[areas[a] for a in part["area"]],
            x=_values(part["share"]),
            orientation="h",
            name=part["label"].iloc[0],
            marker={"color": COLOURS[status]},
            hovertemplate="%{y}: %{x:.1f} %<extra>" + part["label"].iloc[0] + "</extra>",
        )
    charts.update(fig["layout"], barmode="stack")
    fig = _layout(fig, "", 300)
    charts.update(
        fig["layout"],
        yaxis={"ticksuffix": "", "title": {"text": ""}},
        xaxis={"ticksuffix": " %", "title": {"text": ""}, "range": [0, 100]},
    )
    return fig


def series_table(data: ReportData) -> list[dict]:
    """One row per year with kommune, national and måltal for each group (the charts' numbers)."""
    table: dict[int, dict] = {}
    for group, frame in data.series.items():
        for r in _records(frame):
            row = table.setdefault(r["year"], {"year": r["year"]})
            row.update({f"{group}_{k}": v for k, v in r.items() if k != "year"})
    return [table[y] for y in sorted(table)]


def report_tables(data: ReportData) -> dict[str, list[dict]]:
    """The report's tables as printed (one decimal, hidden cells as their mark): the workbook's
    sheets, each a list of rows (a missing column in a row is an empty cell)."""

    def shown(value, label, decimals=1):
        if isinstance(label, str):
            return label
        return None if value is None or pd.isna(value) else (round(float(value), decimals) if decimals else int(value))

    sheets = {}
    rows = []
    for r in series_table(data):
        row = {"År": r["year"]}
        for g, name in data.targets.items():
            row[f"{name} (%)"] = shown(r.get(f"{g}_kommune"), r.get(f"{g}_label"))
            row[f"{name} hele landet (%)"] = shown(r.get(f"{g}_national"), None)
            # A måltal keeps the decimals it was decided with; an interpolated one says so.
            target = r.get(f"{g}_target")
            row[f"{name} måltal (%)"] = None if target is None or pd.isna(target) else float(target)
            row[f"{name} måltal interpoleret"] = "ja" if r.get(f"{g}_target_basis") == "interpolated" else None
        row["Kilde"] = r.get("EUD_source")
        rows.append(row)
    sheets["Udvikling"] = rows
    sheets["Grupper"] = [
        {
            "Uddannelsesgruppe": r["label_da"],
            "Antal": shown(r["applicants"], r["label"], 0),
            "Andel (%)": shown(r["share"], r["label"]),
            "Hele landet (%)": shown(r["national"], None),
        }
        for r in _records(data.groups)
    ] + [
        {
            "Uddannelsesgruppe": "Afgangselever i alt",
            "Antal": shown(data.denominator, data.denominator_label, 0),
            "Andel (%)": 100,
        }
    ]

    def split(frame, first):
        out = []
        for name, r in zip(frame.index, _records(frame)):
            row = {first: r.get("school_name", name), "Elever": shown(r["denominator"], r["label_n"], 0)}
            for g, label in data.targets.items():
                row[f"{label} (%)"] = shown(r[g], r[f"label_{g}"])
            out.append(row)
        return out

    sheets["Klassetrin"] = split(data.grades, "Klassetrin")
    sheets["Køn"] = split(data.sexes, "Køn")
    sheets["Skoler"] = split(data.schools, "Skole")
    sheets["Sammenligning"] = [
        {**row, "EUD mod landet": r.get("placement")}
        for row, r in zip(
            split(data.comparison.set_index("area") if len(data.comparison) else data.comparison, "Område"),
            _records(data.comparison),
        )
    ]
    sheets["Målsætninger"] = [goal_row(c) for c in data.goal_cards]
    if len(data.completion):
        sheets["Uddannelsesstatus"] = [
            {
                "Status": r["label"],
                "Antal": shown(r["persons"], r["mark"], 0),
                "Andel (%)": shown(r["share"], r["mark"]),
            }
            for r in _records(data.completion)
            if r["area"] == "kommune"
        ]
    return sheets


def goal_row(card) -> dict:
    """A goal card as the workbook prints it: the same verdict (reports/verdicts.py) as the page,
    in plain words, with the projection's interval where the verdict rests on one."""
    v, p = card.verdict, card.projection
    row = {
        "Mål": card.title,
        "Tal": card.value_label,
        "Værdi (%)": card.value_label_mark or (None if card.value is None else round(float(card.value), 1)),
        "Mål (%)": None if card.target is None else float(card.target),
        "Status": v.text() if v is not None else str(card.status),
    }
    if p is not None:
        row.update(
            {
                "Fremskrevet (%)": round(p.centre, 1),
                "Prædiktionsinterval, nedre (%)": round(p.low, 1),
                "Prædiktionsinterval, øvre (%)": round(p.high, 1),
                "Fremskrevet til": p.deadline,
                "År i fremskrivningen": ", ".join(str(y) for y in p.years),
            }
        )
    return row


def write_workbook(data: ReportData, path: Path) -> Path:
    """The report's tables as an .xlsx workbook (publication set): the same cells, marks and rounding."""
    import xlsxwriter

    tmp = path.with_suffix(".tmp.xlsx")
    synthetic = bool(data.publication.get("synthetic_data"))
    sheets = report_tables(data)
    sheets["Om tallene"] = [
        {"Note": note}
        for note in (
            *([SYNTHETIC_NOTE] if synthetic else []),
            "Antal på 0-4 står som <5; x er skjult for at beskytte et andet tal (altid 5 eller flere); "
            f"<{data.small_cell.min_denominator} betyder færre elever end det. Andele i procent med én decimal.",
            f"{data.kommune_name} Kommune, {data.year}. Kilde: Overgang, kørsel {data.publication.get('run_id')}.",
        )
    ]
    # in_memory: the sheets go into the zip from memory, not through a temporary file each. No
    # text becomes a formula, a number or a link by its look (a school named "=HYPERLINK(…)").
    book = xlsxwriter.Workbook(
        str(tmp),
        {"in_memory": True, "strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False},
    )
    bold = book.add_format({"bold": True})
    title = f"Søgning til ungdomsuddannelserne {data.year} – {data.kommune_name} Kommune"
    book.set_properties(
        {
            "title": (SYNTHETIC_HEADER + title) if synthetic else title,
            "subject": SYNTHETIC_NOTE if synthetic else title,
            "keywords": "syntetiske data, ikke rigtige tal" if synthetic else "",
            "comments": SYNTHETIC_NOTE if synthetic else "",
            "author": "Overgang",
        }
    )
    if synthetic:
        book.set_custom_property("Syntetiske data", True)
    mark = book.add_format({"bold": True, "font_color": "#3d3000", "bg_color": "#fff1c2"})
    # Text a spreadsheet would run stays text when it is edited too (Excel's leading apostrophe).
    quoted = book.add_format({"quote_prefix": True})
    for name, rows in sheets.items():
        sheet = book.add_worksheet(name)
        columns = list(dict.fromkeys(c for r in rows for c in r))
        # Row 1 says the data are synthetic above the column headings (and on paper, each page).
        top = 1 if synthetic else 0
        if synthetic:
            sheet.write_string(0, 0, SYNTHETIC_NOTE, mark)
            sheet.set_header(f"&C&B{SYNTHETIC_MARK}")
        sheet.write_row(top, 0, columns, bold)
        for i, r in enumerate(rows, start=top + 1):
            for j, c in enumerate(columns):
                _write_cell(sheet, i, j, r.get(c), quoted)
    try:
        book.close()
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)  # a disk that filled mid-write leaves no half file behind
    return path


def _write_cell(sheet, row: int, col: int, value, quoted) -> None:
    """A number as a number, anything else as text (never a formula), without bidi controls."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        text = without_bidi(str(value))
        sheet.write_string(row, col, text, quoted if runs_in_a_spreadsheet(text) else None)
    else:
        sheet.write_number(row, col, value)


VENDOR = Path(__file__).resolve().parent / "vendor"


def plotly_bundle() -> str:
    """plotly.js to embed once: the basic partial bundle (scatter and bar, all the report draws),
    vendored (reports/vendor/README.md)."""
    (bundle,) = VENDOR.glob("plotly-basic-*.min.js")
    return bundle.read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def _environment() -> Environment:
    # Compiling the report's template costs about 0.3 s, every `overgang report` again; Jinja's
    # cache keeps the compiled code in the user's own temporary folder (mode 700), keyed by the
    # template's source, so a changed template is compiled afresh.
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "j2"]),
        bytecode_cache=FileSystemBytecodeCache(),
    )
    env.filters.update(
        pct=da_pct,
        int=da_int,
        date=da_date,
        pp=da_pp,
        target=target_pct,
        source=source_link,
        plain=plain,
        genitive=genitive,
        css=lambda text: Markup(css_string(str(text))),
    )
    env.globals.update(rows=rows, named_rows=named_rows, synthetic_header=SYNTHETIC_HEADER)
    return env


def target_pct(value) -> str:
    """A måltal as the council decided it (overgang.numbers.da_target)."""
    return da_target(value)


# Publications the report cites, by address: a councillor gets a link with a name, not a URL.
PUBLICATIONS = {
    "https://www.uvm.dk/aktuelt/nyheder/uvm/2017/dec/171214-ny-uddannelsespolitisk-maalsaetning": (
        "Børne- og Undervisningsministeriet: Ny uddannelsespolitisk målsætning (14. december 2017)"
    ),
    "https://www.uvm.dk/erhvervsuddannelser/skoleudvikling/klare-maal": (
        "Børne- og Undervisningsministeriet: Klare mål for erhvervsuddannelserne"
    ),
    "https://sn.dk/Taastrup/": "Sjællandske Medier (sn.dk): Færre unge vælger en erhvervsuddannelse",
    "https://www.statistikbanken.dk/": "Danmarks Statistik, Statistikbanken",
}


def source_link(source) -> Markup:
    """A goal's source as a link named after the publication (its site's name when unknown),
    or the text as it is when it is not an address."""
    if not isinstance(source, str) or not source.strip():
        return Markup("")
    text = source.strip()
    if not text.startswith(("http://", "https://")):
        return escape(Name(text))
    name = next((n for prefix, n in PUBLICATIONS.items() if text.startswith(prefix)), None)
    name = name or Name(urlparse(text).netloc.removeprefix("www."))
    return Markup('<a href="{}">{}</a>').format(without_bidi(text), name)


def print_header(data: ReportData, generated: datetime) -> str:
    """The running header of every printed page, as a CSS string (kommune, year, date); a report
    made from the synthetic sample says so on every page (the mark above the title is on page 1)."""
    text = f"{data.kommune_name} Kommune · Søgning til ungdomsuddannelserne {data.year} · {da_date(generated.date())}"
    return css_string(SYNTHETIC_HEADER + text if data.publication.get("synthetic_data") else text)


# What marks every surface made from the shipped synthetic sample: a printed page's running header,
# and row 1 of every sheet and the properties of the workbook, so a forwarded copy cannot pass as real.
SYNTHETIC_MARK = "SYNTETISKE DATA – ikke rigtige tal"
SYNTHETIC_HEADER = SYNTHETIC_MARK + " · "
SYNTHETIC_NOTE = SYNTHETIC_MARK + ". Lavet ud fra Overgangs opdigtede eksempeldata, ikke fra kommunens egne udtræk."


def css_string(text: str) -> str:
    """`text` as a CSS string inside <style>: no quote ends it early and no "<" can close the element."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("<", "\\3c ") + '"'


def render_html(data: ReportData, generated: datetime) -> str:
    env = _environment()
    eud_now = data.series["EUD"].set_index("year")["kommune"].get(data.year)
    kp = f"{data.kommune_code}/{data.year}"
    trend = {g: chart_series(data, g) for g in data.targets}
    national = data.series["EUD"].set_index("year")["national"].get(data.year)
    findings: dict[str, Markup | str] = {
        g: series_finding(trend[g], data.words[g].what, data.year) for g in data.targets
    }
    findings["groups"] = groups_finding(data.groups, kp if data.basis == "extract" else None, data.year)
    findings["schools"] = schools_finding(data.schools, kp, data.year, national) if len(data.schools) else ""
    if len(data.completion):
        assert data.completion_year is not None  # set with the completion table
        findings["completion"] = completion_finding(
            data.completion, f"{data.kommune_code}/c{data.completion_year}", data.completion_year, data.kommune_name
        )
    # "30 %" never breaks between the number and its sign at the end of a caption's line.
    findings = {k: Markup(str(v).replace(" %", "\u00a0%")) for k, v in findings.items()}
    return env.get_template("council_report.html.j2").render(
        d=data,
        groups_order=data.targets,
        group_titles={g: w.title for g, w in data.words.items()},
        trend=trend,
        interpolated=any(r["target_basis"] == "interpolated" for rows in trend.values() for r in rows),
        missing=missing_years(data, series=trend.get("EUD")),
        findings=findings,
        eud_now=None if pd.isna(eud_now) else eud_now,
        series_charts={g: charts.div(series_figure(data, g, trend[g]), f"chart-{g.lower()}") for g in data.targets},
        groups_chart=charts.div(groups_figure(data), "chart-groups"),
        schools_chart=charts.div(schools_figure(data), "chart-schools"),
        completion_chart=charts.div(completion_figure(data), "chart-completion"),
        plotly_js=plotly_bundle(),
        generated=generated,
        series_break=SERIES_BREAK_YEAR,
        verdict_min_points=MIN_POINTS,
        verdict_model=MODEL,
        print_header=Markup(print_header(data, generated)),
    )


def render_report(settings: Settings, kommune_code: int, year: int | None = None, out: Path | None = None) -> Path:
    if not settings.warehouse.exists():
        raise ReportError(f"No published warehouse at {settings.warehouse}: run `overgang run` first.")
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        data = load_report_data(con, kommune_code, year, settings)
    return write_report(settings, data, out, datetime.now())


def write_report(settings: Settings, data: ReportData, out: Path | None, when: datetime) -> Path:
    """The page of `data` (made at `when`) audited and written with its workbook, at `out` or in
    the home's reports folder; ReportError, and nothing written, when it fails the audit."""
    html = render_html(data, when)
    try:
        # The disclosure audit on the page as written; a report that fails it is not written.
        audit_html(html, data)
    except DisclosureError as e:
        raise ReportError(
            f"Report for kommune {data.kommune_code} {data.year} not written: it fails the disclosure audit ({e})."
        ) from e
    out = out or settings.reports_dir / f"rapport_{data.kommune_code}_{data.year}.html"
    out.parent.mkdir(parents=True, exist_ok=True)
    write_workbook(data, out.with_suffix(".xlsx"))
    tmp = out.with_suffix(".tmp")
    try:
        tmp.write_text(html, encoding="utf-8")
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)  # a disk that filled mid-write leaves no half file behind
    return out
