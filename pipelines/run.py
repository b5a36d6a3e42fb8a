"""Running the main job in this process, as `overgang run` and the tests do."""

from __future__ import annotations

from dagster import DagsterInstance, ExecuteInProcessResult

from overgang.settings import Settings
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from pipelines.definitions import MAIN_JOB, build_definitions
from pipelines.partitions import APPLICATION_YEARS


def execute_main_job(settings: Settings, instance: DagsterInstance, quiet: bool = False,
                     years: tuple[int, int] | None = None) -> ExecuteInProcessResult:
    """Run every asset for the application years `years` (first, last; default all) in one run.

    `quiet` swaps Dagster's console log for the compact progress log.
    """
    job = build_definitions(settings).resolve_job_def(MAIN_JOB)
    keys = APPLICATION_YEARS.get_partition_keys()
    first, last = (str(years[0]), str(years[1])) if years else (keys[0], keys[-1])
    run_config = {"loggers": {"progress": {}}} if quiet else {}
    tags = {ASSET_PARTITION_RANGE_START_TAG: first, ASSET_PARTITION_RANGE_END_TAG: last}
    return job.execute_in_process(instance=instance, raise_on_error=False, run_config=run_config, tags=tags)


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
