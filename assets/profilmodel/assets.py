"""Profilmodel projections (fremskrivninger): one of the three kinds of completion number."""

from dagster import AssetExecutionContext, MaterializeResult, asset
from dagster_duckdb import DuckDBResource

from assets.profilmodel.reader import read_profilmodel
from assets.resources import DUCKDB_POOL, ProjectSettings
from assets.sources.files import source_files
from assets.sources.load import load_source
from schemas.profilmodel import profilmodel_schema


@asset(group_name="profilmodel", kinds={"duckdb", "pandera"}, pool=DUCKDB_POOL)
def profilmodel_projections(
    context: AssetExecutionContext, duckdb: DuckDBResource, project: ProjectSettings
) -> MaterializeResult:
    """Projected share of each 9th-grade cohort with a youth education, by kommune and vintage
    (from data/profilmodel/ and the inbox). A projection: never on one axis with observed status."""
    return load_source(
        context,
        duckdb,
        "profilmodel_projections",
        source_files(project.settings(), "profilmodel"),
        read_profilmodel,
        profilmodel_schema,
        ["vintage", "kommune_code", "cohort", "horizon_years"],
    )
