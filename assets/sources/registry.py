"""The assets and quarantine checks of the registry's sources (schemas/sources.py), made from
their declarations (an asset factory): a new source needs no asset module of its own."""

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetExecutionContext,
    AssetsDefinition,
    MaterializeResult,
    MetadataValue,
    asset,
    asset_check,
)
from dagster_duckdb import DuckDBResource

from assets.resources import DUCKDB_POOL, ProjectSettings, column_schema
from assets.sources.files import source_files
from assets.sources.load import load_source
from schemas.sources import SOURCES, Source, resolve


def source_asset(source: Source) -> AssetsDefinition:
    @asset(
        name=source.name,
        group_name=source.group,
        kinds={"duckdb", "pandera"},
        pool=DUCKDB_POOL,
        description=source.description,
        metadata={**column_schema(source.frame_schema()), "source_kind": source.kind},
    )
    def _asset(context: AssetExecutionContext, duckdb: DuckDBResource, project: ProjectSettings) -> MaterializeResult:
        settings = project.settings()
        read = resolve(source.reader)
        return load_source(
            context,
            duckdb,
            source.name,
            source_files(settings, source.kind),
            lambda path: read(path, source, settings),
            source.frame_schema(),
            list(source.key),
            resolve(source.finish) if source.finish else None,
        )

    return _asset


def quarantine_check(source: Source):
    """Rows the source held back in quarantine, shown in the Dagster UI with a sample (file, line,
    column, value, rule). A warning, not a stop: the rest of the file is good and loaded, and the
    analyst corrects the rows named."""
    dataset = source.name

    @asset_check(
        asset=dataset,
        name=f"{dataset}_rows_held_back",
        description=f"Rows of {dataset} files that broke a rule and were not loaded (see table quarantine).",
    )
    def check(duckdb: DuckDBResource) -> AssetCheckResult:
        with duckdb.get_connection() as con:
            by_rule = dict(
                con.execute(
                    "SELECT rule, count(*) FROM quarantine WHERE dataset = ? GROUP BY rule", [dataset]
                ).fetchall()
            )
            sample = con.execute(
                "SELECT source_file, source_line, column_name, value, rule, message FROM quarantine "
                "WHERE dataset = ? ORDER BY source_file, source_line LIMIT 10",
                [dataset],
            ).df()
        held_back = sum(by_rule.values())
        return AssetCheckResult(
            passed=held_back == 0,
            severity=AssetCheckSeverity.WARN,
            description=f"{held_back} rows held back" if held_back else "every row loaded",
            metadata={
                "rows_held_back": held_back,
                "by_rule": MetadataValue.json(by_rule),
                "sample": MetadataValue.json(sample.astype(str).to_dict(orient="records")),
            },
        )

    return check


def source_assets(sources: tuple[Source, ...] = SOURCES) -> list[AssetsDefinition]:
    return [source_asset(s) for s in sources]


def source_checks(sources: tuple[Source, ...] = SOURCES) -> list:
    return [quarantine_check(s) for s in sources]
