"""Queries the report runs on the published warehouse (read-only), and their SQL files
(``reports/sql/<name>.sql``: a query longer than a few lines is a file of its own, linted by
sqlfluff; a short one stays beside the code that reads its result)."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from schemas.sqltext import SQL, sql_file

SQL_DIR = Path(__file__).resolve().parent / "sql"


def read_sql(name: str, **slots: SQL) -> SQL:
    """The report's SQL file `name`, its ``${name}`` slots filled (schemas/sqltext.py)."""
    return sql_file(SQL_DIR / f"{name}.sql", **slots)


def frame(con, sql: str, params: dict) -> pd.DataFrame:
    """Run a query with the parameters it names (DuckDB refuses unused ones)."""
    return con.execute(sql, {k: v for k, v in params.items() if re.search(rf"\${k}\b", sql)}).df()
