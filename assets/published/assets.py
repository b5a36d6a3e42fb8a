"""Published søgetal tables (offentliggjorte søgetal): figures a kommune or the ministry has
published, for municipalities without student-level extracts and for national and peer figures."""

from functools import partial

from dagster import AssetExecutionContext, MaterializeResult, asset
from dagster_duckdb import DuckDBResource

from assets.published.publications import mark_current
from assets.published.reader import read_published
from assets.resources import DUCKDB_POOL, ProjectSettings
from assets.sources.files import source_files
from assets.sources.load import load_source
from schemas.published import PUBLICATION_KEY, published_application_shares_schema


@asset(group_name="published", kinds={"duckdb", "pandera"}, pool=DUCKDB_POOL)
def published_application_shares(
    context: AssetExecutionContext, duckdb: DuckDBResource, project: ProjectSettings
) -> MaterializeResult:
    """Published søgetal tables from data/published/ and the inbox, each row with its
    denominator definition and geography basis; percentages checked to add up to 100. Two
    publications of the same figure are both kept; `current` marks the one reports use."""
    settings = project.settings()
    read = partial(read_published, tolerance_pp=settings.published_sum_tolerance_pp)
    return load_source(
        context,
        duckdb,
        "published_application_shares",
        source_files(settings, "published_application_shares"),
        read,
        published_application_shares_schema(),
        PUBLICATION_KEY,
        mark_current,
    )
