"""One sensor for every file that comes in: the input folder's and the inbox's."""

from __future__ import annotations

import hashlib
import json
import time

from dagster import DagsterRunStatus, RunRequest, RunsFilter, SensorEvaluationContext, SensorResult, SkipReason, sensor

from assets.partitions import APPLICATION_YEARS
from assets.resources import ProjectSettings
from intake.inbox import ledger
from intake.inbox.intake import import_input
from intake.inbox.receive import fail_pending, pending_extracts, receive, waiting
from intake.sources.tables import FileRejected
from overgang.settings import Settings
from pipelines.jobs import MAIN_JOB, SOURCES_JOB, main_job, sources_job

CURSOR = json.dumps({"version": 2})


def _old_cursor(cursor: str | None) -> dict[str, list]:
    """What a cursor of the former input-folder sensor knew: {path: [size, mtime_ns, sha256]} of
    the files it had started runs for ({"years": …, "files": …}); the first cursor,
    {year: digest}, and this sensor's own ({"version": 2}) hold none."""
    seen = json.loads(cursor) if cursor else {}
    return seen.get("files", {}) if isinstance(seen, dict) else {}


@sensor(
    jobs=[main_job, sources_job],
    minimum_interval_seconds=60,
    description="Files new or changed in the input folder (copied, the originals stay) or dropped into the inbox "
    "(moved): recognised by content, filed under processed/ or rejected/ (with a reason file), and loaded: an "
    "extract reloads its year, any other source runs the sources job. A file of the input folder whose size and "
    "modification time are unchanged is not hashed again.",
)
def changed_extracts(context: SensorEvaluationContext, project: ProjectSettings):
    """The one way files come in while the daemon runs. The name is the former input-folder
    sensor's, so its cursor is handed over: the files it had loaded are taken into the inbox
    without hashing them again and start no run."""
    requests = incoming(context, project.settings(), known=_old_cursor(context.cursor))
    if requests:
        return SensorResult(run_requests=requests, cursor=CURSOR)
    if context.cursor not in (None, CURSOR):  # the former sensor's cursor, handed over
        return SensorResult(skip_reason="No new or changed files.", cursor=CURSOR)
    return SkipReason("No new or changed files.")


def incoming(
    context: SensorEvaluationContext,
    settings: Settings,
    known: dict[str, list] | None = None,
    runs_of: dict[str, str] | None = None,
) -> list[RunRequest]:
    """The runs that the files new in `settings`' input folder and inbox ask for, once they are
    taken in. `known`: the files the former sensor had loaded (no run again). `runs_of`: the tags
    that say whose runs are this home's (a tenant's, in a shared deployment), so that a failed run
    is looked up among them only."""
    known = known or {}
    requests = []
    sources, extracts = [], {}
    # Extracts whose run failed: to rejected/ with the reason, the earlier extract stays current,
    # and the year is rebuilt from it (the failed run may have left it half-built).
    for year, sha in _settle_failed_runs(context, settings, runs_of or {}):
        requests.append(
            RunRequest(
                job_name=MAIN_JOB,
                partition_key=str(year),
                run_key=f"restore-{year}-{sha[:16]}",
                tags={"overgang/restore": str(year)},
            )
        )
    outcomes = []
    try:
        # A failed extract is not taken again from the input folder: it would fail at every tick.
        outcomes += import_input(
            settings, retry_failed=False, settle_seconds=settings.pipeline.inbox_settle_seconds, known=known
        )
    except (FileRejected, OSError) as err:
        context.log.error(str(err))
    try:
        candidates = waiting(settings, settings.pipeline.inbox_settle_seconds)
    except OSError as err:
        context.log.error(f"The inbox {settings.inbox_dir} cannot be read: {err}")
        candidates = []
    outcomes += [receive(path, settings) for path in candidates]  # each in its own error boundary
    known_shas = {v[-1] for v in known.values()}
    valid = set(APPLICATION_YEARS.get_partition_keys())
    for outcome in outcomes:
        context.log.info(f"{outcome.file}: {outcome.outcome} ({outcome.message})")
        if outcome.outcome != "accepted":
            continue
        if outcome.kind != "applications":
            sources.append(outcome)
        elif outcome.year is None or str(outcome.year) not in valid:
            context.log.warning(f"Extract for {outcome.year} ignored: no such application year partition.")
        elif outcome.sha256 not in known_shas:  # loaded by the former sensor: no run again
            extracts[outcome.year] = outcome  # one run per year, for the latest of its files
    for year, outcome in sorted(extracts.items()):
        requests.append(
            RunRequest(
                job_name=MAIN_JOB,
                partition_key=str(year),
                run_key=f"{year}-{outcome.sha256[:16]}-{time.time_ns()}",
                tags={"overgang/file": outcome.file, SHA_TAG: outcome.sha256},
            )
        )
    if sources:
        key = hashlib.sha256("".join(o.sha256 for o in sources).encode()).hexdigest()[:16]
        requests.append(
            RunRequest(
                job_name=SOURCES_JOB,
                run_key=f"inbox-sources-{key}-{time.time_ns()}",
                tags={"overgang/file": ", ".join(o.file for o in sources)[:200]},
            )
        )
    return requests


SHA_TAG = "overgang/sha256"
FAILED = (DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED)


def _settle_failed_runs(
    context: SensorEvaluationContext, settings: Settings, runs_of: dict[str, str]
) -> list[tuple[int, str]]:
    """Pending extracts whose run failed move to rejected/ with the reason; returns their years."""
    pending = pending_extracts(settings)
    if not pending:
        return []
    try:
        instance = context.instance
    except Exception:  # a sensor evaluated without an instance (tests): nothing to look up
        return []
    received = {place: row["sha256"] for place, row in ledger.received(settings).items()}
    years = []
    for year, path in pending.items():
        sha = received.get(str(path))
        # Two tenants may receive the same file: only this home's runs say how its file fared.
        runs = instance.get_runs(filters=RunsFilter(tags={SHA_TAG: sha, **runs_of}), limit=1) if sha else []
        if sha and runs and runs[0].status in FAILED:  # runs are looked up by a sha only
            reason = f"run {runs[0].run_id[:8]} {runs[0].status.value.lower()} (its log in the Dagster UI says why)."
            for outcome in fail_pending(settings, [year], reason, {sha}):
                context.log.warning(outcome.message)
                years.append((year, sha))
    return years
