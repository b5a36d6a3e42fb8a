"""The national job of a shared deployment: the national publication set and overview from the
tenants' publication sets (combine.py). An op job, not assets: it reads no tenant's warehouse and
writes only the national home, so it is no part of any tenant's asset graph (the main job selects
every asset)."""

# No `from __future__ import annotations`: Dagster reads the op's config class from its annotation.

import csv
from datetime import UTC, datetime
from pathlib import Path

from dagster import Config, OpExecutionContext, in_process_executor, job, op

from assets.national import combine
from overgang.paths import DATA_DIR
from overgang.settings import Settings
from overgang.tenants import TENANTS_ENV, tenants_from_env
from reports.cells import read_scheme_file

NATIONAL_JOB = "national_overview"


class NationalConfig(Config):
    home: str  # the national home: publication/ and reports/ are written here, nowhere else
    tenants: list[str] = []  # the tenants to combine; empty: every tenant of the tenants file


def regions() -> dict[int, str]:
    with (DATA_DIR / "reference" / "kommuner.csv").open(encoding="utf-8", newline="") as f:
        return {int(r["kommune_code"]): r["region"] for r in csv.DictReader(f)}


def build_national(config: NationalConfig, run_id: str | None = None) -> dict:
    """Read the sets, audit them together, write the national set and pages; NationalError (a
    ConfigError) with a plain message otherwise, nothing written."""
    tenants = tenants_from_env()
    if tenants is None:
        raise combine.NationalError(
            f"{TENANTS_ENV} is not set: the national job combines the tenants of a tenants file."
        )
    # Each tenant once, however often named: its cells would otherwise be in the set twice.
    names = list(dict.fromkeys(config.tenants)) or sorted(tenants)
    if unknown := [n for n in names if n not in tenants]:
        raise combine.NationalError(f"No tenant {', '.join(unknown)} in {TENANTS_ENV}. Nothing national was written.")
    home = Path(config.home).expanduser().resolve()
    if owner := next(
        (t.name for t in tenants.values() if home.is_relative_to(t.home) or t.home.is_relative_to(home)), None
    ):
        raise combine.NationalError(
            f"The national home {home} lies in or around tenant {owner}'s home: the national set is kept apart "
            "from every tenant's. Nothing national was written."
        )
    settings = Settings.load(checked=True)
    scheme = read_scheme_file()
    sets = [combine.read_set(tenants[n]) for n in names]
    national = combine.build(sets, tenants, scheme, settings.pipeline.small_cell.min_count)
    # The set's mark names what made it: the Dagster run, or the call outside one.
    mark = run_id or f"national-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S')}"
    return combine.write(national, scheme, home, settings.pipeline.storage_compatibility_version, regions(), mark)


@op(description="The national publication set and overview from the tenants' publication sets alone.")
def national_overview_op(context: OpExecutionContext, config: NationalConfig) -> None:
    written = build_national(config, context.run_id)
    context.log.info(f"National set: {written['cells']} cells of {written['kommuner']} kommuner; {written['pages']}")


@job(
    name=NATIONAL_JOB,
    executor_def=in_process_executor,
    description="National set and overview from the tenants' publication sets (shared deployment).",
)
def national_job() -> None:
    national_overview_op()
