"""The assets and quarantine checks of the registry's sources (schemas/sources.py), made from
their declarations (an asset factory): a new source needs no asset module of its own."""

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetsDefinition,
    MaterializeResult,
    MetadataValue,
    asset,
)
from dagster_duckdb import DuckDBResource

from assets.resources import DUCKDB_POOL, ProjectSettings, column_schema
from assets.sources.load import load_source
from intake.sources.files import source_files
from intake.sources.fingerprint import fingerprint, forget, record
from schemas.sources import SOURCES, Source, resolve


def source_asset(source: Source) -> AssetsDefinition:
    """The source's asset, with its quarantine check evaluated in the same step (a separate
    check step would cost a run three more events and a connection, and say nothing more)."""
    check = held_back_spec(source)

    @asset(
        name=source.name,
        group_name=source.group,
        kinds={"duckdb", "pandera"},
        pool=DUCKDB_POOL,
        description=source.description,
        metadata={**column_schema(source.frame_schema()), "source_kind": source.kind},
        check_specs=[check],
    )
    def _asset(context: AssetExecutionContext, duckdb: DuckDBResource, project: ProjectSettings) -> MaterializeResult:
        settings = project.settings()
        inputs = fingerprint(settings, source.name)  # before reading: a file changed meanwhile loads again
        with duckdb.get_connection() as con:
            forget(con, [source.name])  # killed before `record`, the table is loaded again next run
        read = resolve(source.reader)
        loaded = load_source(
            context,
            duckdb,
            source.name,
            source_files(settings, source.kind),
            lambda path: read(path, source, settings),
            source.frame_schema(),
            list(source.key),
            resolve(source.finish) if source.finish else None,
        )
        with duckdb.get_connection() as con:
            record(con, [source.name], inputs, context.run.run_id)
        return MaterializeResult(metadata=loaded.metadata, check_results=[rows_held_back(duckdb, source, check)])

    return _asset


def held_back_spec(source: Source) -> AssetCheckSpec:
    return AssetCheckSpec(
        name=f"{source.name}_rows_held_back",
        asset=source.name,
        description=f"Rows of {source.name} files that broke a rule and were not loaded (see table quarantine).",
    )


def rows_held_back(duckdb: DuckDBResource, source: Source, spec: AssetCheckSpec) -> AssetCheckResult:
    """Rows the source held back in quarantine, shown in the Dagster UI with a sample (file, line,
    column, value, rule). A warning, not a stop: the rest of the file is good and loaded, and the
    analyst corrects the rows named."""
    with duckdb.get_connection() as con:
        by_rule = dict(
            con.execute(
                "SELECT rule, count(*) FROM quarantine WHERE dataset = ? GROUP BY rule", [source.name]
            ).fetchall()
        )
        sample = con.execute(
            "SELECT source_file, source_line, column_name, value, rule, message FROM quarantine "
            "WHERE dataset = ? ORDER BY source_file, source_line LIMIT 10",
            [source.name],
        ).df()
    held_back = sum(by_rule.values())
    return AssetCheckResult(
        check_name=spec.name,
        passed=held_back == 0,
        severity=AssetCheckSeverity.WARN,
        description=f"{held_back} rows held back" if held_back else "every row loaded",
        metadata={
            "rows_held_back": held_back,
            "by_rule": MetadataValue.json(by_rule),
            "sample": MetadataValue.json(sample.astype(str).to_dict(orient="records")),
        },
    )


def source_assets(sources: tuple[Source, ...] = SOURCES) -> list[AssetsDefinition]:
    return [source_asset(s) for s in sources]
