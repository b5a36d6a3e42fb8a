"""Application data (søgedata): ingestion, validation and søgetal."""


from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetExecutionContext,
    MaterializeResult,
    MetadataValue,
    asset,
    asset_check,
)
from dagster_duckdb import DuckDBResource

from assets.applications.ingest import extract_files, stage_file
from assets.applications.validate import failures, quarantine_failures, typed_frame
from assets.sql import read_sql
from overgang.pseudonymise import load_key
from pipelines.resources import DUCKDB_POOL, ProjectSettings

GROUP = "applications"


@asset(group_name=GROUP, kinds={"duckdb"}, pool=DUCKDB_POOL)
def application_extracts(context: AssetExecutionContext, duckdb: DuckDBResource, project: ProjectSettings) -> MaterializeResult:
    """Optagelse.dk extracts staged in DuckDB (staging_applications), CPR pseudonymised.

    Reads every CSV in the input folder (UTF-8, UTF-8 with BOM or Windows-1252), replaces the
    CPR number by a keyed pseudonym and keeps only the non-personal columns.
    """
    settings = project.settings()
    files = extract_files(settings.input_dir)
    key, demo = load_key(files)
    if demo:
        context.log.warning("DEMO key used for CPR pseudonyms (shipped sample only).")
    staged = []
    with duckdb.get_connection() as con:
        con.execute(read_sql("applications", "create_staging_applications"))
        con.execute(read_sql("applications", "quarantine"))
        con.execute("DELETE FROM quarantine WHERE dataset = 'applications'")
        for i, path in enumerate(files, 1):
            result = stage_file(con, path, key, demo, context.run.run_id)
            staged.append(result)
            unreadable = f", {result.rejected_lines} unreadable lines" if result.rejected_lines else ""
            context.log.info(f"[{i}/{len(files)}] {result.name}: {result.data_rows} rows, {result.encoding}{unreadable}")
    return MaterializeResult(metadata={
        "files": len(staged),
        "rows": sum(s.data_rows for s in staged),
        "unreadable_lines": sum(s.rejected_lines for s in staged),
        "encodings": MetadataValue.json({s.name: s.encoding for s in staged}),
        "demo_key": demo,
    })


@asset(group_name=GROUP, kinds={"duckdb", "pandera"}, pool=DUCKDB_POOL,
       deps=[application_extracts, "education_codes", "applicant_types", "kommuner"])
def applications(context: AssetExecutionContext, duckdb: DuckDBResource) -> MaterializeResult:
    """Validated application rows (søgninger); failing rows go to the quarantine table."""
    with duckdb.get_connection() as con:
        frame = typed_frame(con)
        found = failures(frame)
        quarantine_failures(con, found, context.run.run_id)
        con.execute(read_sql("applications", "applications").format(typed=read_sql("applications", "application_rows_typed")))
        valid = con.execute("SELECT count(*) FROM applications").fetchone()[0]
        by_rule = dict(con.execute(
            "SELECT rule, count(*) FROM quarantine WHERE dataset = 'applications' GROUP BY rule ORDER BY 2 DESC").fetchall())
    return MaterializeResult(metadata={"valid_rows": valid, "staged_rows": len(frame),
                                       "quarantined_by_rule": MetadataValue.json(by_rule)})


@asset_check(asset=applications, blocking=True, description=(
    "Share of input rows in quarantine must not exceed max_quarantine_share (data/config/pipeline.yaml)."))
def quarantine_share(duckdb: DuckDBResource, project: ProjectSettings) -> AssetCheckResult:
    limit = project.settings().max_quarantine_share
    with duckdb.get_connection() as con:
        total = con.execute("SELECT coalesce(sum(data_rows + rejected_lines), 0) FROM ingested_files").fetchone()[0]
        failed = con.execute("SELECT count(DISTINCT (source_file, source_line)) FROM quarantine "
                             "WHERE dataset = 'applications'").fetchone()[0]
        sample = con.execute("SELECT source_file, source_line, column_name, value, rule FROM quarantine "
                             "WHERE dataset = 'applications' ORDER BY source_file, source_line LIMIT 10").df()
    share = failed / total if total else 0.0
    passed = share <= limit
    return AssetCheckResult(
        passed=passed,
        severity=AssetCheckSeverity.ERROR,
        description=(f"{failed} of {total} rows ({share:.2%}) are in quarantine; the limit is {limit:.2%}."
                     + ("" if passed else " The run stops here: correct the files (see the quarantine table) "
                        "or raise max_quarantine_share in data/config/pipeline.yaml.")),
        metadata={"quarantined_rows": failed, "input_rows": total, "share": share, "limit": limit,
                  "sample": MetadataValue.json(sample.astype(str).to_dict(orient="records"))},
    )


@asset(group_name=GROUP, kinds={"duckdb"}, pool=DUCKDB_POOL,
       deps=[applications, "education_groups", "kommuner"])
def application_shares(duckdb: DuckDBResource) -> MaterializeResult:
    """Søgetal: 1st-priority shares by year, kommune (0 = national), grade and group (national definition)."""
    return _build_table(duckdb, "application_shares")


def _build_table(duckdb: DuckDBResource, table: str) -> MaterializeResult:
    """Run sql/<table>.sql, which builds the table of that name."""
    with duckdb.get_connection() as con:
        con.execute(read_sql("applications", table))
        rows = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    return MaterializeResult(metadata={"rows": rows})


@asset(group_name=GROUP, kinds={"duckdb"}, pool=DUCKDB_POOL, deps=[applications, "education_groups"])
def school_application_shares(duckdb: DuckDBResource) -> MaterializeResult:
    """Søgetal per school (skole), for the report's school table (suppressed there, not here)."""
    return _build_table(duckdb, "school_application_shares")


@asset(group_name=GROUP, kinds={"duckdb"}, pool=DUCKDB_POOL, deps=[applications, "education_groups"])
def application_shares_by_sex(duckdb: DuckDBResource) -> MaterializeResult:
    """Søgetal for boys and girls (drenge og piger), sex from the CPR number at ingestion."""
    return _build_table(duckdb, "application_shares_by_sex")
