"""Published søgetal tables (offentliggjorte søgetal): figures a kommune or the ministry has
published, for municipalities without student-level extracts and for national and peer figures."""

import pandas as pd
from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset
from dagster_duckdb import DuckDBResource

from assets.published.reader import read_published
from assets.sources.files import source_files
from assets.sources.quarantine import replace_quarantine
from pipelines.resources import DUCKDB_POOL, ProjectSettings, write_table
from schemas.published import FIGURE_KEY, published_application_shares_schema


def empty(schema) -> pd.DataFrame:
    """A table with the schema's columns and types and no rows (no file of this kind yet)."""
    return schema.validate(pd.DataFrame({name: pd.Series(dtype="object") for name in schema.columns}))


@asset(group_name="published", kinds={"duckdb", "pandera"}, pool=DUCKDB_POOL)
def published_application_shares(context: AssetExecutionContext, duckdb: DuckDBResource,
                                 project: ProjectSettings) -> MaterializeResult:
    """Published søgetal tables from data/published/ and the inbox, each row with its
    denominator definition and geography basis; percentages checked to add up to 100."""
    settings = project.settings()
    tolerance = float(settings.config.get("published_sum_tolerance_pp", 0.2))
    frames, failures = [], []
    for path in source_files(settings, "published_application_shares"):
        frame, failed = read_published(path, tolerance)
        frames.append(frame)
        failures.extend(failed)
        context.log.info(f"{path.name}: {len(frame)} figures, {len(failed)} in quarantine")
    result = pd.concat(frames, ignore_index=True) if frames else empty(published_application_shares_schema())
    # A later file (a correction, or a newer publication) replaces the same figure from an earlier one.
    result = result.drop_duplicates(FIGURE_KEY, keep="last")
    with duckdb.get_connection() as con:
        write_table(con, "published_application_shares", result)
        replace_quarantine(con, "published_application_shares", failures, context.run.run_id)
    return MaterializeResult(metadata={"rows": len(result), "files": len(frames), "quarantined": len(failures),
                                       "rules": MetadataValue.json(pd.Series([f.rule for f in failures]).value_counts().to_dict())})
