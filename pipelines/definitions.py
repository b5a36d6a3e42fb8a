"""Dagster definitions: every asset, check, resource and job of Overgang."""

from __future__ import annotations

import os

import dagster as dg
from dagster import Definitions, load_asset_checks_from_modules, load_assets_from_modules

import assets.applications.assets as applications
import assets.reference.assets as reference
import assets.report.assets as report
from assets.national.job import national_job
from assets.resources import ProjectSettings, WorkDatabase
from assets.sources.registry import source_assets
from assets.warehouse.assets import publication_set, warehouse_asset
from overgang.pipeline_settings import as_dict
from overgang.settings import Settings
from overgang.tenants import TENANTS_ENV
from pipelines.jobs import MAIN_JOB, main_job, sources_job_for, statbank_job
from pipelines.loggers import progress
from pipelines.schedules import spring_applications, statbank_refresh
from pipelines.sensors import changed_extracts
from pipelines.tenant_automation import for_each_tenant, tenants_changed_extracts
from schemas.sources import SOURCES, Source

# The hand-written assets; the small sources' assets and checks come from the registry.
MODULES = [reference, applications, report]
__all__ = ["MAIN_JOB", "build_definitions", "defs"]


def build_definitions(settings: Settings | None = None, sources: tuple[Source, ...] = SOURCES) -> Definitions:
    """`sources`: the registry (schemas/sources.py); a test passes its own to see what one entry makes."""
    settings = settings or Settings.load(checked=True)
    sources_job = sources_job_for(sources)
    schedules, incoming = [spring_applications, statbank_refresh], changed_extracts
    if os.environ.get(TENANTS_ENV):
        # The shared deployment (deploy/shared/): the same sensor and schedules, one run per tenant.
        # One machine (the variable unset) keeps its own, which watch OVERGANG_HOME.
        schedules, incoming = [for_each_tenant(s) for s in schedules], tenants_changed_extracts
    return Definitions(
        assets=[*load_assets_from_modules(MODULES), *source_assets(sources), warehouse_asset(sources), publication_set],
        asset_checks=load_asset_checks_from_modules(MODULES),
        jobs=[main_job, statbank_job, sources_job, national_job],
        schedules=schedules,
        # The one sensor for incoming files starts the sources job made from this registry (one job of that name).
        sensors=[incoming.with_updated_jobs([main_job, sources_job])],
        loggers={"progress": progress},
        resources={
            "duckdb": WorkDatabase(database=str(settings.work_db), connection_config=as_dict(settings.pipeline.duckdb)),
            "project": ProjectSettings.from_settings(settings),
        },
    )


# Built when Dagster (dagster dev, the daemon, the webserver) loads this module's definitions,
# not when the module is imported: importing it reads no environment and creates no folder.
@dg.definitions
def defs() -> Definitions:
    return build_definitions()
