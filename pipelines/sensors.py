"""Runs triggered by new or corrected extracts in the input folder."""

from __future__ import annotations

import hashlib
import json

from dagster import DagsterRunStatus, RunRequest, RunsFilter, SensorEvaluationContext, SensorResult, SkipReason, sensor

from assets.applications.ingest import extract_sources
from assets.inbox.receive import fail_pending, pending_extracts, receive, waiting
from assets.partitions import APPLICATION_YEARS
from assets.resources import ProjectSettings
from assets.sources.files import ledger_rows
from assets.sources.tables import FileRejected
from overgang.encoding import sha256_file
from pipelines.jobs import MAIN_JOB, SOURCES_JOB, main_job, sources_job


def _digest(paths, known: dict[str, list], files: dict[str, list]) -> str:
    """One fingerprint for a year's files: their names and contents. A file whose size and
    modification time are as at the last tick keeps its hash from `known` (the cursor), so a
    national extract is hashed when it changes, not every five minutes; `files` gets each file's
    [size, mtime_ns, sha256] for the next tick."""
    parts = []
    for p in sorted(paths):
        stat = p.stat()
        before = known.get(str(p))
        if before and before[:2] == [stat.st_size, stat.st_mtime_ns]:
            sha = before[2]
        else:
            sha = sha256_file(p)
        files[str(p)] = [stat.st_size, stat.st_mtime_ns, sha]
        parts.append(f"{p.name}:{sha};")
    return hashlib.sha256("".join(parts).encode()).hexdigest()


@sensor(
    job_name=MAIN_JOB,
    minimum_interval_seconds=300,
    description="A year whose extract files are new or changed (by content) is reloaded: one run for that year only. "
    "Only files whose size or modification time changed are hashed again.",
)
def changed_extracts(context: SensorEvaluationContext, project: ProjectSettings):
    seen = json.loads(context.cursor) if context.cursor else {}
    # The cursor before file stats were kept was {year: digest}.
    seen_years, known = (seen["years"], seen["files"]) if "years" in seen else (seen, {})
    try:
        by_year = extract_sources(project.settings())
    except (FileRejected, OSError) as err:
        context.log.error(str(err))
        return SkipReason(f"Input folder not read: {err}")
    valid = set(APPLICATION_YEARS.get_partition_keys())
    current, files, requests = {}, {}, []
    for year, paths in sorted(by_year.items()):
        key = str(year)
        if key not in valid:
            context.log.warning(f"Extract for {year} ignored: no such application year partition.")
            continue
        try:
            current[key] = _digest(paths, known, files)
        except OSError as err:  # a file removed or unreadable while we looked: next tick
            context.log.warning(f"Extract for {year} not read now: {err}")
            continue
        if seen_years.get(key) != current[key]:
            requests.append(RunRequest(partition_key=key, run_key=f"{key}-{current[key][:16]}"))
    cursor = json.dumps({"years": current, "files": files}, sort_keys=True)
    if not requests:
        if cursor == context.cursor:
            return SkipReason("No new or changed extracts.")
        # Touched but not changed: the new times are kept, so the files are not hashed again.
        return SensorResult(skip_reason="No new or changed extracts.", cursor=cursor)
    return SensorResult(run_requests=requests, cursor=cursor)


@sensor(
    jobs=[main_job, sources_job],
    minimum_interval_seconds=60,
    description="Files dropped into the inbox: recognised by content, moved to processed/ or rejected/ "
    "(with a reason file), and loaded: an extract reloads its year, any other source the sources job.",
)
def inbox_files(context: SensorEvaluationContext, project: ProjectSettings):
    settings = project.settings()
    requests, sources = [], []
    # Extracts whose run failed: to rejected/ with the reason, the earlier extract stays current,
    # and the year is rebuilt from it (the failed run may have left it half-built).
    for year, sha in _settle_failed_runs(context, settings):
        requests.append(
            RunRequest(
                job_name=MAIN_JOB,
                partition_key=str(year),
                run_key=f"restore-{year}-{sha[:16]}",
                tags={"overgang/restore": str(year)},
            )
        )
    try:
        candidates = waiting(settings, settings.inbox_settle_seconds)
    except OSError as err:
        return SkipReason(f"The inbox {settings.inbox_dir} cannot be read: {err}")
    for path in candidates:
        outcome = receive(path, settings)  # its own error boundary: never raises for one file
        context.log.info(f"{outcome.file}: {outcome.outcome} ({outcome.message})")
        if outcome.outcome != "accepted":
            continue
        if outcome.kind == "applications":
            requests.append(
                RunRequest(
                    job_name=MAIN_JOB,
                    partition_key=str(outcome.year),
                    run_key=f"inbox-{outcome.sha256[:16]}",
                    tags={"overgang/file": outcome.file, SHA_TAG: outcome.sha256},
                )
            )
        else:
            sources.append(outcome)
    if sources:
        key = hashlib.sha256("".join(o.sha256 for o in sources).encode()).hexdigest()[:16]
        requests.append(
            RunRequest(
                job_name=SOURCES_JOB,
                run_key=f"inbox-sources-{key}",
                tags={"overgang/file": ", ".join(o.file for o in sources)[:200]},
            )
        )
    if not requests:
        return SkipReason("Nothing new loaded from the inbox.")
    return SensorResult(run_requests=requests)


SHA_TAG = "overgang/sha256"
FAILED = (DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED)


def _settle_failed_runs(context: SensorEvaluationContext, settings) -> list[tuple[int, str]]:
    """Pending extracts whose run failed move to rejected/ with the reason; returns their years."""
    pending = pending_extracts(settings)
    if not pending:
        return []
    try:
        instance = context.instance
    except Exception:  # a sensor evaluated without an instance (tests): nothing to look up
        return []
    received = {row["stored_as"]: row["sha256"] for row in ledger_rows(settings) if row["outcome"] == "received"}
    years = []
    for year, path in pending.items():
        sha = received.get(str(path))
        runs = instance.get_runs(filters=RunsFilter(tags={SHA_TAG: sha}), limit=1) if sha else []
        if runs and runs[0].status in FAILED:
            reason = f"run {runs[0].run_id[:8]} {runs[0].status.value.lower()} (its log in the Dagster UI says why)."
            for outcome in fail_pending(settings, [year], reason, {sha}):
                context.log.warning(outcome.message)
                years.append((year, sha))
    return years
