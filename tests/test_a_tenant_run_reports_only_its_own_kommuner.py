"""A run of a tenant reports only on its tenant's kommuner: the kommune of the run's settings
(pipeline.municipality.kommune_code, editable in the launchpad like the folders) was not checked,
so a run of tenant a configured with tenant b's kommune (or submitted without settings, taking the
project file's kommune) wrote b's council report into a's home. It is refused before any step
reads or writes, as another tenant's folder is. Real Dagster runs in this process."""

from __future__ import annotations

from dataclasses import replace

import pytest
import yaml
from dagster import job, op

from assets.resources import PipelineConfig, ProjectSettings
from overgang.pipeline_settings import as_dict
from overgang.settings import Settings
from overgang.tenants import TENANT_TAG, TENANTS_ENV, load_tenants
from pipelines.tenant_config import tenant_run_config


@op(required_resource_keys={"project"})
def _touch(context) -> None:
    """A step that uses the project's settings (every step of the main job does)."""


@job
def _one_step() -> None:
    _touch()


@pytest.fixture
def tenant_a(tmp_path, monkeypatch):
    path = tmp_path / "tenants.yaml"
    entries = [
        {"name": "a", "kommuner": [147, 153], "home": "homes/a", "cpr_key_env": "KEY_A"},
        {"name": "b", "kommuner": [751], "home": "homes/b", "cpr_key_env": "KEY_B"},
    ]
    path.write_text(yaml.safe_dump({"tenants": entries}))
    monkeypatch.setenv(TENANTS_ENV, str(path))
    return load_tenants(path)["a"]


def _run(tenant, kommune: int | None):
    pipeline = Settings.load(checked=True).pipeline
    config = tenant_run_config(tenant, pipeline)["resources"]["project"]["config"]
    if kommune is None:
        config = {**config, "pipeline": None}  # no settings in the run: the worker's file is read
    else:
        settings = replace(pipeline, municipality=replace(pipeline.municipality, kommune_code=kommune))
        config = {**config, "pipeline": PipelineConfig.model_validate(as_dict(settings))}
    resource = ProjectSettings(**config)
    return _one_step.execute_in_process(
        resources={"project": resource}, tags={TENANT_TAG: tenant.name}, raise_on_error=False
    )


def _refusal(result) -> str:
    assert not result.success
    return "\n".join(
        str(e.event_specific_data.error) for e in result.all_events if getattr(e.event_specific_data, "error", None)
    )


def test_a_run_with_another_tenants_kommune_is_refused(tenant_a):
    said = _refusal(_run(tenant_a, 751))
    assert "kommune 751" in said and "tenant a" in said and "Nothing was read or written" in said, said


def test_a_run_without_settings_takes_no_other_kommune(tenant_a):
    file_kommune = Settings.load(checked=True).pipeline.municipality.kommune_code
    assert file_kommune not in tenant_a.kommuner  # data/config/pipeline.yaml's kommune is not a's
    said = _refusal(_run(tenant_a, None))
    assert f"kommune {file_kommune}" in said and "Nothing was read or written" in said, said
    # Its own kommuner, the first or another of its group, are its own.
    assert _run(tenant_a, 147).success and _run(tenant_a, 153).success
