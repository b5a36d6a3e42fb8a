"""Analyst views, their comments, the data dictionary and the Parquet marts, from schemas/warehouse.py."""

from __future__ import annotations

import contextlib
from pathlib import Path

import duckdb

from schemas.sqltext import fill, ident, idents, literal
from schemas.warehouse import PARQUET, VIEWS, description

SCHEMA = "analyst"


def create_views(con: duckdb.DuckDBPyConnection) -> None:
    """Create analyst.<view> for every table in VIEWS, with table and column comments, in one
    transaction (a few hundred statements: committed one by one they took 0.4 s of a publish)."""
    con.execute("BEGIN TRANSACTION")
    try:
        _create_views(con)
    except BaseException:
        with contextlib.suppress(duckdb.Error):
            con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def _create_views(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(fill("CREATE SCHEMA IF NOT EXISTS ${schema}", schema=ident(SCHEMA)))
    tables = {t for (t,) in con.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'").fetchall()}
    for name, schema in VIEWS.items():
        if name not in tables:
            continue  # e.g. no extracts loaded yet: only published tables
        view = {"schema": ident(SCHEMA), "name": ident(name)}
        con.execute(
            fill(
                "CREATE OR REPLACE VIEW ${schema}.${name} AS SELECT ${columns} FROM main.${name}",
                columns=idents(schema.columns),
                **view,
            )
        )
        # COMMENT ON takes no parameter: the text is the one kind of value written as a literal.
        con.execute(fill("COMMENT ON VIEW ${schema}.${name} IS ${text}", text=literal(description(name)), **view))
        for column, spec in schema.columns.items():
            con.execute(
                fill(
                    "COMMENT ON COLUMN ${schema}.${name}.${column} IS ${text}",
                    column=ident(column),
                    text=literal(spec.description or ""),
                    **view,
                )
            )


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
        con.execute(
            fill(
                "COPY (FROM ${schema}.${name}) TO $path (FORMAT parquet, COMPRESSION zstd)",
                schema=ident(SCHEMA),
                name=ident(name),
            ),
            {"path": str(path)},
        )
        paths.append(path)
    return paths
