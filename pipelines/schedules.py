"""When Overgang runs by itself (dagster-daemon must be running: see README, Services)."""

from __future__ import annotations

from dagster import RunRequest, ScheduleEvaluationContext, schedule

from assets.partitions import APPLICATION_YEARS
from pipelines.jobs import MAIN_JOB, STATBANK_JOB

TIMEZONE = "Europe/Copenhagen"


@schedule(
    job_name=MAIN_JOB,
    cron_schedule="0 6 20 3 *",
    execution_timezone=TIMEZONE,
    description="Spring run: 20 March, after the 1 March deadline and the ministry's mid-March extract. "
    "Loads this year's extract and publishes warehouse and report before the 31 May deadline.",
)
def spring_applications(context: ScheduleEvaluationContext) -> RunRequest:
    year = str(context.scheduled_execution_time.year)
    assert year in APPLICATION_YEARS.get_partition_keys(), year
    return RunRequest(run_key=f"spring-{year}", partition_key=year)


@schedule(
    job_name=STATBANK_JOB,
    cron_schedule="0 7 2 * *",
    execution_timezone=TIMEZONE,
    description="Monthly: re-read the StatBank tables in data/config/statbank.yaml and republish.",
)
def statbank_refresh(context: ScheduleEvaluationContext) -> RunRequest:
    return RunRequest(run_key=f"statbank-{context.scheduled_execution_time:%Y-%m}")
