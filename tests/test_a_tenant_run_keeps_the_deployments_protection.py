"""A tenant's run keeps the deployment's small-cell protection: its run config carries the
analyst's settings (small_cell.min_count among them), and the launchpad edits them like the
folders. A run of tenant a with min_count 1 is checked only against the model's bound (>= 1), so
it would publish the tenant's set with every count from 1 up shown. The floor is the deployment's
own data/config/pipeline.yaml on the workers (assets/resources.py: weaker_protection); a tenant may
protect more, never less."""

from __future__ import annotations

from dataclasses import replace

import pytest

from assets.resources import PipelineConfig, ProjectSettings
from overgang.pipeline_settings import as_dict
from overgang.settings import Settings
from overgang.tenants import TENANT_TAG
from pipelines.tenant_config import tenant_run_config
from tests.test_a_tenant_run_reports_only_its_own_kommuner import _one_step, tenant_a  # noqa: F401


@pytest.mark.parametrize("field", ["min_count", "min_denominator"])
def test_a_tenant_run_with_less_small_cell_protection_is_refused(tenant_a, field):  # noqa: F811
    pipeline = Settings.load(checked=True).pipeline
    own = replace(pipeline, municipality=replace(pipeline.municipality, kommune_code=tenant_a.kommune_code))
    lowered = replace(own, small_cell=replace(own.small_cell, **{field: 1}))
    config = tenant_run_config(tenant_a, pipeline)["resources"]["project"]["config"]
    resource = ProjectSettings(**{**config, "pipeline": PipelineConfig.model_validate(as_dict(lowered))})
    result = _one_step.execute_in_process(
        resources={"project": resource}, tags={TENANT_TAG: tenant_a.name}, raise_on_error=False
    )
    assert not result.success
    message = str(result.all_events)
    assert f"small_cell {field} 1" in message and "Nothing was read or written" in message


def test_a_tenant_run_with_more_protection_runs(tenant_a):  # noqa: F811
    pipeline = Settings.load(checked=True).pipeline
    own = replace(pipeline, municipality=replace(pipeline.municipality, kommune_code=tenant_a.kommune_code))
    stricter = replace(own, small_cell=replace(own.small_cell, min_count=own.small_cell.min_count + 2))
    config = tenant_run_config(tenant_a, pipeline)["resources"]["project"]["config"]
    resource = ProjectSettings(**{**config, "pipeline": PipelineConfig.model_validate(as_dict(stricter))})
    result = _one_step.execute_in_process(
        resources={"project": resource}, tags={TENANT_TAG: tenant_a.name}, raise_on_error=False
    )
    assert result.success
