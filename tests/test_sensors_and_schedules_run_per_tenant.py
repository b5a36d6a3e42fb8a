"""In a shared deployment (OVERGANG_TENANTS set) the sensor and the schedules of the Definitions ask
for one run per tenant of the tenants file, each carrying that tenant's tag, home, working database,
key and kommune only, so the queue's per-tenant limit and the resources' tenant check hold for
them (a run without a tenant is refused there). A tenant with nothing new gets no run; a failed run
of one tenant is not taken for another's that received the same file; a bad tenants file is told
plainly. Without the variable one machine's sensor and schedules are as before. The functions are
evaluated as the daemon would, without servers."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from dagster import (
    DagsterInstance,
    DagsterRunStatus,
    RunRequest,
    SkipReason,
    build_schedule_context,
    build_sensor_context,
    validate_run_config,
)
from dagster._core.storage.dagster_run import DagsterRun

from overgang.tenants import TENANT_TAG, TENANTS_ENV, KeySource, load_tenants, refusal
from pipelines.definitions import build_definitions
from pipelines.sensors import SHA_TAG
from tests.cli import settled
from tests.corpus import many
from tests.extracts import write_extract

TENANTS = {"hoeje-taastrup": 169, "aarhus": 751, "odense": 461}


@pytest.fixture
def tenants_file(tmp_path, monkeypatch) -> Path:
    """Three tenants (two keys by variable, one by file); one machine's home and input folder
    empty and apart, so anything a run of one machine would take is not there."""
    keys = tmp_path / "secrets"
    keys.mkdir()
    (keys / "odense.key").write_text("odense-key-".ljust(64, "k"))
    entries = [
        {"name": name, "kommuner": [code], "home": str(tmp_path / "tenants" / name)}
        | ({"cpr_key_file": str(keys / "odense.key")} if name == "odense" else {"cpr_key_env": f"KEY_{code}"})
        for name, code in TENANTS.items()
    ]
    path = tmp_path / "tenants.yaml"
    path.write_text(yaml.safe_dump({"tenants": entries}))
    (tmp_path / "machine-input").mkdir()
    monkeypatch.setenv("OVERGANG_HOME", str(tmp_path / "machine"))
    monkeypatch.setenv("OVERGANG_INPUT_DIR", str(tmp_path / "machine-input"))
    monkeypatch.setenv(TENANTS_ENV, str(path))
    return path


def _extract(folder: Path, code: int, start: int = 0) -> Path:
    rows = many(12, start=start, **{"Skolens kommunenr": str(code), "Bopælskommunenr": str(code)})
    return settled(write_extract(folder / "optagelse_2024.csv", rows))


def _is_own(request: RunRequest, tenants_file: Path) -> str:
    """The tenant `request` belongs to, after checking it carries that tenant's folders, database,
    key and kommune, and names no other tenant's home anywhere."""
    tenants = load_tenants(tenants_file)
    name = request.tags[TENANT_TAG]
    project = request.run_config["resources"]["project"]["config"]
    own = tenants[name]
    assert Path(project["home"]) == own.home
    assert Path(request.run_config["resources"]["duckdb"]["config"]["database"]) == own.work_db
    key = KeySource(env=project["cpr_key_env"] or None, file=project["cpr_key_file"] or None)
    assert key == own.key
    paths = {"home": project["home"], "input folder": project["input_dir"], "inbox": project["inbox_dir"]}
    kommune = project["pipeline"]["municipality"]["kommune_code"]
    # What the run's resources ask before any step: nothing to refuse.
    assert refusal(dict(request.tags), paths=paths, key=key, kommune=kommune) is None
    text = repr(request)
    assert not [t.name for t in tenants.values() if t.name != name and str(t.home) in text], request
    return name


def _tick(defs, instance=None):
    """One tick of the definitions' sensor, with the definitions' own resources."""
    context = build_sensor_context(
        instance=instance, definitions=defs, resources={"project": defs.resources["project"]}
    )
    return defs.resolve_sensor_def("changed_extracts")(context)


def _requests(result) -> list[RunRequest]:
    return [] if isinstance(result, SkipReason) else list(result.run_requests or [])


def test_the_sensor_asks_one_run_per_tenant_with_new_files_each_with_only_its_own_home_and_key(tenants_file):
    tenants = load_tenants(tenants_file)
    _extract(tenants["hoeje-taastrup"].input_dir, 169)  # the input folder: copied in
    _extract(tenants["aarhus"].inbox_dir, 751, start=100)  # the inbox: moved in
    defs = build_definitions()

    asked = _requests(_tick(defs))
    by_tenant = {_is_own(r, tenants_file): r for r in asked}
    assert sorted(by_tenant) == ["aarhus", "hoeje-taastrup"], "odense has nothing new and gets no run"
    assert len(asked) == 2
    for name, request in by_tenant.items():
        assert request.partition_key == "2024"
        assert request.tags["overgang/file"].endswith("optagelse_2024.csv")
        validate_run_config(defs.resolve_job_def(request.job_name), request.run_config)
        assert (
            request.run_config["resources"]["project"]["config"]["pipeline"]["municipality"]["kommune_code"]
            == (TENANTS[name])
        )
    # Each file was taken into its own tenant's home, none into one machine's.
    assert not (tenants_file.parent / "machine").exists() or not any((tenants_file.parent / "machine").rglob("*.csv"))
    # Nothing new anywhere: no run for anyone.
    assert isinstance(_tick(defs), SkipReason)


def test_a_failed_run_of_one_tenant_does_not_reject_another_tenants_copy_of_the_same_file(tenants_file):
    tenants = load_tenants(tenants_file)
    # The same bytes to two tenants (a region sends one extract of two kommuner to both).
    for name in ("aarhus", "odense"):
        _extract(tenants[name].inbox_dir, 751)
    defs = build_definitions()
    instance = DagsterInstance.ephemeral()
    first = _requests(_tick(defs, instance))
    assert sorted(r.tags[TENANT_TAG] for r in first) == ["aarhus", "odense"]
    sha = first[0].tags[SHA_TAG]
    assert {r.tags[SHA_TAG] for r in first} == {sha}
    failed = next(r for r in first if r.tags[TENANT_TAG] == "aarhus")
    instance.add_run(
        DagsterRun(job_name=failed.job_name, run_id="f" * 32, status=DagsterRunStatus.FAILURE, tags=failed.tags)
    )

    second = _requests(_tick(defs, instance))
    # Aarhus's extract is rejected and its year restored from the last good one; odense's copy,
    # whose run has not failed, stays pending with no run asked.
    assert [(r.tags[TENANT_TAG], r.tags.get("overgang/restore")) for r in second] == [("aarhus", "2024")]
    assert not list((tenants["odense"].home).rglob("rejected/*.csv"))
    assert list((tenants["aarhus"].home).rglob("rejected/*.csv"))


def _schedule_tick(name: str, when: datetime) -> list[RunRequest]:
    defs = build_definitions()
    context = build_schedule_context(
        scheduled_execution_time=when.replace(tzinfo=ZoneInfo("Europe/Copenhagen")),
        repository_def=defs.get_repository_def(),
    )
    return defs.resolve_schedule_def(name).evaluate_tick(context).run_requests or []


@pytest.mark.parametrize(
    ("name", "when"),
    [("spring_applications", datetime(2025, 3, 20, 6)), ("statbank_refresh", datetime(2025, 4, 2, 7))],
)
def test_every_schedule_asks_one_run_per_tenant_and_one_machines_stays_one_run(tenants_file, monkeypatch, name, when):
    requests = _schedule_tick(name, when)
    assert sorted(_is_own(r, tenants_file) for r in requests) == sorted(TENANTS)
    assert len({r.run_key for r in requests}) == len(TENANTS), "one tenant's run would stand for another's"

    monkeypatch.delenv(TENANTS_ENV)
    (single,) = _schedule_tick(name, when)
    assert TENANT_TAG not in single.tags and not single.run_config


@pytest.mark.parametrize(
    ("text", "said"),
    [("tenants: []\n", "has no list 'tenants:'"), ("tenants: [{name: x, kommuner: [1]}]", "no such kommune code")],
)
def test_a_bad_tenants_file_is_told_plainly_and_nothing_is_taken_in(tenants_file, text, said):
    tenants = load_tenants(tenants_file)
    extract = _extract(tenants["aarhus"].inbox_dir, 751)
    defs = build_definitions()
    tenants_file.write_text(text)
    result = _tick(defs)
    assert isinstance(result, SkipReason), result
    assert str(tenants_file) in result.skip_message and said in result.skip_message
    assert "Nothing was taken in" in result.skip_message and "Traceback" not in result.skip_message
    assert extract.exists(), "a file was taken in though the tenants file could not be read"


def test_a_requests_own_config_is_kept_and_its_resources_are_the_tenants(tenants_file):
    from overgang.settings import Settings
    from pipelines.tenant_automation import tenant_request

    tenant = load_tenants(tenants_file)["aarhus"]
    pipeline = Settings.load(checked=True).pipeline
    asked = RunRequest(
        run_key="k",
        run_config={"ops": {"x": {"config": {"n": 1}}}, "resources": {"project": {"config": {"home": "/elsewhere"}}}},
    )
    made = tenant_request(tenant, pipeline, asked)
    assert made.run_config["ops"] == {"x": {"config": {"n": 1}}}
    assert made.run_config["resources"]["project"]["config"]["home"] == str(tenant.home)
    assert made.tags[TENANT_TAG] == "aarhus" and made.run_key == "aarhus:k"
