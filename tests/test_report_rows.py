"""The report's plain rows (reports/render.py: rows, named_rows, chart_series) hold the values
pandas gives, so the template and the charts print what they printed from the frames."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from reports.render import named_rows, rows


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if a is pd.NaT or b is pd.NaT:
        return a is b
    return type(a) is type(b) and a == b


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "year": [2023, 2024, 2025],
            "share": [16.1, float("nan"), 23.7],
            "count": pd.array([12, None, 7], dtype=object),
            "label": [None, "<5", "x"],
            # numpy numbers in an object column: to_dict gives them as Python numbers.
            "mixed": pd.array([np.int64(3), np.float64(2.5), "x"], dtype=object),
            "flag": [True, False, True],
            "when": pd.to_datetime(["2024-03-01", "2025-03-01", None]),
        },
        index=["9. klasse", "10. klasse", "i alt"],
    )


def test_rows_are_to_dict_records():
    frame = _frame()
    expected = frame.to_dict("records")
    got = rows(frame)
    assert [list(r) for r in got] == [list(r) for r in expected]
    for g, e in zip(got, expected):
        for column in e:
            assert _same(g[column], e[column]), (column, g[column], e[column])


def test_named_rows_are_iterrows():
    frame = _frame()
    got = named_rows(frame)
    expected = list(frame.iterrows())
    assert [name for name, _ in got] == [name for name, _ in expected]
    for (_, g), (_, e) in zip(got, expected):
        for column in frame.columns:
            assert _same(g[column], e[column]) or (g[column] == e[column]), column


def test_empty_frames():
    assert rows(pd.DataFrame()) == []
    assert named_rows(pd.DataFrame(columns=["a"])) == []
