"""The jobs: everything, or the StatBank refresh."""

from __future__ import annotations

from dagster import AssetSelection, define_asset_job

MAIN_JOB = "overgang_main"
STATBANK_JOB = "statbank_refresh"

main_job = define_asset_job(MAIN_JOB, selection=AssetSelection.all(),
                            description="Extracts to warehouse and council report (one or more application years).")
statbank_job = define_asset_job(STATBANK_JOB, selection=AssetSelection.assets("completion_status").downstream(),
                                description="Re-read StatBank tables, republish the warehouse and the report.")
