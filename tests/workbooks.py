"""Reading a report's workbook as an analyst's script would: a workbook made from the synthetic
sample has its mark in row 1 of every sheet, the column headings in row 2."""

from __future__ import annotations

import pandas as pd


def read_sheets(path, sheet_name=None):
    """The workbook's sheets as frames with their column headings, below the synthetic mark if any."""
    first = pd.read_excel(path, sheet_name=sheet_name, header=None, nrows=1)
    marked = any(
        str(f.iat[0, 0]).startswith("SYNTETISKE DATA") for f in (first.values() if sheet_name is None else [first])
    )
    return pd.read_excel(path, sheet_name=sheet_name, header=1 if marked else 0)
