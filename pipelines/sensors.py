"""Runs triggered by new or corrected extracts in the input folder."""

from __future__ import annotations

import hashlib
import json

from dagster import RunRequest, SensorEvaluationContext, SensorResult, SkipReason, sensor

from assets.applications.ingest import extract_sources
from overgang.encoding import sha256_file
from assets.inbox.receive import receive, waiting
from pipelines.jobs import MAIN_JOB, SOURCES_JOB, main_job, sources_job
from pipelines.partitions import APPLICATION_YEARS
from pipelines.resources import ProjectSettings


def _digest(paths) -> str:
    """One fingerprint for a year's files: their names and contents."""
    return hashlib.sha256("".join(f"{p.name}:{sha256_file(p)};" for p in sorted(paths)).encode()).hexdigest()


@sensor(job_name=MAIN_JOB, minimum_interval_seconds=300,
        description="A year whose extract files are new or changed (by content) is reloaded: one run for that year only.")
def changed_extracts(context: SensorEvaluationContext, project: ProjectSettings):
    seen = json.loads(context.cursor) if context.cursor else {}
    by_year = extract_sources(project.settings())
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


@sensor(jobs=[main_job, sources_job], minimum_interval_seconds=60,
        description="Files dropped into the inbox: recognised by content, moved to processed/ or rejected/ "
                    "(with a reason file), and loaded: an extract reloads its year, any other source the sources job.")
def inbox_files(context: SensorEvaluationContext, project: ProjectSettings):
    settings = project.settings()
    requests, sources = [], []
    for path in waiting(settings, settings.inbox_settle_seconds):
        outcome = receive(path, settings)
        context.log.info(f"{outcome.file}: {outcome.outcome} ({outcome.message})")
        if outcome.outcome != "accepted":
            continue
        if outcome.kind == "applications":
            requests.append(RunRequest(job_name=MAIN_JOB, partition_key=str(outcome.year),
                                       run_key=f"inbox-{outcome.sha256[:16]}", tags={"overgang/file": outcome.file}))
        else:
            sources.append(outcome)
    if sources:
        key = hashlib.sha256("".join(o.sha256 for o in sources).encode()).hexdigest()[:16]
        requests.append(RunRequest(job_name=SOURCES_JOB, run_key=f"inbox-sources-{key}",
                                   tags={"overgang/file": ", ".join(o.file for o in sources)[:200]}))
    if not requests:
        return SkipReason("Nothing new loaded from the inbox.")
    return SensorResult(run_requests=requests)
