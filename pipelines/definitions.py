"""Dagster definitions: every asset, check, resource and job of Overgang."""

from __future__ import annotations

from dagster import Definitions, load_asset_checks_from_modules, load_assets_from_modules

import assets.applications.assets as applications
import assets.profilmodel.assets as profilmodel
import assets.published.assets as published
import assets.reference.assets as reference
import assets.report.assets as report
import assets.sources.checks as source_checks
import assets.statbank.assets as statbank
import assets.warehouse.assets as warehouse
from overgang.settings import Settings
from pipelines.jobs import MAIN_JOB, main_job, sources_job, statbank_job
from pipelines.loggers import progress
from pipelines.resources import ProjectSettings, WorkDatabase
from pipelines.schedules import spring_applications, statbank_refresh
from pipelines.sensors import changed_extracts, inbox_files

MODULES = [reference, applications, published, profilmodel, statbank, source_checks, warehouse, report]
__all__ = ["MAIN_JOB", "build_definitions", "defs"]


def build_definitions(settings: Settings | None = None) -> Definitions:
    settings = settings or Settings.load()
    settings.work_db.parent.mkdir(parents=True, exist_ok=True)
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


defs = build_definitions()
