"""Publishing the warehouse: a finished copy that analysts and the report read.

Assets write to a working database during the run. Only when every table and blocking check
is done is the working database copied into a new file, which then replaces the published
one with ``os.replace`` (atomic on one file system). A reader with the old file open keeps
its snapshot; a run that fails before this step leaves the published file untouched. The
previous published file is kept beside it (``overgang.previous.duckdb``) for rollback.
"""


import os
import shutil
import time
from pathlib import Path

import duckdb as duckdb_lib
from dagster import AssetExecutionContext, MaterializeResult, asset
from dagster_duckdb import DuckDBResource

from assets.sql import ensure_work_schema
from overgang.dictionary import create_views, dictionary_markdown, export_parquet
from pipelines.resources import DUCKDB_POOL, ProjectSettings


class HalfBuiltYears(RuntimeError):
    pass

# Working tables that stay out of the published warehouse.
NOT_PUBLISHED = ("staging_applications", "partitions_in_progress", "overgang_schema")


def publish(work_db: Path, published: Path, storage_version: str) -> dict:
    published.parent.mkdir(parents=True, exist_ok=True)
    new = published.with_name(published.stem + ".new.duckdb")
    new.unlink(missing_ok=True)
    started = time.perf_counter()
    with duckdb_lib.connect() as con:
        con.execute("ATTACH ? AS work (READ_ONLY)", [str(work_db)])
        con.execute(f"ATTACH ? AS pub (STORAGE_VERSION '{storage_version}')", [str(new)])
        con.execute("COPY FROM DATABASE work TO pub")
        for table in NOT_PUBLISHED:
            con.execute(f"DROP TABLE IF EXISTS pub.{table}")
        con.execute("DETACH pub")
    # Views, comments, dictionary and Parquet are made from the new file as analysts will open it.
    parquet_new = published.parent / "parquet.new"
    shutil.rmtree(parquet_new, ignore_errors=True)
    with duckdb_lib.connect(str(new)) as con:
        create_views(con)
        dictionary = dictionary_markdown(con)
        export_parquet(con, parquet_new)
    previous = published.with_name(published.stem + ".previous.duckdb")
    if published.exists():
        previous.unlink(missing_ok=True)
        os.link(published, previous)
    os.replace(new, published)  # the moment of publishing: atomic on one file system
    parquet = published.parent / "parquet"
    shutil.rmtree(published.parent / "parquet.previous", ignore_errors=True)
    if parquet.exists():
        parquet.rename(published.parent / "parquet.previous")
    parquet_new.rename(parquet)
    (published.parent / "data_dictionary.md").write_text(dictionary, encoding="utf-8")
    return {"path": str(published), "bytes": published.stat().st_size,
            "publish_seconds": round(time.perf_counter() - started, 3)}


@asset(group_name="warehouse", kinds={"duckdb"}, pool=DUCKDB_POOL,
       deps=["application_shares", "school_application_shares", "application_shares_by_sex", "completion_status", "published_application_shares", "profilmodel_projections", "applications", "targets", "goals", "published_figures", "kommuner",
             "education_codes", "education_groups", "applicant_types"])
def warehouse(context: AssetExecutionContext, duckdb: DuckDBResource, project: ProjectSettings) -> MaterializeResult:
    """The published DuckDB warehouse (var/warehouse/overgang.duckdb), replaced atomically."""
    settings = project.settings()
    with duckdb.get_connection() as con:
        ensure_work_schema(con)
        con.execute("DELETE FROM partitions_in_progress WHERE run_id = $run", {"run": context.run.run_id})
        half_built = con.execute("SELECT year, any_value(run_id) FROM partitions_in_progress GROUP BY year ORDER BY year").fetchall()
        if half_built:
            raise HalfBuiltYears(
                f"Not publishing: years {', '.join(str(y) for y, _ in half_built)} were left half-built by a run that did "
                f"not finish ({half_built[0][1][:8]}). Rebuild them first, e.g. overgang run --year {half_built[0][0]}. "
                "The published warehouse is unchanged.")
        # Which run made this version: the report prints it in its footer.
        con.execute("CREATE OR REPLACE TABLE publication AS SELECT $run AS run_id, now()::TIMESTAMP AS published_at",
                    {"run": context.run.run_id})
        con.execute("CHECKPOINT")
    return MaterializeResult(metadata=publish(settings.work_db, settings.warehouse, settings.storage_compatibility_version))


@asset(group_name="warehouse", kinds={"duckdb", "parquet"}, deps=["warehouse"])
def publication_set(project: ProjectSettings) -> MaterializeResult:
    """The publication set (var/publication/): protected søgetal of every kommune and year, audited,
    apart from the internal warehouse. See assets/warehouse/publication.py."""
    from assets.warehouse.publication import write_publication_set

    settings = project.settings()
    return MaterializeResult(metadata=write_publication_set(
        settings.warehouse, settings.publication_dir, settings.config["small_cell"], settings.storage_compatibility_version))
