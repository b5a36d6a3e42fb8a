"""What makes a run one tenant's (deploy/shared/tenants.yaml): the run config that points the
Definitions' resources at the tenant's home and key, and the tags the queue limits runs by. Used
by `python -m pipelines.shared submit` and by the sensors and schedules of the shared deployment
(pipelines/tenant_automation.py), which the Definitions import: so this module imports neither
pipelines.shared (the submitting command and its packages) nor pipelines.run."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from overgang.pipeline_settings import PipelineSettings, as_dict
from overgang.tenants import TENANT_TAG, Tenant

RETRY_STRATEGY_TAG = "dagster/retry_strategy"  # dagster._core.storage.tags.RETRY_STRATEGY_TAG


def tenant_run_config(tenant: Tenant, pipeline: PipelineSettings) -> dict[str, Any]:
    """The run config that points the Definitions' resources at `tenant`'s home and key, with the
    analyst's settings (`pipeline`, data/config/pipeline.yaml checked) for its kommune."""
    config = as_dict(replace(pipeline, municipality=replace(pipeline.municipality, kommune_code=tenant.kommune_code)))
    return {
        "resources": {
            "project": {
                "config": {
                    "home": str(tenant.home),
                    "input_dir": str(tenant.input_dir),
                    "inbox_dir": str(tenant.inbox_dir),
                    "pipeline": config,
                    "cpr_key_env": tenant.key.env or "",
                    "cpr_key_file": tenant.key.file or "",
                }
            },
            "duckdb": {"config": {"database": str(tenant.work_db)}},
        }
    }


def tenant_own_tags(tenant: Tenant) -> dict[str, str]:
    """What makes any run `tenant`'s (a submitted one, a sensor's, a schedule's): its tenant, and all
    steps anew on retry (tenant_tags says why)."""
    return {TENANT_TAG: tenant.name, RETRY_STRATEGY_TAG: "ALL_STEPS"}
