"""A tenant's run keeps the deployment's small-cell protection: its run config carries the
analyst's settings (small_cell.min_count among them), and the launchpad edits them like the
folders. A run of tenant a with min_count 1 is checked only against the model's bound (>= 1), so
it publishes the tenant's set with every count from 1 up shown. Left open: which floor holds (the
worker's data/config/pipeline.yaml, or a floor in the tenants file) is a decision for the lead."""

from __future__ import annotations

from dataclasses import replace

import pytest

from assets.resources import PipelineConfig, ProjectSettings
from overgang.pipeline_settings import as_dict
from overgang.settings import Settings
from overgang.tenants import TENANT_TAG
from pipelines.shared import tenant_run_config
from tests.test_a_tenant_run_reports_only_its_own_kommuner import _one_step, tenant_a  # noqa: F401


@pytest.mark.xfail(strict=True, reason="no floor for a tenant run's small_cell settings yet (see the module)")
def test_a_tenant_run_with_a_lower_min_count_is_refused(tenant_a):  # noqa: F811
    pipeline = Settings.load(checked=True).pipeline
    own = replace(pipeline, municipality=replace(pipeline.municipality, kommune_code=tenant_a.kommune_code))
    lowered = replace(own, small_cell=replace(own.small_cell, min_count=1))
    config = tenant_run_config(tenant_a, pipeline)["resources"]["project"]["config"]
    resource = ProjectSettings(**{**config, "pipeline": PipelineConfig.model_validate(as_dict(lowered))})
    result = _one_step.execute_in_process(
        resources={"project": resource}, tags={TENANT_TAG: tenant_a.name}, raise_on_error=False
    )
    assert not result.success
