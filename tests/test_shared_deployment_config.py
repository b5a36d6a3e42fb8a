"""deploy/shared/ as shipped: the queue limits runs by the tag the code sets (one source for the
name), one run per tenant; the run launcher and the workers use one broker; the example tenants
file is a valid one. That nothing on one machine's path imports the shared deployment's packages
is in tests/test_layers.py (one child imports the definitions for both checks)."""

from __future__ import annotations

import yaml

from overgang.settings import PROJECT_DIR
from overgang.tenants import TENANT_TAG, load_tenants
from pipelines.shared import NATIONAL_TAG

SHARED = PROJECT_DIR / "deploy" / "shared"


def test_the_queue_runs_one_run_per_tenant_by_the_tag_the_runs_carry():
    instance = yaml.safe_load((SHARED / "dagster.yaml").read_text())
    assert instance["run_coordinator"]["class"] == "QueuedRunCoordinator"
    limits = instance["run_coordinator"]["config"]["tag_concurrency_limits"]
    assert limits == [
        {"key": TENANT_TAG, "value": {"applyLimitPerUniqueValue": True}, "limit": 1},
        {"key": NATIONAL_TAG, "limit": 1},
    ]
    # No instance-wide pool limit: it would make every tenant's steps wait for every other's.
    assert "pools" not in (instance.get("concurrency") or {})
    # dagster-postgres's storage, patient with a PostgreSQL away for a while (pipelines/postgres_storage.py).
    storage = instance["storage"]["custom"]
    assert (storage["module"], storage["class"]) == ("pipelines.postgres_storage", "PostgresStorage")
    assert storage["config"]["postgres_url"] == {"env": "OVERGANG_POSTGRES_URL"}


def test_the_launcher_and_the_workers_use_one_broker_and_result_backend():
    launcher = yaml.safe_load((SHARED / "dagster.yaml").read_text())["run_launcher"]["config"]
    workers = yaml.safe_load((SHARED / "celery.yaml").read_text())["execution"]["config"]
    assert launcher["broker"] == workers["broker"] == launcher["backend"] == workers["backend"]


def test_the_example_tenants_file_is_valid():
    tenants = load_tenants(SHARED / "tenants.yaml")
    assert len(tenants) >= 2 and all(t.key.env or t.key.file for t in tenants.values())
