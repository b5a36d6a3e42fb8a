"""Application data (søgedata): ingestion, validation and søgetal, one partition per application year."""

from pathlib import Path
from typing import Any

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetExecutionContext,
    AssetSpec,
    MaterializeResult,
    MetadataValue,
    asset,
    asset_check,
    multi_asset,
)
from dagster_duckdb import DuckDBResource

from assets.partitions import APPLICATION_YEARS, ONE_RUN, years_of
from assets.resources import DUCKDB_POOL, ProjectSettings, column_schema
from assets.sql import ensure_table, read_sql, replace_years
from intake.applications.ingest import FileRejected, stage_files
from intake.applications.ledger import ledger_problems, ledger_rows, shrunk_years, update_ledger
from intake.applications.validate import quarantine_duplicates, quarantine_failures, stage_typed_rows
from intake.inbox.intake import extracts
from intake.sources.files import own_sources
from intake.sql import ensure_work_schema
from overgang.pseudonymise import is_shipped_sample, key_fingerprint, key_warnings, load_key
from overgang.settings import series_break_year
from schemas import warehouse as warehouse_schemas
from schemas.sqltext import fill, ident

GROUP = "applications"
ACCEPT_SMALLER_TAG = "overgang/accept-smaller"
PARTITIONED: dict[str, Any] = {"partitions_def": APPLICATION_YEARS, "backfill_policy": ONE_RUN, "pool": DUCKDB_POOL}


def synthetic_files(files: list[Path]) -> bool:
    """True when the run's files are the shipped synthetic sample, False when none is; the two
    are never mixed in one run."""
    shipped = [p.name for p in files if is_shipped_sample(p)]
    if shipped and len(shipped) != len(files):
        real = sorted({p.name for p in files} - set(shipped))
        raise FileRejected(
            f"The shipped synthetic sample ({', '.join(shipped[:3])}{' …' if len(shipped) > 3 else ''}) "
            f"and real extracts ({', '.join(real[:3])}{' …' if len(real) > 3 else ''}) would be loaded "
            "together. Synthetic and real figures are never mixed: give only your own extracts "
            "(overgang run --input FOLDER)."
        )
    return bool(shipped)


def refuse_mixing(con, years: list[int], fingerprint: str, synthetic: bool) -> None:
    """Stop before staging when years outside this run were pseudonymised with another key, or
    are synthetic where this run is real (or the other way round).

    A pupil's pseudonym differs between keys, so mixed years would count one pupil as two and
    break the link from year to year; synthetic years beside real ones would be read as real.
    The analyst chooses: the old key (or own data only), or every year again."""
    other = con.execute(
        "SELECT list(year ORDER BY year) FILTER (WHERE key_fingerprint <> $fp), "
        "list(year ORDER BY year) FILTER (WHERE synthetic <> $synthetic) FROM year_keys "
        "WHERE year NOT IN (SELECT unnest($years))",
        {"years": years, "fp": fingerprint, "synthetic": synthetic},
    ).fetchone()
    if other[1]:
        kinds = (
            ("synthetic (the shipped sample)", "real") if not synthetic else ("real", "synthetic (the shipped sample)")
        )
        raise FileRejected(
            f"The years {', '.join(map(str, other[1]))} in this warehouse are {kinds[0]}, this run's extracts are "
            f"{kinds[1]}; the two are never mixed. Use another OVERGANG_HOME for your own data, or load every year "
            "again from your own extracts: overgang run --rebuild --input FOLDER."
        )
    if other[0]:
        # Said in words, never by fingerprint: a fingerprint lets a guessed key be tested with one
        # HMAC, so it stays in the working database (year_keys) and is printed nowhere.
        raise FileRejected(
            f"This run's files (application years {', '.join(map(str, years))}) were pseudonymised with another "
            f"key than the warehouse's: its years {', '.join(map(str, other[0]))} were loaded with a different CPR "
            "key. Pseudonyms of two keys cannot be linked, so they are never mixed; nothing of this run was "
            "loaded. Use the key those years were loaded with (OVERGANG_CPR_KEY_FILE), or load every year again "
            "with the new key: overgang run --rebuild (with every year's extract in the input folder or inbox)."
        )


@asset(group_name=GROUP, kinds={"duckdb"}, **PARTITIONED)
def application_extracts(
    context: AssetExecutionContext, duckdb: DuckDBResource, project: ProjectSettings
) -> MaterializeResult:
    """Optagelse.dk extracts staged in DuckDB (staging_applications), CPR pseudonymised.

    Reads the CSV files of the run's years from the input folder (UTF-8, UTF-8 with BOM or
    Windows-1252), replaces the CPR number by a keyed pseudonym and keeps only the
    non-personal columns. A year's earlier rows are replaced, other years are not touched.
    """
    settings = project.settings()
    years = years_of(context)
    by_year = extracts(settings)
    files = [p for y in years for p in by_year.get(y, [])]
    if not files and not any(by_year.values()):
        if not own_sources(settings):
            raise FileRejected(
                f"No extracts (*.csv) found in {settings.input_dir} or accepted by the inbox ({settings.inbox_dir})."
            )
        context.log.warning("No Optagelse.dk extracts: the warehouse holds the public figures loaded into the inbox.")
    key, demo = load_key(files, settings.key_source, settings.home) if files else (b"", False)
    synthetic = synthetic_files(files)
    if synthetic:
        context.log.warning("The shipped SYNTHETIC sample is loaded: these are not real figures.")
    if demo:
        context.log.warning("DEMO key used for CPR pseudonyms (shipped sample only).")
    # A tenant's key is its own (settings.key_source); the worker's OVERGANG_CPR_KEY_FILE is not it.
    for warning in key_warnings() if settings.key_source is None else []:
        context.log.warning(warning)
    with duckdb.get_connection() as con:
        ensure_work_schema(con)
        params = {"years": years}
        # Checked before anything is marked or deleted: a refusal leaves the working database as it was.
        refuse_mixing(con, years, key_fingerprint(key), synthetic)
        con.execute("DELETE FROM partitions_in_progress WHERE year IN (SELECT unnest($years))", params)
        con.execute(
            "INSERT INTO partitions_in_progress SELECT unnest($years), $run, now()",
            {**params, "run": context.run.run_id},
        )
        con.execute("DELETE FROM partition_steps WHERE year IN (SELECT unnest($years))", params)
        for table in ("staging_applications", "ingested_files", "file_ledger"):
            con.execute(
                fill("DELETE FROM ${table} WHERE file_year IN (SELECT unnest($years))", table=ident(table)), params
            )
        con.execute("DELETE FROM quarantine WHERE dataset = 'applications' AND year IN (SELECT unnest($years))", params)

        def log(i: int, result) -> None:
            unreadable = f", {result.rejected_lines} unreadable lines" if result.rejected_lines else ""
            context.log.info(
                f"[{i}/{len(files)}] {result.name}: {result.data_rows} rows, {result.encoding}{unreadable}"
            )

        staged = stage_files(
            con, [(y, p) for y in years for p in by_year.get(y, [])], key, demo, context.run.run_id, log
        )
        con.execute(
            "INSERT OR REPLACE INTO year_keys SELECT DISTINCT file_year, $fp, $synthetic FROM ingested_files "
            "WHERE file_year IN (SELECT unnest($years))",
            {**params, "fp": key_fingerprint(key), "synthetic": synthetic},
        )
        missing = [y for y in years if y not in by_year]
        if missing:
            context.log.warning(f"No extract for {', '.join(map(str, missing))}: those years are empty.")
    return MaterializeResult(
        metadata={
            "files": len(staged),
            "rows": sum(s.data_rows for s in staged),
            "unreadable_lines": sum(s.rejected_lines for s in staged),
            "encodings": MetadataValue.json({s.name: s.encoding for s in staged}),
            "demo_key": demo,
        }
    )


def build_applications(con, years: list[int], run_id: str | None) -> dict:
    """Validate the staged rows of `years`: duplicates and failures to quarantine, the rest to
    `applications`, one row per year in year_loads, and the row ledger's second half."""
    ensure_work_schema(con)
    # Validation's own rules are recomputed (also when this asset is materialised alone);
    # unreadable lines (csv_structure) belong to the staging step.
    con.execute(
        "DELETE FROM quarantine WHERE dataset = 'applications' AND rule <> 'csv_structure' "
        "AND year IN (SELECT unnest($years))",
        {"years": years},
    )
    staged = stage_typed_rows(con, years)
    duplicates = quarantine_duplicates(con, years, run_id)
    quarantine_failures(con, run_id)
    select = read_sql("applications", "applications", typed=ident("typed_rows"))
    valid = replace_years(con, "applications", select, years)
    con.execute("DELETE FROM year_loads WHERE year IN (SELECT unnest($years))", {"years": years})
    con.execute(
        "INSERT INTO year_loads SELECT year, $run, count(*), now() FROM applications "
        "WHERE year IN (SELECT unnest($years)) GROUP BY year",
        {"years": years, "run": run_id},
    )
    by_rule = dict(
        con.execute(
            "SELECT rule, count(*) FROM quarantine WHERE dataset = 'applications' AND year IN (SELECT unnest($years)) "
            "GROUP BY rule ORDER BY 2 DESC",
            {"years": years},
        ).fetchall()
    )
    update_ledger(con, years)
    return {"valid": valid, "staged": staged, "duplicates": duplicates, "by_rule": by_rule}


@asset(
    group_name=GROUP,
    kinds={"duckdb", "pandera"},
    deps=[application_extracts, "education_codes", "applicant_types", "kommuner"],
    **PARTITIONED,
)
def applications(context: AssetExecutionContext, duckdb: DuckDBResource) -> MaterializeResult:
    """Validated application rows (søgninger); failing rows go to the quarantine table."""
    years = years_of(context)
    with duckdb.get_connection() as con:
        counts = build_applications(con, years, context.run.run_id)
        ledger = ledger_rows(con, years)
        step_done(con, years, context.run.run_id, "applications")
        report_rows_by_year(context, con, "applications", years)
    valid, staged, duplicates, by_rule = counts["valid"], counts["staged"], counts["duplicates"], counts["by_rule"]
    for row in ledger:
        context.log.info(
            f"{row['source_file']} ({row['file_year']}): {row['lines']} lines = 1 header + {row['blank_lines']} blank "
            f"+ {row['rejected_lines']} unreadable + {row['unaccounted_lines']} unaccounted + {row['staged_rows']} rows "
            f"({row['valid_rows']} valid, {row['quarantined_rows']} in quarantine, {row['duplicate_rows']} duplicates)"
        )
    return MaterializeResult(
        metadata={
            "valid_rows": valid,
            "staged_rows": staged,
            "duplicate_rows": duplicates,
            "quarantined_by_rule": MetadataValue.json(by_rule),
            "row_ledger": MetadataValue.json(ledger),
        }
    )


@asset_check(
    asset=applications,
    blocking=True,
    description=(
        "Row ledger, per file and per year (not pooled): every line of a file is a staged row, a rejected line, the "
        "header or blank, and every staged row is valid, in quarantine or a duplicate; the share of bad lines of each "
        "file and of each year must not exceed max_quarantine_share (data/config/pipeline.yaml)."
    ),
)
def quarantine_share(context, duckdb: DuckDBResource, project: ProjectSettings) -> AssetCheckResult:
    limit = project.settings().pipeline.max_quarantine_share
    years = years_of(context) if context.has_partition_key or context.has_partition_key_range else []
    params = {"years": years}
    with duckdb.get_connection() as con:
        ledger = ledger_rows(con, years)
        sample = con.execute(
            "SELECT source_file, source_line, column_name, value, rule FROM quarantine "
            "WHERE dataset = 'applications' AND year IN (SELECT unnest($years)) "
            "ORDER BY source_file, source_line LIMIT 10",
            params,
        ).df()
    problems = ledger_problems(ledger, limit)
    bad = sum(r["rejected_lines"] + r["unaccounted_lines"] + (r["quarantined_rows"] or 0) for r in ledger)
    total = sum(r["lines"] - r["header_lines"] - r["blank_lines"] for r in ledger)
    share = bad / total if total else 0.0
    passed = not problems
    return AssetCheckResult(
        passed=passed,
        severity=AssetCheckSeverity.ERROR,
        description=(
            f"{bad} of {total} rows ({share:.2%}) are in quarantine or unreadable; the limit is {limit:.2%} "
            "for each file and each year."
            if passed
            else " ".join(problems) + " The run stops here and the published warehouse keeps the year as it was: "
            "correct the file (see the quarantine table) or raise max_quarantine_share in data/config/pipeline.yaml."
        ),
        metadata={
            "quarantined_rows": bad,
            "input_rows": total,
            "share": share,
            "limit": limit,
            "row_ledger": MetadataValue.json(ledger),
            "sample": MetadataValue.json(sample.astype(str).to_dict(orient="records")),
        },
    )


SHARE_TABLES = ("application_shares", "school_application_shares", "application_shares_by_sex")


def ensure_application_tables(con) -> None:
    """The pupil-level tables, empty, where no extract was ever loaded: a warehouse of public
    figures alone (published søgetal, måltal, StatBank) publishes with the same views."""
    stage_typed_rows(con, [])
    # Made where missing and their columns checked, nothing run: a query over no years still scans.
    none: dict[str, object] = {"years": []}
    ensure_table(con, "applications", read_sql("applications", "applications", typed=ident("typed_rows")), none)
    for table in SHARE_TABLES:
        ensure_table(con, table, read_sql("applications", table), {**none, "series_break": series_break_year()})


@asset_check(
    asset=applications,
    blocking=True,
    description=(
        "A year's valid rows must not fall below those of the extract now published for it by more than "
        "max_shrink_share, nor a new year's below those of the year before it by more than "
        "max_shrink_share_new_year (data/config/pipeline.yaml), unless the run is tagged overgang/accept-smaller "
        "(overgang run/load --accept-smaller)."
    ),
)
def year_not_smaller(context, duckdb: DuckDBResource, project: ProjectSettings) -> AssetCheckResult:
    settings = project.settings()
    years = years_of(context) if context.has_partition_key or context.has_partition_key_range else []
    accepted = context.run.tags.get(ACCEPT_SMALLER_TAG, "") == "true"
    with duckdb.get_connection() as con:
        shrunk = shrunk_years(
            con,
            settings.warehouse,
            years,
            settings.pipeline.max_shrink_share,
            settings.pipeline.max_shrink_share_new_year,
        )
    lines = [s.message() for s in shrunk]
    if accepted and shrunk:
        lines.append("Accepted: the run was started with --accept-smaller.")
    return AssetCheckResult(
        passed=accepted or not shrunk,
        severity=AssetCheckSeverity.ERROR,
        description=" ".join(lines)
        if lines
        else (f"No year shrank by more than {settings.pipeline.max_shrink_share:.0%} against the published warehouse."),
        metadata={"shrunk": MetadataValue.json([s.__dict__ for s in shrunk]), "accept_smaller": accepted},
    )


def report_rows_by_year(context: AssetExecutionContext, con, table: str, years: list[int], asset_key=None) -> None:
    """Each partition's materialisation carries its own year's rows: a run over several years
    (a backfill) would otherwise give every year the count of all of them."""
    counts = dict(
        con.execute(
            fill(
                "SELECT year, count(*) FROM ${table} WHERE year IN (SELECT unnest($years)) GROUP BY year",
                table=ident(table),
            ),
            {"years": years},
        ).fetchall()
    )
    for year in years:
        rows = int(counts.get(year, 0))
        context.add_asset_metadata(
            {"rows": rows, "dagster/row_count": rows}, partition_key=str(year), asset_key=asset_key
        )


# The steps that build a year to the end; when a run has done all of them for a year, the year
# is whole in the working database even if that run publishes nothing (a UI materialisation).
YEAR_STEPS = ("applications", "application_shares", "school_application_shares", "application_shares_by_sex")


def step_done(con, years: list[int], run_id: str, step: str) -> None:
    params = {"years": years, "run": run_id}
    con.execute("INSERT INTO partition_steps SELECT unnest($years), $run, $step", {**params, "step": step})
    con.execute(
        """DELETE FROM partitions_in_progress p WHERE p.run_id = $run AND p.year IN (SELECT unnest($years))
                    AND (SELECT count(DISTINCT step) FROM partition_steps s WHERE s.year = p.year AND s.run_id = p.run_id
                         AND list_contains($steps, s.step)) = len($steps)""",
        {**params, "steps": list(YEAR_STEPS)},
    )


# The tables that once held a summed "national" row (kommune_code 0); see the SQL files.
SUMMED_BEFORE = ("application_shares", "application_shares_by_sex")

SHARE_SPECS = [
    AssetSpec(
        "application_shares",
        group_name=GROUP,
        kinds={"duckdb"},
        deps=[applications, "education_groups", "kommuner"],
        description="Søgetal: 1st-priority shares by year, kommune (0 = national), grade and group (national "
        "definition).",
        metadata=column_schema(warehouse_schemas.application_shares_schema),
    ),
    AssetSpec(
        "school_application_shares",
        group_name=GROUP,
        kinds={"duckdb"},
        deps=[applications, "education_groups"],
        description="Søgetal per school (skole), for the report's school table (suppressed there, not here).",
        metadata=column_schema(warehouse_schemas.school_application_shares_schema),
    ),
    AssetSpec(
        "application_shares_by_sex",
        group_name=GROUP,
        kinds={"duckdb"},
        deps=[applications, "education_groups"],
        description="Søgetal for boys and girls (drenge og piger), sex from the CPR number at ingestion.",
        metadata=column_schema(warehouse_schemas.application_shares_by_sex_schema),
    ),
]


@multi_asset(name="share_tables", specs=SHARE_SPECS, can_subset=True, **PARTITIONED)
def share_tables(context: AssetExecutionContext, duckdb: DuckDBResource):
    """The three søgetal tables of the run's years, each from its sql/<table>.sql, in one step
    (three steps would cost each run Dagster's overhead three times over, and each is a query).
    Any of them can still be built alone (a selection in the UI)."""
    years = years_of(context)
    selected = {key.to_user_string() for key in context.selected_asset_keys}
    with duckdb.get_connection() as con:
        for table in (t for t in SHARE_TABLES if t in selected):
            rows = replace_years(
                con, table, read_sql("applications", table), years, {"series_break": series_break_year()}
            )
            if table in SUMMED_BEFORE:
                # A warehouse made before keeps its other years' kommune_code 0 rows (sums of the
                # loaded extracts, once called Hele landet): gone, so no surface reads them as national.
                con.execute(fill("DELETE FROM ${table} WHERE kommune_code = 0", table=ident(table)))
            step_done(con, years, context.run.run_id, table)
            report_rows_by_year(context, con, table, years, asset_key=table)
            yield MaterializeResult(asset_key=table, metadata={"rows_in_run": rows})
