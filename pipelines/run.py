"""Running the main job in this process, as `overgang run` and the tests do."""

from __future__ import annotations

import os
import socket

from dagster import DagsterInstance, DagsterRunStatus, ExecuteInProcessResult, RunsFilter
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG
from dagster._core.utils import make_new_run_id

from assets.applications.assets import ACCEPT_SMALLER_TAG
from assets.partitions import APPLICATION_YEARS
from assets.reference.assets import TABLES as REFERENCE_TABLES
from assets.warehouse.assets import settle_parquet
from intake.sources.fingerprint import REFERENCE, unchanged
from overgang.home import explain, run_lock
from overgang.settings import Settings
from pipelines.definitions import MAIN_JOB, build_definitions
from pipelines.jobs import SOURCES_JOB
from schemas.sources import SOURCES

PID_TAG = "overgang/process"


def execute_main_job(
    settings: Settings,
    instance: DagsterInstance,
    quiet: bool = False,
    years: tuple[int, int] | None = None,
    accept_smaller: bool = False,
    wait: bool = False,
) -> ExecuteInProcessResult:
    """Run every asset for the application years `years` (first, last; default all) in one run.

    `quiet` swaps Dagster's console log for the compact progress log; `accept_smaller` lets a
    year through whose valid rows fall more than max_shrink_share below the published year's.
    RunLocked when another run uses the same home (unless `wait`).
    """
    return _execute(
        MAIN_JOB, settings, instance, quiet, main_job_tags(years, accept_smaller), wait, leave_out_unchanged=True
    )


def main_job_tags(years: tuple[int, int] | None = None, accept_smaller: bool = False) -> dict[str, str]:
    """The main job's tags: the application years it builds (first, last; default all), and the
    analyst's consent to a smaller year. The same for a run here and one in the shared deployment."""
    keys = APPLICATION_YEARS.get_partition_keys()
    first, last = (str(years[0]), str(years[1])) if years else (keys[0], keys[-1])
    tags = {ASSET_PARTITION_RANGE_START_TAG: first, ASSET_PARTITION_RANGE_END_TAG: last}
    if accept_smaller:
        tags[ACCEPT_SMALLER_TAG] = "true"
    return tags


def unchanged_small_sources(settings: Settings) -> set[str]:
    """The tables of the small sources (and reference tables) whose inputs have not changed since
    they were loaded into the working database (intake/sources/fingerprint.py)."""
    tables_of = {s.name: [s.name] for s in SOURCES} | {REFERENCE: list(REFERENCE_TABLES)}
    return {t for asset in unchanged(settings, tables_of) for t in tables_of[asset]}


def execute_sources_job(
    settings: Settings, instance: DagsterInstance, quiet: bool = False, wait: bool = False
) -> ExecuteInProcessResult:
    """Re-read the small sources (targets, goals, StatBank, published tables, profilmodel) and republish."""
    return _execute(SOURCES_JOB, settings, instance, quiet, wait=wait)


def _execute(
    job_name: str,
    settings: Settings,
    instance: DagsterInstance,
    quiet: bool,
    tags: dict[str, str] | None = None,
    wait: bool = False,
    leave_out_unchanged: bool = False,
) -> ExecuteInProcessResult:
    """Run a job in this process, tagged with the process so a dead run can be recognised later,
    holding the home's run lock throughout. `leave_out_unchanged`: without the small sources whose
    inputs are as when they were last loaded (their tables stay as they are and are published)."""
    job = build_definitions(settings).resolve_job_def(job_name)
    run_id = make_new_run_id()
    with run_lock(settings.home, run_id, job_name, wait):
        recover_dead_runs(instance)
        # A publish killed between its last two renames left no Parquet folder: put it back now.
        settle_parquet(settings.warehouse)
        selection = None
        if leave_out_unchanged and (same := unchanged_small_sources(settings)):
            selection = [k for k in job.asset_layer.selected_asset_keys if k.to_user_string() not in same]
        return job.execute_in_process(
            asset_selection=selection,
            instance=instance,
            raise_on_error=False,
            run_id=run_id,
            run_config={"loggers": {"progress": {}}} if quiet else {},
            tags={**(tags or {}), PID_TAG: f"{socket.gethostname()}:{os.getpid()}"},
        )


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def recover_dead_runs(instance: DagsterInstance) -> list[str]:
    """Mark as failed the runs this machine started whose process is gone (killed, power cut).

    Without the daemon's run monitoring nothing else would notice: such a run keeps its slot in
    the DuckDB pool, and every later run would wait for it for ever.
    """
    recovered = []
    host = socket.gethostname()
    for run in instance.get_runs(filters=RunsFilter(statuses=[DagsterRunStatus.STARTED, DagsterRunStatus.STARTING])):
        owner = run.tags.get(PID_TAG, "")
        run_host, _, pid = owner.rpartition(":")
        if run_host == host and pid.isdigit() and not _alive(int(pid)):
            instance.report_run_failed(run, "The process running it is gone (killed or the machine stopped).")
            instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
            recovered.append(run.run_id)
    return recovered


def failure_messages(result: ExecuteInProcessResult, settings: Settings | None = None) -> list[str]:
    """What stopped a run, in the words of the asset or check that stopped it."""
    messages = []
    for event in result.get_step_failure_events():
        error = event.step_failure_data.error
        if error is not None and error.cls_name == "DagsterAssetCheckFailedError":
            continue  # the check's own description below says why
        while error is not None and error.cause is not None:
            error = error.cause
        messages.append(explain(f"{event.step_key}: {error.message.strip() if error else 'failed'}", settings))
    for evaluation in result.get_asset_check_evaluations():
        if not evaluation.passed:
            messages.append(f"check {evaluation.check_name}: {evaluation.description}")
    return messages


def published_in(result: ExecuteInProcessResult) -> bool:
    """Whether this run replaced the published warehouse (its `warehouse` step succeeded)."""
    return any(
        e.asset_key is not None and e.asset_key.to_user_string() == "warehouse"
        for e in result.get_asset_materialization_events()
    )
