"""The report's charts are plotly.js specifications written as plain dicts (reports/charts.py),
not plotly.py figures. These tests hold the dicts to plotly.py's meaning, so the pages draw as
they did when plotly.py wrote them, and check that no text in a chart can end its script."""

from __future__ import annotations

import json
import re

import plotly.graph_objects as go
import plotly.io as pio
import plotly.offline

from reports import charts
from reports.audit import chart_data


def _plotly_json(fig: go.Figure) -> dict:
    spec = fig.to_plotly_json()
    spec["layout"].pop("template", None)
    return json.loads(json.dumps(spec))


def test_the_vendored_template_is_plotlys_simple_white():
    assert charts.template() == json.loads(json.dumps(pio.templates["simple_white"].to_plotly_json()))


def test_the_vendored_bundle_is_the_plotly_js_plotly_py_writes_for():
    (bundle,) = charts.VENDOR.glob("plotly-basic-*.min.js")
    assert bundle.name == f"plotly-basic-{plotly.offline.get_plotlyjs_version()}.min.js"


def test_lines_bands_notes_and_updates_mean_what_plotly_py_means():
    ours = charts.figure()
    charts.trace(ours, "scatter", x=[2022, 2023], y=[16.1, 23.7], name="Kommune", line={"color": "#0072B2"})
    charts.trace(ours, "bar", x=["EUD"], y=[20.0], marker={"color": "#E69F00"}, cliponaxis=False)
    charts.vrect(ours, 2023.5, 2024.5, "#eeeeee")
    charts.vline(ours, 2022.5, {"color": "#555555", "dash": "dash", "width": 1})
    charts.vline(ours, 19.4, {"color": "#E69F00", "dash": "dash"}, "Hele landet", {"size": 11})
    charts.annotate(ours, x=2022.5, y=1, yref="paper", text="Databrud 2023", showarrow=False)
    charts.update(ours["layout"], height=340, yaxis={"title": {"text": "Andel"}, "ticksuffix": " %"})
    charts.update(ours["layout"], yaxis={"rangemode": "tozero"}, barmode="group")

    theirs = go.Figure()
    theirs.add_scatter(x=[2022, 2023], y=[16.1, 23.7], name="Kommune", line={"color": "#0072B2"})
    theirs.add_bar(x=["EUD"], y=[20.0], marker_color="#E69F00")
    theirs.update_traces(cliponaxis=False, selector={"type": "bar"})
    theirs.add_vrect(x0=2023.5, x1=2024.5, fillcolor="#eeeeee", line_width=0, layer="below")
    theirs.add_vline(x=2022.5, line={"color": "#555555", "dash": "dash", "width": 1})
    theirs.add_vline(
        x=19.4,
        line={"color": "#E69F00", "dash": "dash"},
        annotation_text="Hele landet",
        annotation_position="top",
        annotation_font={"size": 11},
    )
    theirs.add_annotation(x=2022.5, y=1, yref="paper", text="Databrud 2023", showarrow=False)
    theirs.update_layout(height=340, yaxis={"title": "Andel", "ticksuffix": " %"})
    theirs.update_layout(yaxis={"rangemode": "tozero"}, barmode="group")

    assert json.loads(json.dumps(ours)) == _plotly_json(theirs)


def test_the_div_is_what_plotly_io_writes():
    fig = charts.trace(charts.figure(), "scatter", x=[1, 2], y=[3.5, None], name="a")
    charts.update(fig["layout"], height=300)
    ours = chart_data(charts.div(fig, "chart-x"))
    theirs = chart_data(
        pio.to_html(
            {**fig, "layout": {**fig["layout"], "template": charts.template()}},
            full_html=False,
            include_plotlyjs=False,
            div_id="chart-x",
            validate=False,
            config=charts.CONFIG,
        )
    )
    assert ours == theirs == {"chart-x": fig["data"]}


def test_no_text_in_a_chart_ends_its_script():
    name = '</script><script>alert("x")</script><!--'
    fig = charts.trace(charts.figure(), "scatter", x=[1], y=[2], name=name, text=[name])
    html = charts.div(fig, "chart-x")
    script = html.split("<script>", 1)[1]
    assert script.count("</script>") == 1 and script.endswith("</script></div>")
    assert "<!--" not in script
    # The audit and a browser read the same name back.
    assert chart_data(html)["chart-x"][0]["name"] == name
    assert re.search(r"\\u003c/script>", script)
