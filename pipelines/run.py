"""Running the main job in this process, as `overgang run` and the tests do."""

from __future__ import annotations

import os
import socket

from dagster import DagsterInstance, DagsterRunStatus, ExecuteInProcessResult, RunsFilter

from overgang.settings import Settings
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from pipelines.definitions import MAIN_JOB, build_definitions
from pipelines.jobs import SOURCES_JOB
from pipelines.partitions import APPLICATION_YEARS

PID_TAG = "overgang/process"


def execute_main_job(settings: Settings, instance: DagsterInstance, quiet: bool = False,
                     years: tuple[int, int] | None = None) -> ExecuteInProcessResult:
    """Run every asset for the application years `years` (first, last; default all) in one run.

    `quiet` swaps Dagster's console log for the compact progress log.
    """
    keys = APPLICATION_YEARS.get_partition_keys()
    first, last = (str(years[0]), str(years[1])) if years else (keys[0], keys[-1])
    return _execute(MAIN_JOB, settings, instance, quiet,
                    {ASSET_PARTITION_RANGE_START_TAG: first, ASSET_PARTITION_RANGE_END_TAG: last})


def execute_sources_job(settings: Settings, instance: DagsterInstance, quiet: bool = False) -> ExecuteInProcessResult:
    """Re-read the small sources (targets, goals, StatBank, published tables, profilmodel) and republish."""
    return _execute(SOURCES_JOB, settings, instance, quiet)


def _execute(job_name: str, settings: Settings, instance: DagsterInstance, quiet: bool,
             tags: dict[str, str] | None = None) -> ExecuteInProcessResult:
    """Run a job in this process, tagged with the process so a dead run can be recognised later."""
    job = build_definitions(settings).resolve_job_def(job_name)
    recover_dead_runs(instance)
    return job.execute_in_process(instance=instance, raise_on_error=False,
                                  run_config={"loggers": {"progress": {}}} if quiet else {},
                                  tags={**(tags or {}), PID_TAG: f"{socket.gethostname()}:{os.getpid()}"})


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


def failure_messages(result: ExecuteInProcessResult) -> list[str]:
    """What stopped a run, in the words of the asset or check that stopped it."""
    messages = []
    for event in result.get_step_failure_events():
        error = event.step_failure_data.error
        while error is not None and error.cause is not None:
            error = error.cause
        messages.append(f"{event.step_key}: {error.message.strip() if error else 'failed'}")
    for evaluation in result.get_asset_check_evaluations():
        if not evaluation.passed:
            messages.append(f"check {evaluation.check_name}: {evaluation.description}")
    return messages
