"""Application data (søgedata): ingestion, validation and søgetal, one partition per application year."""

from pathlib import Path

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

from assets.applications.ingest import FileRejected, extract_sources, stage_file
from assets.applications.validate import quarantine_failures, stage_typed_rows
from assets.sql import ensure_work_schema, read_sql, replace_years
from overgang.pseudonymise import is_shipped_sample, key_fingerprint, key_warnings, load_key
from pipelines.partitions import APPLICATION_YEARS, ONE_RUN, years_of
from pipelines.resources import DUCKDB_POOL, ProjectSettings

GROUP = "applications"
PARTITIONED = {"partitions_def": APPLICATION_YEARS, "backfill_policy": ONE_RUN, "pool": DUCKDB_POOL}


def synthetic_files(files: list[Path]) -> bool:
    """True when the run's files are the shipped synthetic sample, False when none is; the two
    are never mixed in one run."""
    shipped = [p.name for p in files if is_shipped_sample(p)]
    if shipped and len(shipped) != len(files):
        real = sorted({p.name for p in files} - set(shipped))
        raise FileRejected(f"The shipped synthetic sample ({', '.join(shipped[:3])}{' …' if len(shipped) > 3 else ''}) "
                           f"and real extracts ({', '.join(real[:3])}{' …' if len(real) > 3 else ''}) would be loaded "
                           "together. Synthetic and real figures are never mixed: give only your own extracts "
                           "(overgang run --input FOLDER).")
    return bool(shipped)


def refuse_mixing(con, years: list[int], fingerprint: str, synthetic: bool) -> None:
    """Stop before staging when years outside this run were pseudonymised with another key, or
    are synthetic where this run is real (or the other way round).

    A pupil's pseudonym differs between keys, so mixed years would count one pupil as two and
    break the link from year to year; synthetic years beside real ones would be read as real.
    The analyst chooses: the old key (or own data only), or every year again."""
    other = con.execute("SELECT list(year ORDER BY year) FILTER (WHERE key_fingerprint <> $fp), "
                        "any_value(key_fingerprint) FILTER (WHERE key_fingerprint <> $fp), "
                        "list(year ORDER BY year) FILTER (WHERE synthetic <> $synthetic) FROM year_keys "
                        "WHERE year NOT IN (SELECT unnest($years))",
                        {"years": years, "fp": fingerprint, "synthetic": synthetic}).fetchone()
    if other[2]:
        kinds = ("synthetic (the shipped sample)", "real") if not synthetic else ("real", "synthetic (the shipped sample)")
        raise FileRejected(
            f"The years {', '.join(map(str, other[2]))} in this warehouse are {kinds[0]}, this run's extracts are "
            f"{kinds[1]}; the two are never mixed. Use another OVERGANG_HOME for your own data, or load every year "
            "again from your own extracts: overgang run --rebuild --input FOLDER.")
    if other[0]:
        raise FileRejected(
            f"The years {', '.join(map(str, other[0]))} in this warehouse were pseudonymised with another CPR key "
            f"(fingerprint {other[1]}; this run's key has {fingerprint}). Pseudonyms of two keys cannot be linked, "
            "so they are never mixed. Use the key those years were loaded with, or load every year again with the "
            "new key: overgang run --rebuild (with every year's extract in the input folder or inbox).")


@asset(group_name=GROUP, kinds={"duckdb"}, **PARTITIONED)
def application_extracts(context: AssetExecutionContext, duckdb: DuckDBResource, project: ProjectSettings) -> MaterializeResult:
    """Optagelse.dk extracts staged in DuckDB (staging_applications), CPR pseudonymised.

    Reads the CSV files of the run's years from the input folder (UTF-8, UTF-8 with BOM or
    Windows-1252), replaces the CPR number by a keyed pseudonym and keeps only the
    non-personal columns. A year's earlier rows are replaced, other years are not touched.
    """
    settings = project.settings()
    years = years_of(context)
    by_year = extract_sources(settings)
    files = [p for y in years for p in by_year.get(y, [])]
    if not files and not any(by_year.values()):
        raise FileRejected(f"No extracts (*.csv) found in {settings.input_dir} or accepted by the inbox ({settings.inbox_dir}).")
    key, demo = load_key(files) if files else (b"", False)
    synthetic = synthetic_files(files)
    if synthetic:
        context.log.warning("The shipped SYNTHETIC sample is loaded: these are not real figures.")
    if demo:
        context.log.warning("DEMO key used for CPR pseudonyms (shipped sample only).")
    for warning in key_warnings():
        context.log.warning(warning)
    staged = []
    with duckdb.get_connection() as con:
        ensure_work_schema(con)
        params = {"years": years}
        # Checked before anything is marked or deleted: a refusal leaves the working database as it was.
        refuse_mixing(con, years, key_fingerprint(key), synthetic)
        con.execute("DELETE FROM partitions_in_progress WHERE year IN (SELECT unnest($years))", params)
        con.execute("INSERT INTO partitions_in_progress SELECT unnest($years), $run, now()", {**params, "run": context.run.run_id})
        for table in ("staging_applications", "ingested_files"):
            con.execute(f"DELETE FROM {table} WHERE file_year IN (SELECT unnest($years))", params)
        con.execute("DELETE FROM quarantine WHERE dataset = 'applications' AND year IN (SELECT unnest($years))", params)
        for i, (year, path) in enumerate([(y, p) for y in years for p in by_year.get(y, [])], 1):
            result = stage_file(con, path, year, key, demo, context.run.run_id)
            staged.append(result)
            unreadable = f", {result.rejected_lines} unreadable lines" if result.rejected_lines else ""
            context.log.info(f"[{i}/{len(files)}] {result.name}: {result.data_rows} rows, {result.encoding}{unreadable}")
        con.execute("INSERT OR REPLACE INTO year_keys SELECT DISTINCT file_year, $fp, $synthetic FROM ingested_files "
                    "WHERE file_year IN (SELECT unnest($years))",
                    {**params, "fp": key_fingerprint(key), "synthetic": synthetic})
        missing = [y for y in years if y not in by_year]
        if missing:
            context.log.warning(f"No extract for {', '.join(map(str, missing))}: those years are empty.")
    return MaterializeResult(metadata={
        "files": len(staged),
        "rows": sum(s.data_rows for s in staged),
        "unreadable_lines": sum(s.rejected_lines for s in staged),
        "encodings": MetadataValue.json({s.name: s.encoding for s in staged}),
        "demo_key": demo,
    })


@asset(group_name=GROUP, kinds={"duckdb", "pandera"}, deps=[application_extracts, "education_codes", "applicant_types", "kommuner"],
       **PARTITIONED)
def applications(context: AssetExecutionContext, duckdb: DuckDBResource) -> MaterializeResult:
    """Validated application rows (søgninger); failing rows go to the quarantine table."""
    years = years_of(context)
    with duckdb.get_connection() as con:
        staged = stage_typed_rows(con, years)
        quarantine_failures(con, context.run.run_id)
        select = read_sql("applications", "applications").format(typed="typed_rows")
        valid = replace_years(con, "applications", select, years)
        con.execute("DELETE FROM year_loads WHERE year IN (SELECT unnest($years))", {"years": years})
        con.execute("INSERT INTO year_loads SELECT year, $run, count(*), now() FROM applications "
                    "WHERE year IN (SELECT unnest($years)) GROUP BY year", {"years": years, "run": context.run.run_id})
        by_rule = dict(con.execute(
            "SELECT rule, count(*) FROM quarantine WHERE dataset = 'applications' AND year IN (SELECT unnest($years)) "
            "GROUP BY rule ORDER BY 2 DESC", {"years": years}).fetchall())
    return MaterializeResult(metadata={"valid_rows": valid, "staged_rows": staged,
                                       "quarantined_by_rule": MetadataValue.json(by_rule)})


@asset_check(asset=applications, blocking=True, description=(
    "Share of input rows in quarantine must not exceed max_quarantine_share (data/config/pipeline.yaml)."))
def quarantine_share(context, duckdb: DuckDBResource, project: ProjectSettings) -> AssetCheckResult:
    limit = project.settings().max_quarantine_share
    years = years_of(context) if context.has_partition_key or context.has_partition_key_range else []
    params = {"years": years}
    with duckdb.get_connection() as con:
        total = con.execute("SELECT coalesce(sum(data_rows + rejected_lines), 0) FROM ingested_files "
                            "WHERE file_year IN (SELECT unnest($years))", params).fetchone()[0]
        failed = con.execute("SELECT count(DISTINCT (source_file, source_line)) FROM quarantine "
                             "WHERE dataset = 'applications' AND year IN (SELECT unnest($years))", params).fetchone()[0]
        sample = con.execute("SELECT source_file, source_line, column_name, value, rule FROM quarantine "
                             "WHERE dataset = 'applications' AND year IN (SELECT unnest($years)) "
                             "ORDER BY source_file, source_line LIMIT 10", params).df()
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


SHARE_TABLES = ("application_shares", "school_application_shares", "application_shares_by_sex")


def ensure_application_tables(con) -> None:
    """The pupil-level tables, empty, where no extract was ever loaded: a warehouse of public
    figures alone (published søgetal, måltal, StatBank) publishes with the same views."""
    stage_typed_rows(con, [])
    replace_years(con, "applications", read_sql("applications", "applications").format(typed="typed_rows"), [])
    for table in SHARE_TABLES:
        replace_years(con, table, read_sql("applications", table), [])


def _build_years(context: AssetExecutionContext, duckdb: DuckDBResource, table: str) -> MaterializeResult:
    """Replace the run's years in `table` with the result of sql/<table>.sql."""
    with duckdb.get_connection() as con:
        rows = replace_years(con, table, read_sql("applications", table), years_of(context))
    return MaterializeResult(metadata={"rows": rows})


@asset(group_name=GROUP, kinds={"duckdb"}, deps=[applications, "education_groups", "kommuner"], **PARTITIONED)
def application_shares(context: AssetExecutionContext, duckdb: DuckDBResource) -> MaterializeResult:
    """Søgetal: 1st-priority shares by year, kommune (0 = national), grade and group (national definition)."""
    return _build_years(context, duckdb, "application_shares")


@asset(group_name=GROUP, kinds={"duckdb"}, deps=[applications, "education_groups"], **PARTITIONED)
def school_application_shares(context: AssetExecutionContext, duckdb: DuckDBResource) -> MaterializeResult:
    """Søgetal per school (skole), for the report's school table (suppressed there, not here)."""
    return _build_years(context, duckdb, "school_application_shares")


@asset(group_name=GROUP, kinds={"duckdb"}, deps=[applications, "education_groups"], **PARTITIONED)
def application_shares_by_sex(context: AssetExecutionContext, duckdb: DuckDBResource) -> MaterializeResult:
    """Søgetal for boys and girls (drenge og piger), sex from the CPR number at ingestion."""
    return _build_years(context, duckdb, "application_shares_by_sex")
