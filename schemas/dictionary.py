"""Analyst views, their comments, the data dictionary and the Parquet marts, from schemas/warehouse.py."""

from __future__ import annotations

import contextlib
from pathlib import Path

import duckdb

from schemas.national import NATIONAL_SHARES
from schemas.sqltext import SQL, fill, ident, idents, literal
from schemas.warehouse import INTERNAL, PARQUET, VIEWS, description

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
    for name, (needs, sql, text, columns) in DERIVED.items():
        if needs <= tables:
            _create_derived(con, name, sql, text, columns)


LOADED_SUM_AREA = "Sum af indlæste kommuner"
_SHARE_COLUMNS = {
    "year": "Application year (spring).",
    "education_group": "Education group (see education_codes).",
    "share_pct": "Share in percent, unrounded.",
}
# Views made from other tables, not one table's columns: name -> (the tables it reads, its
# SELECT, its comment, a comment per column).
DERIVED = {
    # Hele landet, by the one rule (schemas/national.py) the report rounds and prints.
    "national_shares": (
        {"published_application_shares", "published_figures"},
        NATIONAL_SHARES,
        INTERNAL + "Hele landet: the national søgetal share per year and group as the council report, the run summary, "
        "the workbook and the overview show it (rounded there to one decimal): a published national table "
        "(source 'offentliggjort tabel'), else the figures of data/reference/published_figures.csv "
        "('offentliggjorte tal'). A year without either has no national figure. Never a sum of the loaded "
        "extracts (that is application_shares_loaded_sum).",
        {**_SHARE_COLUMNS, "source": "'offentliggjort tabel' or 'offentliggjorte tal'."},
    ),
    # The loaded kommuner added up, for analysts who need it: named for what it is, never kommune 0
    # ("Hele landet" in StatBank's codes) and never in the publication set.
    "application_shares_loaded_sum": (
        {"application_shares"},
        fill(
            """SELECT year, series_version, ${area} AS area, count(DISTINCT kommune_code)::INTEGER AS kommuner,
       geography_basis, denominator_definition, grade, education_group,
       sum(applicants)::BIGINT AS applicants, sum(denominator)::BIGINT AS denominator,
       CASE WHEN bool_and(share_pct IS NOT NULL)
            THEN 100.0 * sum(applicants) / nullif(sum(denominator), 0) END AS share_pct
FROM main.application_shares WHERE kommune_code <> 0
GROUP BY ALL ORDER BY year, geography_basis, grade, education_group""",
            area=literal(LOADED_SUM_AREA),
        ),
        INTERNAL + "The sum of the kommuner whose extracts are loaded (area = "
        f"'{LOADED_SUM_AREA}'), by year, grade and group: NOT the national figure, unless every kommune is "
        "loaded, and even then not published (beside each kommune's shown counts it would pin a hidden one). "
        "Hele landet is analyst.national_shares.",
        {
            **_SHARE_COLUMNS,
            "series_version": "before_2023 or from_2023 (the series break).",
            "area": f"Always '{LOADED_SUM_AREA}'.",
            "kommuner": "How many kommuner the sum is of.",
            "geography_basis": "school or residence, as in application_shares.",
            "denominator_definition": "As in application_shares.",
            "grade": "'9', '10' or '9+10'.",
            "applicants": "Applicants in the loaded kommuner.",
            "denominator": "Leavers in the loaded kommuner (the share's denominator).",
        },
    ),
}


def _create_derived(con: duckdb.DuckDBPyConnection, name: str, sql: SQL, text: str, columns: dict[str, str]) -> None:
    view = {"schema": ident(SCHEMA), "name": ident(name)}
    con.execute(fill("CREATE OR REPLACE VIEW ${schema}.${name} AS ${sql}", sql=sql, **view))
    con.execute(fill("COMMENT ON VIEW ${schema}.${name} IS ${text}", text=literal(text), **view))
    for column, comment in columns.items():
        con.execute(
            fill(
                "COMMENT ON COLUMN ${schema}.${name}.${column} IS ${text}",
                column=ident(column),
                text=literal(comment),
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
