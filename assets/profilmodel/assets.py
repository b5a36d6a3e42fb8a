"""Profilmodel projections (fremskrivninger): one of the three kinds of completion number."""

import pandas as pd
from dagster import AssetExecutionContext, MaterializeResult, asset
from dagster_duckdb import DuckDBResource

from assets.profilmodel.reader import read_profilmodel
from assets.published.assets import empty
from assets.sources.files import source_files
from assets.sources.quarantine import replace_quarantine
from pipelines.resources import DUCKDB_POOL, ProjectSettings, write_table
from schemas.profilmodel import profilmodel_schema


@asset(group_name="profilmodel", kinds={"duckdb", "pandera"}, pool=DUCKDB_POOL)
def profilmodel_projections(context: AssetExecutionContext, duckdb: DuckDBResource,
                            project: ProjectSettings) -> MaterializeResult:
    """Projected share of each 9th-grade cohort with a youth education, by kommune and vintage
    (from data/profilmodel/ and the inbox). A projection: never on one axis with observed status."""
    frames, failures = [], []
    for path in source_files(project.settings(), "profilmodel"):
        frame, failed = read_profilmodel(path)
        frames.append(frame)
        failures.extend(failed)
        context.log.info(f"{path.name}: {len(frame)} projections, {len(failed)} in quarantine")
    result = pd.concat(frames, ignore_index=True) if frames else empty(profilmodel_schema)
    # A newer file of the same vintage replaces the older one's rows for the same kommune and cohort.
    result = result.drop_duplicates(["vintage", "kommune_code", "cohort", "horizon_years"], keep="last")
    with duckdb.get_connection() as con:
        write_table(con, "profilmodel_projections", result)
        replace_quarantine(con, "profilmodel_projections", failures, context.run.run_id)
    return MaterializeResult(metadata={"rows": len(result), "files": len(frames), "quarantined": len(failures)})
