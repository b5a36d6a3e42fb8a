"""Queries the report runs on the published warehouse (read-only)."""

from __future__ import annotations

import re

import pandas as pd


def frame(con, sql: str, params: dict) -> pd.DataFrame:
    """Run a query with the parameters it names (DuckDB refuses unused ones)."""
    return con.execute(sql, {k: v for k, v in params.items() if re.search(rf"\${k}\b", sql)}).df()
