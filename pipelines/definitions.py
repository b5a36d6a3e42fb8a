"""Dagster definitions: every asset, check, resource and job of Overgang."""

from __future__ import annotations

from dagster import Definitions, define_asset_job, load_asset_checks_from_modules, load_assets_from_modules
from dagster_duckdb import DuckDBResource

import assets.applications.assets as applications
import assets.reference.assets as reference
import assets.statbank.assets as statbank
import assets.report.assets as report
import assets.warehouse.assets as warehouse
from overgang.settings import Settings
from pipelines.loggers import progress
from pipelines.resources import ProjectSettings

MODULES = [reference, applications, statbank, warehouse, report]
MAIN_JOB = "overgang_main"


def build_definitions(settings: Settings | None = None) -> Definitions:
    settings = settings or Settings.load()
    settings.work_db.parent.mkdir(parents=True, exist_ok=True)
    return Definitions(
        assets=load_assets_from_modules(MODULES),
        asset_checks=load_asset_checks_from_modules(MODULES),
        jobs=[define_asset_job(MAIN_JOB, selection="*", description="Extracts to warehouse and council report.")],
        loggers={"progress": progress},
        resources={
            "duckdb": DuckDBResource(database=str(settings.work_db)),
            "project": ProjectSettings.from_settings(settings),
        },
    )


defs = build_definitions()
