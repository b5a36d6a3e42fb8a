"""The shared deployment's sensor and schedules (README "Shared deployment"): what one machine's
do for its home (pipelines/sensors.py, pipelines/schedules.py), done for each tenant of the
tenants file. Every run they ask for carries its tenant's tags and run config (pipelines/shared.py),
as a submitted run does, so the queue's one-run-per-tenant limit and the resources' check that a run
uses only its tenant's home and key (overgang/tenants.py) hold for them too; a run without a tenant
would be refused. The tenants file is read at every tick: a tenant added by one entry is watched
from the next tick, with no code and no reload of the code location."""

from __future__ import annotations

from typing import Any

from dagster import (
    RunRequest,
    ScheduleDefinition,
    ScheduleEvaluationContext,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    schedule,
    sensor,
)

from assets.resources import ProjectSettings
from overgang.paths import ConfigError
from overgang.pipeline_settings import PipelineSettings
from overgang.settings import Settings
from overgang.tenants import TENANT_TAG, Tenant, tenants_from_env
from pipelines.jobs import main_job, sources_job
from pipelines.sensors import incoming
from pipelines.tenant_config import tenant_own_tags, tenant_run_config

NOTHING_TAKEN = "Nothing was taken in and no run was started; the next tick reads the tenants file again."


def tenant_settings(run_config: dict[str, Any]) -> Settings:
    """The settings a run with `run_config` (tenant_run_config) works with: its home, folders, key
    and kommune, made by the resource the run itself makes them with."""
    return ProjectSettings(**run_config["resources"]["project"]["config"]).settings()


def tenant_request(tenant: Tenant, pipeline: PipelineSettings, request: RunRequest) -> RunRequest:
    """One machine's `request`, made `tenant`'s: its run config and tags, a run key of its own."""
    return RunRequest(
        job_name=request.job_name,
        partition_key=request.partition_key,
        run_key=f"{tenant.name}:{request.run_key}" if request.run_key else None,
        # The request's own config (ops, if one machine's sensor ever sets any) kept; the resources
        # are the tenant's alone.
        run_config={**request.run_config, **tenant_run_config(tenant, pipeline)},
        tags={**request.tags, **tenant_own_tags(tenant)},
    )


def _tenants() -> tuple[dict[str, Tenant], PipelineSettings]:
    """The tenants file and the deployment's settings, as the workers read them."""
    return tenants_from_env() or {}, Settings.load(checked=True).pipeline


@sensor(
    name="changed_extracts",
    jobs=[main_job, sources_job],
    minimum_interval_seconds=60,
    description="For each tenant of the tenants file: files new or changed in its input folder or dropped into "
    "its inbox, taken in as on one machine, and a run of that tenant for each (its home, key and tag).",
)
def tenants_changed_extracts(context: SensorEvaluationContext) -> SensorResult | SkipReason:
    try:
        tenants, pipeline = _tenants()
    except ConfigError as err:
        return SkipReason(f"{err} {NOTHING_TAKEN}")
    requests = []
    for tenant in tenants.values():
        settings = tenant_settings(tenant_run_config(tenant, pipeline))
        # Each tenant's files in its own home; its failed runs looked up among its own runs only.
        found = incoming(context, settings, runs_of={TENANT_TAG: tenant.name})
        requests += [tenant_request(tenant, pipeline, r) for r in found]
    if requests:
        return SensorResult(run_requests=requests)
    return SkipReason("No new or changed files in any tenant's input folder or inbox.")


def for_each_tenant(single: ScheduleDefinition) -> ScheduleDefinition:
    """`single` (one machine's schedule) as the shared deployment's: at the same time, the same
    run for each tenant of the tenants file, each with its own home, key and tag."""

    @schedule(
        name=single.name,
        job_name=single.job_name,
        cron_schedule=single.cron_schedule,
        execution_timezone=single.execution_timezone,
        description=f"{single.description} One run per tenant of the tenants file.",
    )
    def each(context: ScheduleEvaluationContext) -> list[RunRequest] | SkipReason:
        try:
            tenants, pipeline = _tenants()
        except ConfigError as err:
            return SkipReason(f"{err} No run was started.")
        asked = single(context)
        if isinstance(asked, SkipReason):
            return asked
        if isinstance(asked, RunRequest):
            asked = [asked]
        # One machine's schedules ask for runs (pipelines/schedules.py). A bare run config, which
        # Dagster also takes, cannot be made a tenant's and would be dropped silently: refused.
        if not isinstance(asked, (list, tuple)) or not all(isinstance(r, RunRequest) for r in asked):
            raise TypeError(f"Schedule {single.name} must return RunRequests to run for each tenant, not {asked!r}.")
        return [tenant_request(t, pipeline, r) for t in tenants.values() for r in asked]

    return each
