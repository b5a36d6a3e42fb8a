"""The disclosure audit of a rendered report: run on the page as written, before it is saved.

1. Every number about the kommune's pupils on the page (``data-cell``) is read back from its
   Danish formatting and compared with the protected cell it claims to show: a hidden cell must
   show its mark ("<5", "x", "<20"), a shown count its value, a shown share (``data-of``: its
   denominator, which must be shown too) the value rounded to one decimal.
2. The charts' embedded JSON may carry only numbers with at most one decimal, and a point tied
   to a cell (``customdata``) must carry exactly the table's number, or null when it is hidden.
3. Every cube the page shows is audited (``overgang/suppression.check``): for each hidden cell,
   integer programming finds the smallest and largest value consistent with every shown count
   and sum; the interval must span at least four values.

Any failure raises ``DisclosureError``; ``render_report`` then writes nothing.
"""

from __future__ import annotations

import html as htmllib
import json
import re

from overgang.suppression import DisclosureError, check

CELL = re.compile(r'<(td|th|span|div|dd)\b[^>]*?\sdata-cell="([^"]+)"(?:\s+data-of="([^"]*)")?[^>]*>(.*?)</\1>', re.S)
NEWPLOT = re.compile(r'Plotly\.newPlot\(\s*"([^"]+)",\s*')


def _text(fragment: str) -> str:
    return htmllib.unescape(re.sub(r"<[^>]+>", "", fragment)).strip()


def parse_number(text: str) -> float:
    """'16,1 %' -> 16.1; '3.443' -> 3443."""
    return float(text.replace("%", "").replace(".", "").replace(",", ".").replace("\u00a0", "").strip())


def _cube(data, cell_id: str):
    k, period, name = cell_id.split("/", 2)
    if period.startswith("c"):
        if data.completion_cube is None:
            raise DisclosureError(f"{cell_id}: no completion table")
        cube, labels = data.completion_cube
        return cube, labels, name, ("c", int(k), period)
    pub = data.cells.get((int(k), int(period)))
    if pub is None or name not in pub.cube.values:
        raise DisclosureError(f"{cell_id}: the page shows a cell that is not in the published set")
    return pub.cube, pub.labels, name, (int(k), int(period))


def audit_html(page: str, data) -> int:
    """Raises DisclosureError if the page shows more than the protected cells allow; returns the
    number of numbers checked."""
    used = {}
    checked = 0
    for _tag, cell_id, of, inner in CELL.findall(page):
        text = _text(inner)
        cube, labels, name, key = _cube(data, cell_id)
        used[key] = (cube, labels)
        label = labels.get(name)
        if label is not None:
            if text != label:
                raise DisclosureError(f"{cell_id} is hidden ({label}) but the page shows {text!r}")
            continue
        if text in ("<5", "x") or text.startswith("<"):
            raise DisclosureError(f"{cell_id} is shown in the published set but marked {text!r} on the page")
        value = parse_number(text)
        truth = cube.values[name]
        if of:
            _, of_labels, of_name, _ = _cube(data, of)
            if of_labels.get(of_name) is not None:
                raise DisclosureError(f"{cell_id}: a share whose denominator {of} is hidden")
            total = _cube(data, of)[0].values[of_name]
            if abs(value - 100.0 * truth / total) > 0.05 + 1e-9:
                raise DisclosureError(f"{cell_id}: the page shows {text!r}, not the share rounded to one decimal")
        elif value != truth:
            raise DisclosureError(f"{cell_id}: the page shows {text!r}, the cell is {truth}")
        checked += 1
    checked += _audit_charts(page, data)
    for cube, labels in used.values():
        check(cube, labels)
    return checked


def chart_data(page: str) -> dict[str, list[dict]]:
    """The traces of every chart on the page, from the JSON plotly.js is given."""
    out = {}
    decoder = json.JSONDecoder()
    for m in NEWPLOT.finditer(page):
        traces, _ = decoder.raw_decode(page, m.end())
        out[m.group(1)] = traces
    return out


def _numbers(value):
    if isinstance(value, bool) or value is None:
        return
    if isinstance(value, (int, float)):
        yield value
    elif isinstance(value, list):
        for v in value:
            yield from _numbers(v)
    elif isinstance(value, dict):
        if "bdata" in value:
            raise DisclosureError("a chart carries a binary array; charts must carry plain, rounded numbers")
        for v in value.values():
            yield from _numbers(v)


def _audit_charts(page: str, data) -> int:
    checked = 0
    for chart, traces in chart_data(page).items():
        for trace in traces:
            for key in ("x", "y", "error_x", "error_y"):
                for v in _numbers(trace.get(key)):
                    if abs(v * 10 - round(v * 10)) > 1e-6:
                        raise DisclosureError(f"{chart}: the chart carries {v!r}, more precise than any table")
                    checked += 1
            cells = trace.get("customdata")
            if not cells:
                continue
            values = trace["x"] if trace.get("orientation") == "h" or chart == "chart-schools" else trace["y"]
            for cell_id, v in zip(cells, values):
                if cell_id is None:
                    continue
                cube, labels, name, _ = _cube(data, cell_id)
                if labels.get(name) is not None:
                    if v is not None:
                        raise DisclosureError(f"{chart}: hidden cell {cell_id} is drawn as {v}")
                    continue
                k, period, _ = cell_id.split("/", 2)
                total_name = name.rsplit("/", 1)[0] + "/n"
                if labels.get(total_name) is not None:
                    raise DisclosureError(f"{chart}: {cell_id} drawn but its denominator is hidden")
                share = 100.0 * cube.values[name] / cube.values[total_name]
                if v is None or abs(v - share) > 0.05 + 1e-9:
                    raise DisclosureError(f"{chart}: {cell_id} drawn as {v}, not as the table shows it")
    return checked
