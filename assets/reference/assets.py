"""Reference tables and analyst-maintained configuration, validated and loaded into DuckDB.

kommuner (municipalities), education codes and groups, applicant types and published figures
(offentliggjorte tal) all live as files in ``data/``. Måltal (targets) and goals (målsætninger)
are in this group too, made from the source registry (schemas/sources.py).
"""

from collections.abc import Callable

import pandas as pd
import pandera.pandas as pa
from dagster import AssetExecutionContext, AssetSpec, MaterializeResult, multi_asset
from dagster_duckdb import DuckDBResource

from assets.resources import DUCKDB_POOL, ProjectSettings, column_schema, write_table
from intake.sources.fingerprint import REFERENCE, fingerprint, forget, record
from overgang.groups import GroupScheme
from overgang.settings import DATA_DIR
from schemas import reference

GROUP = "reference"


def _education_groups() -> pd.DataFrame:
    """The education groups, refused (naming the file and the group) when they cannot make the
    report's table of counts: the run stops here, before anything is published."""
    frame = pd.read_csv(DATA_DIR / "config" / "education_groups.csv")
    columns = ["group", "label_da", "short_label_da", "target_group", "in_denominator"]
    ordered = frame.sort_values(["sort_order", "group"])
    GroupScheme.from_rows(ordered[columns].astype(object).where(ordered[columns].notna(), None).itertuples(index=False))
    return frame


def _applicant_types() -> pd.DataFrame:
    rows = [(value, group) for group, values in reference.column_map()["applicant_types"].items() for value in values]
    return pd.DataFrame(rows, columns=["applicant_type", "applicant_group"])


def _published_figures() -> pd.DataFrame:
    return pd.read_csv(DATA_DIR / "reference" / "published_figures.csv", dtype={"kommune_kode": "Int64"})


# name: (description, file, loader, column schema or None)
TABLES: dict[str, tuple[str, str, Callable[[], pd.DataFrame], pa.DataFrameSchema | None]] = {
    "kommuner": (
        "The 98 municipalities (kommuner) with region, from data/reference/kommuner.csv.",
        "data/reference/kommuner.csv",
        reference.kommuner,
        reference.kommuner_schema,
    ),
    "education_codes": (
        "Education codes (uddannelseskoder) and the søgetal group each belongs to.",
        "data/config/education_codes.csv",
        reference.education_codes,
        reference.education_codes_schema,
    ),
    "education_groups": (
        "Søgetal groups (EUD, GYM, FGU, STU, ØVRIGT, 10. klasse), their måltal level and denominator rule.",
        "data/config/education_groups.csv",
        _education_groups,
        None,
    ),
    "applicant_types": (
        "Spellings of ansøgertype and whether each means 'direkte fra skole' or 'uden for skole'.",
        "data/config/column_map.yaml",
        _applicant_types,
        None,
    ),
    "published_figures": (
        "Published søgetal and completion figures with their sources, for comparison.",
        "data/reference/published_figures.csv",
        _published_figures,
        None,
    ),
}


@multi_asset(
    name="reference_tables",
    specs=[
        AssetSpec(
            name,
            group_name=GROUP,
            kinds={"duckdb"},
            description=description,
            metadata=column_schema(schema) if schema is not None else None,
        )
        for name, (description, _, _, schema) in TABLES.items()
    ],
    pool=DUCKDB_POOL,
    can_subset=True,
)
def reference_tables(context: AssetExecutionContext, duckdb: DuckDBResource, project: ProjectSettings):
    """The small reference tables, loaded in one step: a step of its own for each would cost
    every run a Dagster step's overhead (about 0.2 s) for a table of a hundred rows. Any of them
    can still be loaded alone (a selection in the UI)."""
    selected = {key.to_user_string() for key in context.selected_asset_keys}
    inputs = fingerprint(project.settings(), REFERENCE)
    with duckdb.get_connection() as con:
        for name, (_, source, load, _) in TABLES.items():
            if name not in selected:
                continue
            forget(con, [name])  # killed before `record`, the table is loaded again next run
            rows = write_table(con, name, load())
            record(con, [name], inputs, context.run.run_id)
            yield MaterializeResult(asset_key=name, metadata={"rows": rows, "source": source})
