"""Runs triggered by new or corrected extracts in the input folder."""

from __future__ import annotations

import hashlib
import json

from dagster import RunRequest, SensorEvaluationContext, SensorResult, SkipReason, sensor

from assets.applications.ingest import extract_files_by_year
from overgang.encoding import sha256_file
from pipelines.jobs import MAIN_JOB
from pipelines.partitions import APPLICATION_YEARS
from pipelines.resources import ProjectSettings


def _digest(paths) -> str:
    """One fingerprint for a year's files: their names and contents."""
    return hashlib.sha256("".join(f"{p.name}:{sha256_file(p)};" for p in sorted(paths)).encode()).hexdigest()


@sensor(job_name=MAIN_JOB, minimum_interval_seconds=300,
        description="A year whose extract files are new or changed (by content) is reloaded: one run for that year only.")
def changed_extracts(context: SensorEvaluationContext, project: ProjectSettings):
    seen = json.loads(context.cursor) if context.cursor else {}
    by_year = extract_files_by_year(project.settings().input_dir)
    valid = set(APPLICATION_YEARS.get_partition_keys())
    current, requests = {}, []
    for year, paths in sorted(by_year.items()):
        key = str(year)
        if key not in valid:
            context.log.warning(f"Extract for {year} ignored: no such application year partition.")
            continue
        current[key] = _digest(paths)
        if seen.get(key) != current[key]:
            requests.append(RunRequest(partition_key=key, run_key=f"{key}-{current[key][:16]}"))
    cursor = json.dumps(current, sort_keys=True)
    if not requests:
        return SkipReason("No new or changed extracts.")
    return SensorResult(run_requests=requests, cursor=cursor)
