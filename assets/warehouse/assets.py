"""Publishing the warehouse: a finished copy that analysts and the report read.

Assets write to a working database during the run. Only when every table and blocking check
is done is the working database copied into a new file, which then replaces the published
one with ``os.replace`` (atomic on one file system). A reader with the old file open keeps
its snapshot; a run that fails before this step leaves the published file untouched. The
previous published file is kept beside it (``overgang.previous.duckdb``) for rollback.
"""

import contextlib
import os
import shutil
import time
from pathlib import Path

import duckdb as duckdb_lib
from dagster import AssetExecutionContext, AssetsDefinition, MaterializeResult, asset
from dagster_duckdb import DuckDBResource

from assets.applications.assets import ensure_application_tables
from assets.resources import DUCKDB_POOL, ProjectSettings
from assets.sql import ensure_work_schema
from assets.warehouse.append import appends
from schemas.dictionary import SCHEMA, create_views, dictionary_markdown, export_parquet
from schemas.sources import SOURCES, Source
from schemas.sqltext import fill, ident, literal


class HalfBuiltYears(RuntimeError):
    pass


# Working tables that stay out of the published warehouse.
# year_keys holds the CPR key's fingerprint: with it, a guessed key is tested with one HMAC; it is
# needed only where runs check that keys are not mixed. source_inputs: what each small source was
# last loaded from (assets/sources/fingerprint.py).
NOT_PUBLISHED = (
    "staging_applications",
    "partitions_in_progress",
    "partition_steps",
    "overgang_schema",
    "year_keys",
    "source_inputs",
)


def sane(path: Path) -> str | None:
    """Why the published file at `path` is not a usable warehouse (None when it is): it must open
    and hold its publication row and the applications table."""
    try:
        with duckdb_lib.connect(str(path), read_only=True) as con:
            run = con.execute("SELECT run_id FROM publication").fetchone()
            con.execute("SELECT count(*) FROM applications").fetchone()
    except (duckdb_lib.Error, OSError) as err:
        return f"{type(err).__name__}: {str(err).splitlines()[0][:200]}"
    return None if run else "no publication row"


# In a Parquet folder: the run id of the publication its files were exported from.
PARQUET_MARK = ".publication"


def settle_parquet(published: Path) -> bool:
    """Finish a publish killed between its last two renames (parquet -> parquet.previous, then
    parquet.new -> parquet), which left no parquet/ folder: parquet.new is put in its place when
    it is marked as exported from the publication now in place, so it is whole and current. A
    parquet.new of a publish killed before it replaced the file is not. True if it settled one."""
    folder = published.parent
    parquet, new = folder / "parquet", folder / "parquet.new"
    mark = new / PARQUET_MARK
    if parquet.exists() or not mark.is_file() or not published.is_file():
        return False
    try:
        with duckdb_lib.connect(str(published), read_only=True) as con:
            run = con.execute("SELECT run_id FROM publication").fetchone()
    except (duckdb_lib.Error, OSError):
        return False
    if run is None or mark.read_text(encoding="utf-8") != str(run[0]):
        return False
    new.rename(parquet)
    return True


def publish(work: duckdb_lib.DuckDBPyConnection, published: Path, storage_version: str) -> dict:
    """Copy the working database (`work`, the run's open connection to it) into a new file and
    put that in the published file's place in one rename. When the working database only adds
    rows to what is published (a new year), the new file is the published one with the rows
    appended (assets/warehouse/append.py); otherwise every row is copied into a fresh file."""
    published.parent.mkdir(parents=True, exist_ok=True)
    settle_parquet(published)
    new = published.with_name(published.stem + ".new.duckdb")
    _remove(new)
    started = time.perf_counter()
    # Through the run's own connection: the same process cannot open the file a second time.
    catalog = work.execute("SELECT current_database()").fetchall()[0][0]
    problem = sane(published) if published.exists() else "none published"
    # A write-ahead log beside the published file is someone's change that never reached it: the
    # file is not what publish made, so it is not appended to.
    appended = (
        problem is None
        and not _wal(published).exists()
        and _append_to_copy(work, catalog, published, new, storage_version)
    )
    if not appended:
        _copy_all(work, catalog, new, storage_version)
    # Views, comments, dictionary and Parquet are made from the new file as analysts will open it.
    parquet_new = published.parent / "parquet.new"
    shutil.rmtree(parquet_new, ignore_errors=True)
    with duckdb_lib.connect(str(new)) as con:
        if appended:
            # Made again from this code: a view it no longer makes does not stay behind.
            con.execute(fill("DROP SCHEMA IF EXISTS ${schema} CASCADE", schema=ident(SCHEMA)))
        create_views(con)
        dictionary = dictionary_markdown(con)
        export_parquet(con, parquet_new)
        has_run = con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'publication'").fetchall()[0][0]
        run = con.execute("SELECT max(run_id) FROM publication").fetchall()[0][0] if has_run else None
    if run is not None:
        (parquet_new / PARQUET_MARK).write_text(str(run), encoding="utf-8")
    previous = published.with_name(published.stem + ".previous.duckdb")
    kept = None
    if published.exists():
        # Only a good file becomes `previous`: a damaged one (a truncated copy, a disk that filled)
        # would overwrite the last version rollback can return to.
        if problem is None:
            tmp = previous.with_name(previous.name + ".tmp")
            tmp.unlink(missing_ok=True)
            os.link(published, tmp)
            os.replace(tmp, previous)
        else:
            kept = f"the published file could not be opened ({problem}); it was not kept as previous"
    # The log of a change to the old file would be replayed into the new one when it is opened.
    _wal(published).unlink(missing_ok=True)
    os.replace(new, published)  # the moment of publishing: atomic on one file system
    parquet = published.parent / "parquet"
    shutil.rmtree(published.parent / "parquet.previous", ignore_errors=True)
    if parquet.exists():
        parquet.rename(published.parent / "parquet.previous")
    parquet_new.rename(parquet)
    (published.parent / "data_dictionary.md").write_text(dictionary, encoding="utf-8")
    return {
        "path": str(published),
        "bytes": published.stat().st_size,
        "publish_seconds": round(time.perf_counter() - started, 3),
        # "appended": the published file with the new rows added; "copied": every row copied.
        "method": "appended" if appended else "copied",
        "previous": kept or (str(previous) if previous.exists() else "none"),
    }


def _append_to_copy(
    work: duckdb_lib.DuckDBPyConnection, catalog: str, published: Path, new: Path, storage_version: str
) -> bool:
    """`new` as a copy of the published file with the working database's added rows appended, in
    one transaction. False, with `new` removed, when more than rows were added (or the copy could
    not be changed): the caller copies everything instead."""
    shutil.copyfile(published, new)
    statements = None
    try:
        work.execute("ATTACH $path AS pub", {"path": str(new)})
        try:
            work.execute("BEGIN TRANSACTION")
            statements = appends(work, catalog, "pub", storage_version, NOT_PUBLISHED)
            for sql, params in statements or []:
                work.execute(sql, params)
            work.execute("COMMIT" if statements is not None else "ROLLBACK")
        except BaseException:
            with contextlib.suppress(duckdb_lib.Error):
                work.execute("ROLLBACK")
            raise
        finally:
            work.execute("DETACH DATABASE IF EXISTS pub")
    except duckdb_lib.Error:
        # A copy that cannot be changed as expected is no reason to stop: the full copy follows.
        statements = None
    if statements is None:
        _remove(new)
    return statements is not None


def _wal(path: Path) -> Path:
    """DuckDB's write-ahead log of the database file `path`."""
    return path.with_name(path.name + ".wal")


def _remove(path: Path) -> None:
    """A database file and its write-ahead log (a publish killed before it closed the file leaves one)."""
    path.unlink(missing_ok=True)
    _wal(path).unlink(missing_ok=True)


def _copy_all(work: duckdb_lib.DuckDBPyConnection, catalog: str, new: Path, storage_version: str) -> None:
    """Every published table's rows copied into the fresh file `new`, in one transaction."""
    # ATTACH takes no parameter for its options: the version as a quoted literal.
    work.execute(
        fill("ATTACH $path AS pub (STORAGE_VERSION ${version})", version=literal(storage_version)), {"path": str(new)}
    )
    try:
        # One transaction: each table's statements committed on their own cost a publish 0.3 s.
        work.execute("BEGIN TRANSACTION")
        # The structure of everything, then the rows of the published tables only: a table copied
        # and then dropped would leave its rows in the new file's freed blocks (DuckDB writes a
        # large insert straight into the file and does not wipe what a DROP frees).
        work.execute(fill("COPY FROM DATABASE ${work} TO pub (SCHEMA)", work=ident(catalog)))
        tables = work.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = $db AND NOT internal "
            "AND NOT temporary ORDER BY schema_name, table_name",
            {"db": catalog},
        ).fetchall()
        for schema, table in tables:
            if schema == "main" and table in NOT_PUBLISHED:
                continue
            names = {"work": ident(catalog), "schema": ident(schema), "table": ident(table)}
            work.execute(fill("INSERT INTO pub.${schema}.${table} SELECT * FROM ${work}.${schema}.${table}", **names))
        for table in NOT_PUBLISHED:
            work.execute(fill("DROP TABLE IF EXISTS pub.${table}", table=ident(table)))
        work.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(duckdb_lib.Error):  # none open if BEGIN itself failed
            work.execute("ROLLBACK")
        raise
    finally:
        work.execute("DETACH DATABASE IF EXISTS pub")


# What the warehouse holds besides the registry's sources: the extract's tables and marts, and the
# reference tables.
EXTRACT_TABLES = ["application_shares", "school_application_shares", "application_shares_by_sex", "applications"]
REFERENCE_TABLES = ["published_figures", "kommuner", "education_codes", "education_groups", "applicant_types"]


def half_built_error(context: AssetExecutionContext, half_built: list) -> HalfBuiltYears:
    run = context.instance.get_run_by_id(half_built[0][1])
    status = run.status.value.lower() if run is not None else "unknown"
    why = (
        "a run that did not finish"
        if status != "success"
        else "a run that succeeded but built only part of the year (materialised from the UI without the assets "
        "downstream of application_extracts)"
    )
    return HalfBuiltYears(
        f"Not publishing: years {', '.join(str(y) for y, _ in half_built)} were left half-built by {why} "
        f"({half_built[0][1][:8]}, {status}). Rebuild them first, e.g. overgang run --year {half_built[0][0]}, or "
        "in the UI launch job overgang_main for the year. The published warehouse is unchanged."
    )


class ChangedExtract(RuntimeError):
    pass


def refuse_changed_extracts(con, settings, run_id: str) -> None:
    """Stop before publishing when an extract this run staged is not the file as it was taken:
    still being written when it was taken, or written to since (assets/inbox/whole.py). Such a
    file waiting for its run goes to rejected/ with the reason, as after any failed run."""
    from assets.inbox.receive import fail_pending
    from assets.inbox.whole import changed_extracts

    staged = con.execute(
        "SELECT l.file_year, l.source_file, i.sha256 FROM file_ledger l JOIN ingested_files i "
        "USING (source_file, file_year) WHERE l.run_id = $run ORDER BY ALL",
        {"run": run_id},
    ).fetchall()
    changed = changed_extracts(settings, staged)
    if not changed:
        return
    years = ", ".join(sorted({str(year) for year, _, _ in staged}))
    message = (
        " ".join(sentence for _, sentence, _ in changed)
        + f" Nothing was published: the published warehouse keeps {years} as it was."
    )
    fail_pending(settings, sorted({y for y, _, _ in changed}), message, {sha for _, _, sha in changed})
    raise ChangedExtract(
        message + " A file of the input folder is taken again at the next run (overgang run) once it is whole."
    )


def publish_warehouse(
    context: AssetExecutionContext, duckdb: DuckDBResource, project: ProjectSettings
) -> MaterializeResult:
    settings = project.settings()
    with duckdb.get_connection() as con:
        ensure_work_schema(con)
        ensure_application_tables(con)
        # Before this run's years are marked complete: a year read from a file that has changed since
        # it was taken stays marked half-built, so no later run publishes it either.
        refuse_changed_extracts(con, settings, context.run.run_id)
        con.execute("DELETE FROM partitions_in_progress WHERE run_id = $run", {"run": context.run.run_id})
        half_built = con.execute(
            "SELECT year, any_value(run_id) FROM partitions_in_progress GROUP BY year ORDER BY year"
        ).fetchall()
        if not half_built:
            # Which run made this version (the report prints it in its footer), and whether any of it
            # is the shipped synthetic sample (the report then says so on every page).
            con.execute(
                "CREATE OR REPLACE TABLE publication AS SELECT $run AS run_id, now()::TIMESTAMP AS published_at, "
                "coalesce((SELECT bool_or(synthetic) FROM year_keys), false) AS synthetic_data",
                {"run": context.run.run_id},
            )
            con.execute("CHECKPOINT")
        published_files = con.execute("SELECT file_year, sha256 FROM ingested_files").fetchall()
        if half_built:
            raise half_built_error(context, half_built)
        context.log.info(f"publishing {settings.warehouse} …")
        metadata = publish(con, settings.warehouse, settings.storage_compatibility_version)
    if not metadata["previous"].endswith(".duckdb") and metadata["previous"] != "none":
        context.log.warning(f"The warehouse that was published before this run is damaged: {metadata['previous']}.")
    # The extracts this publication holds become their years' current extracts in the inbox.
    from assets.inbox.receive import promote

    by_year: dict[int, set[str]] = {}
    for year, sha in published_files:
        by_year.setdefault(int(year), set()).add(sha)
    for outcome in promote(settings, by_year):
        context.log.info(f"{outcome.file}: now the current extract for {outcome.year}")
    return MaterializeResult(metadata=metadata)


def warehouse_asset(sources: tuple[Source, ...] = SOURCES) -> AssetsDefinition:
    """The warehouse waits for every table it publishes: the extract's, each registry source's and
    the reference tables."""
    return asset(
        name="warehouse",
        group_name="warehouse",
        kinds={"duckdb"},
        pool=DUCKDB_POOL,
        deps=[*EXTRACT_TABLES, *(s.name for s in sources), *REFERENCE_TABLES],
        description="The published DuckDB warehouse (var/warehouse/overgang.duckdb), replaced atomically.",
    )(publish_warehouse)


@asset(group_name="warehouse", kinds={"duckdb", "parquet"}, deps=["warehouse"])
def publication_set(project: ProjectSettings) -> MaterializeResult:
    """The publication set (var/publication/): protected søgetal of every kommune and year, audited,
    apart from the internal warehouse. See assets/warehouse/publication.py."""
    from assets.warehouse.publication import write_publication_set
    from overgang import protection_cache

    settings = project.settings()
    return MaterializeResult(
        metadata=write_publication_set(
            settings.warehouse,
            settings.publication_dir,
            settings.config["small_cell"],
            settings.storage_compatibility_version,
            protection_cache.at_home(settings.home),
        )
    )
