"""Charts as plotly.js figure specifications: plain dicts, drawn by the plotly.js bundle the
report embeds (reports/vendor/).

The report writes the JSON plotly.js reads, not plotly.py's figure objects: building those
validates every property against plotly's schema, and importing and warming it up cost every
`overgang report` about half a second for four small charts. The few operations the report needs
(a trace, a line or band across the plot, a note, a layout update) are written here with
plotly.py's meaning; `tests/test_charts.py` checks them against plotly.py's own output.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from overgang.display import without_bidi

VENDOR = Path(__file__).parent / "vendor"
TEMPLATE = VENDOR / "plotly-template-simple_white.json"

# A chart is part of a document, not an app: no toolbar (its buttons were the first Tab stops,
# and "share" does nothing offline), no zoom by scroll or touch.
CONFIG = {
    "displaylogo": False,
    "responsive": True,
    "displayModeBar": False,
    "scrollZoom": False,
    "doubleClick": False,
    "showAxisDragHandles": False,
}


def figure() -> dict:
    return {"data": [], "layout": {}}


def trace(fig: dict, kind: str, **properties) -> dict:
    """Add a trace (`kind`: "scatter" or "bar"); properties as plotly.js names them."""
    fig["data"].append({"type": kind, **{k: v for k, v in properties.items() if v is not None}})
    return fig


def update(target: dict, **properties) -> dict:
    """Merge `properties` into `target` as plotly's update_layout does: nested dicts are merged,
    other values replaced."""
    for key, value in properties.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            update(target[key], **value)
        else:
            target[key] = value
    return target


def vline(fig: dict, x: float, line: dict, note: str | None = None, note_font: dict | None = None) -> dict:
    """A vertical line across the plot at `x` (plotly.py's add_vline), with a note above it."""
    shape = {"type": "line", "x0": x, "x1": x, "xref": "x", "y0": 0, "y1": 1, "yref": "y domain", "line": line}
    fig["layout"].setdefault("shapes", []).append(shape)
    if note is not None:
        annotation = {
            "x": x,
            "xref": "x",
            "y": 1,
            "yref": "y domain",
            "text": note,
            "showarrow": False,
            "xanchor": "center",
            "yanchor": "bottom",
        }
        if note_font:
            annotation["font"] = note_font
        fig["layout"].setdefault("annotations", []).append(annotation)
    return fig


def vrect(fig: dict, x0: float, x1: float, fillcolor: str, layer: str = "below") -> dict:
    """A band across the plot from `x0` to `x1` (plotly.py's add_vrect), without an outline."""
    shape = {
        "type": "rect",
        "x0": x0,
        "x1": x1,
        "xref": "x",
        "y0": 0,
        "y1": 1,
        "yref": "y domain",
        "fillcolor": fillcolor,
        "line": {"width": 0},
        "layer": layer,
    }
    fig["layout"].setdefault("shapes", []).append(shape)
    return fig


def annotate(fig: dict, **annotation) -> dict:
    fig["layout"].setdefault("annotations", []).append(annotation)
    return fig


@lru_cache(maxsize=1)
def template() -> dict:
    """plotly's "simple_white" template, as plotly.py 6 wrote it (vendored: tests/test_charts.py
    checks it is still plotly.py's)."""
    return json.loads(TEMPLATE.read_text(encoding="utf-8"))


def _json(value) -> str:
    # Inside <script>: "<" as \u003c, so no text in a chart ("</script>" in a school's name) can
    # end the element. JSON reads it back as the same character. Every label, caption and hover
    # text of every chart passes here: no bidi control in a name reorders the text around it
    # (overgang/display.py), and none is JSON syntax, so removing them leaves the JSON whole.
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")
    return without_bidi(text)


def div(fig: dict | None, div_id: str) -> str:
    """The chart's div and the script that draws it, as plotly.io.to_html writes them (no
    plotly.js: the report embeds it once)."""
    if fig is None:
        return ""
    layout = {**fig["layout"], "template": template()}
    height = layout.get("height")
    outer = f"height:{height}px; width:100%;" if height else "height:100%; width:100%;"
    return (
        f'<div style="{outer}"><div id="{div_id}" class="plotly-graph-div" style="height:100%; width:100%;"></div>'
        f"<script>window.PLOTLYENV=window.PLOTLYENV || {{}};"
        f'if (document.getElementById("{div_id}")) {{Plotly.newPlot("{div_id}", '
        f"{_json(fig['data'])}, {_json(layout)}, {_json(CONFIG)})}};</script></div>"
    )
