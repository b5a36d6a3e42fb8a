"""Analyst views, their comments, the data dictionary and the Parquet marts, from schemas/warehouse.py."""

from __future__ import annotations

from pathlib import Path

import duckdb

from schemas.warehouse import PARQUET, VIEWS, description

SCHEMA = "analyst"


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def create_views(con: duckdb.DuckDBPyConnection) -> None:
    """Create analyst.<view> for every table in VIEWS, with table and column comments."""
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
    tables = {t for (t,) in con.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'").fetchall()}
    for name, schema in VIEWS.items():
        if name not in tables:
            continue  # e.g. no extracts loaded yet: only published tables
        columns = ", ".join(f'"{c}"' for c in schema.columns)
        con.execute(f"CREATE OR REPLACE VIEW {SCHEMA}.{name} AS SELECT {columns} FROM main.{name}")
        con.execute(f"COMMENT ON VIEW {SCHEMA}.{name} IS {_literal(description(name))}")
        for column, spec in schema.columns.items():
            con.execute(f'COMMENT ON COLUMN {SCHEMA}.{name}."{column}" IS {_literal(spec.description or "")}')


def dictionary_markdown(con: duckdb.DuckDBPyConnection) -> str:
    """The data dictionary, read back from the comments in the warehouse."""
    lines = [
        "# Data dictionary",
        "",
        "Generated from `schemas/warehouse.py` (`overgang dictionary`); the same text is in the warehouse as",
        f"comments on the views in schema `{SCHEMA}`. Query them read-only, e.g.",
        f'`duckdb -readonly var/warehouse/overgang.duckdb "FROM {SCHEMA}.application_shares LIMIT 5"`.',
        "",
    ]
    views = con.execute(
        "SELECT view_name, comment FROM duckdb_views() WHERE schema_name = $s AND NOT internal", {"s": SCHEMA}
    ).fetchall()
    order = {name: i for i, name in enumerate(VIEWS)}
    for view, comment in sorted(views, key=lambda v: order.get(v[0], 99)):
        lines += [f"## {SCHEMA}.{view}", "", comment or "", "", "| column | type | meaning |", "|---|---|---|"]
        for column, dtype, text in con.execute(
            "SELECT column_name, data_type, comment FROM duckdb_columns() WHERE schema_name = $s AND table_name = $t "
            "ORDER BY column_index",
            {"s": SCHEMA, "t": view},
        ).fetchall():
            lines.append(f"| `{column}` | {dtype} | {(text or '').replace('|', '/')} |")
        lines.append("")
    return "\n".join(lines)


def export_parquet(con: duckdb.DuckDBPyConnection, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in PARQUET:
        path = folder / f"{name}.parquet"
        con.execute(f"COPY (FROM {SCHEMA}.{name}) TO '{path}' (FORMAT parquet, COMPRESSION zstd)")
        paths.append(path)
    return paths
