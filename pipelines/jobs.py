"""The jobs: everything, or the StatBank refresh."""

from __future__ import annotations

from dagster import AssetSelection, define_asset_job, in_process_executor

from schemas.sources import SOURCES, Source

MAIN_JOB = "overgang_main"
STATBANK_JOB = "statbank_refresh"

# Every step writes the one DuckDB file, so steps cannot run side by side anyway (the pool in
# dagster.yaml would serialise them); one process per run saves Dagster's start-up of about 10 s
# per step that the multiprocess executor costs here. Assets materialised ad hoc from the UI use
# the default executor and are kept apart by the pool.
main_job = define_asset_job(
    MAIN_JOB,
    selection=AssetSelection.all(),
    executor_def=in_process_executor,
    description="Extracts to warehouse and council report (one or more application years).",
)
statbank_job = define_asset_job(
    STATBANK_JOB,
    selection=AssetSelection.assets("completion_status").downstream(),
    executor_def=in_process_executor,
    description="Re-read StatBank tables, republish the warehouse and the report.",
)

SOURCES_JOB = "sources_refresh"


def sources_job_for(sources: tuple[Source, ...] = SOURCES):
    """Small sources an analyst drops into the inbox (not extracts): re-read them all and republish.
    The reference tables (kommuner, codes, groups) come along: they are cheap, and a municipality
    with public figures only has no main run that would have loaded them."""
    return define_asset_job(
        SOURCES_JOB,
        selection=AssetSelection.assets(*source_assets_of(sources)).downstream() | AssetSelection.groups("reference"),
        executor_def=in_process_executor,
        description="Re-read the small sources (" + ", ".join(s.name for s in sources) + "); republish.",
    )


def source_assets_of(sources: tuple[Source, ...] = SOURCES) -> list[str]:
    return [s.name for s in sources]


SOURCE_ASSETS = source_assets_of()
sources_job = sources_job_for()
