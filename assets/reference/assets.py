"""Reference tables and analyst-maintained configuration, validated and loaded into DuckDB.

kommuner (municipalities), education codes and groups, applicant types and published figures
(offentliggjorte tal) all live as files in ``data/``. Måltal (targets) and goals (målsætninger)
are in this group too, made from the source registry (schemas/sources.py).
"""

import pandas as pd
from dagster import MaterializeResult, asset
from dagster_duckdb import DuckDBResource

from assets.resources import DUCKDB_POOL, column_schema, write_table
from overgang.settings import DATA_DIR
from schemas import reference

GROUP = "reference"


def _load(duckdb: DuckDBResource, name: str, frame: pd.DataFrame, source: str) -> MaterializeResult:
    with duckdb.get_connection() as con:
        rows = write_table(con, name, frame)
    return MaterializeResult(metadata={"rows": rows, "source": source})


@asset(group_name=GROUP, kinds={"duckdb"}, pool=DUCKDB_POOL, metadata=column_schema(reference.kommuner_schema))
def kommuner(duckdb: DuckDBResource) -> MaterializeResult:
    """The 98 municipalities (kommuner) with region, from data/reference/kommuner.csv."""
    return _load(duckdb, "kommuner", reference.kommuner(), "data/reference/kommuner.csv")


@asset(group_name=GROUP, kinds={"duckdb"}, pool=DUCKDB_POOL, metadata=column_schema(reference.education_codes_schema))
def education_codes(duckdb: DuckDBResource) -> MaterializeResult:
    """Education codes (uddannelseskoder) and the søgetal group each belongs to."""
    return _load(duckdb, "education_codes", reference.education_codes(), "data/config/education_codes.csv")


@asset(group_name=GROUP, kinds={"duckdb"}, pool=DUCKDB_POOL)
def education_groups(duckdb: DuckDBResource) -> MaterializeResult:
    """Søgetal groups (EUD, GYM, FGU, STU, ØVRIGT, 10. klasse), their måltal level and denominator rule."""
    frame = pd.read_csv(DATA_DIR / "config" / "education_groups.csv")
    return _load(duckdb, "education_groups", frame, "data/config/education_groups.csv")


@asset(group_name=GROUP, kinds={"duckdb"}, pool=DUCKDB_POOL)
def applicant_types(duckdb: DuckDBResource) -> MaterializeResult:
    """Spellings of ansøgertype and whether each means 'direkte fra skole' or 'uden for skole'."""
    rows = [(value, group) for group, values in reference.column_map()["applicant_types"].items() for value in values]
    frame = pd.DataFrame(rows, columns=["applicant_type", "applicant_group"])
    return _load(duckdb, "applicant_types", frame, "data/config/column_map.yaml")


@asset(group_name=GROUP, kinds={"duckdb"}, pool=DUCKDB_POOL)
def published_figures(duckdb: DuckDBResource) -> MaterializeResult:
    """Published søgetal and completion figures with their sources, for comparison."""
    frame = pd.read_csv(DATA_DIR / "reference" / "published_figures.csv", dtype={"kommune_kode": "Int64"})
    return _load(duckdb, "published_figures", frame, "data/reference/published_figures.csv")
