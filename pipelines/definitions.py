"""Dagster definitions: every asset, check, resource and job of Overgang."""

from __future__ import annotations

import dagster as dg
from dagster import Definitions, load_asset_checks_from_modules, load_assets_from_modules

import assets.applications.assets as applications
import assets.profilmodel.assets as profilmodel
import assets.published.assets as published
import assets.reference.assets as reference
import assets.report.assets as report
import assets.sources.checks as source_checks
import assets.statbank.assets as statbank
import assets.warehouse.assets as warehouse
from assets.resources import ProjectSettings, WorkDatabase
from overgang.settings import Settings
from pipelines.jobs import MAIN_JOB, main_job, sources_job, statbank_job
from pipelines.loggers import progress
from pipelines.schedules import spring_applications, statbank_refresh
from pipelines.sensors import changed_extracts, inbox_files

MODULES = [reference, applications, published, profilmodel, statbank, source_checks, warehouse, report]
__all__ = ["MAIN_JOB", "build_definitions", "defs"]


def build_definitions(settings: Settings | None = None) -> Definitions:
    settings = settings or Settings.load()
    return Definitions(
        assets=load_assets_from_modules(MODULES),
        asset_checks=load_asset_checks_from_modules(MODULES),
        jobs=[main_job, statbank_job, sources_job],
        schedules=[spring_applications, statbank_refresh],
        sensors=[changed_extracts, inbox_files],
        loggers={"progress": progress},
        resources={
            "duckdb": WorkDatabase(database=str(settings.work_db), connection_config=dict(settings.config["duckdb"])),
            "project": ProjectSettings.from_settings(settings),
        },
    )


# Built when Dagster (dagster dev, the daemon, the webserver) loads this module's definitions,
# not when the module is imported: importing it reads no environment and creates no folder.
@dg.definitions
def defs() -> Definitions:
    return build_definitions()
