"""The shared deployment (deploy/shared/, issue 32) with real servers: PostgreSQL for Dagster's
storage, Redis as Celery's broker, a dagster-daemon and two Celery workers, all started here
(tests/shared_deployment.py). Three tenants' springs submitted at once are all published; each
warehouse holds only its own tenant's rows, pseudonymised with its own key; the run history is in
PostgreSQL; one tenant's runs run one at a time while tenants run side by side; a run configured
with another tenant's home is refused in a plain message and writes nothing there."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import psycopg2
import pytest
import yaml

from overgang.pseudonymise import key_fingerprint
from overgang.settings import PROJECT_DIR
from overgang.tenants import TENANT_TAG
from tests.cli import settled
from tests.corpus import many
from tests.extracts import write_extract
from tests.shared_deployment import Deployment, Servers, deployment, servers

pytestmark = [pytest.mark.integration, pytest.mark.shared]

# Three tenants: kommune code, first CPR row, and how the worker gets its key.
TENANTS = {
    "hoeje-taastrup": (169, 0, "env"),
    "aarhus": (751, 200, "env"),
    "odense": (461, 400, "file"),
}
PUPILS = 30
KEYS = {name: f"{name}-tenant-key-not-secret-".ljust(64, "k") for name in TENANTS}


def _rows(name: str) -> list[dict]:
    code, start, _ = TENANTS[name]
    return many(PUPILS, start=start, **{"Skolens kommunenr": str(code), "Bopælskommunenr": str(code)})


def _pseudonym(key: str, cpr: str) -> int:
    """The pupil_id of a CPR number, computed here from RFC 2104 (HMAC-SHA256), not with Overgang's SQL."""
    digest = hmac.new(key.encode(), cpr.replace("-", "").encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big")


@pytest.fixture(scope="module")
def box() -> Servers:
    with servers() as running:
        yield running


@pytest.fixture(scope="module")
def shared(box, tmp_path_factory) -> Deployment:
    folder = tmp_path_factory.mktemp("shared")
    keys_dir = folder / "secrets"
    keys_dir.mkdir()
    entries, env = [], {}
    for name, (code, _, how) in TENANTS.items():
        home = folder / "tenants" / name
        write_extract(home / "extracts" / "optagelse_2024.csv", _rows(name))
        settled(home / "extracts" / "optagelse_2024.csv")
        entry = {"name": name, "kommuner": [code], "home": str(home)}
        if how == "env":
            entry["cpr_key_env"] = f"OVERGANG_CPR_KEY_{name.upper().replace('-', '_')}"
            env[entry["cpr_key_env"]] = KEYS[name]
        else:
            key_file = keys_dir / f"{name}.key"
            key_file.write_text(KEYS[name])
            key_file.chmod(0o600)
            entry["cpr_key_file"] = str(key_file)
        entries.append(entry)
    tenants_file = folder / "tenants.yaml"
    tenants_file.write_text(yaml.safe_dump({"tenants": entries}))
    with deployment(box, folder, tenants_file, **env) as dep:
        dep.tenants = {e["name"]: e for e in entries}
        yield dep


def _runs(box: Servers) -> dict[str, dict]:
    """The run history as PostgreSQL holds it: status and tags of every run."""
    with psycopg2.connect(box.postgres_url) as con, con.cursor() as cur:
        cur.execute("SELECT run_id, status, create_timestamp, update_timestamp FROM runs")
        runs = {r[0]: {"status": r[1], "tags": {}} for r in cur.fetchall()}
        cur.execute("SELECT run_id, key, value FROM run_tags")
        for run_id, key, value in cur.fetchall():
            if run_id in runs:
                runs[run_id]["tags"][key] = value
    return runs


def _events(box: Servers, run_id: str, kind: str | None = None) -> list[tuple[float, str]]:
    """The run's events of type `kind` (Dagster's stored names: PIPELINE_START, ...), or all of them."""
    with psycopg2.connect(box.postgres_url) as con, con.cursor() as cur:
        cur.execute(
            "SELECT extract(epoch FROM timestamp), event FROM event_logs WHERE run_id = %s "
            "AND (%s IS NULL OR dagster_event_type = %s)",
            (run_id, kind, kind),
        )
        return [(float(t), e) for t, e in cur.fetchall()]


def _wait_for(box: Servers, run_ids: list[str], dep: Deployment, timeout: float = 150) -> dict[str, dict]:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        runs = _runs(box)
        if all(runs.get(r, {}).get("status") in {"SUCCESS", "FAILURE", "CANCELED"} for r in run_ids):
            return runs
        time.sleep(0.2)
    raise AssertionError(
        f"runs not finished in {timeout} s: {[(r, _runs(box).get(r, {}).get('status')) for r in run_ids]}\n"
        + "\n".join(f"--- {n}\n{dep.log(n)[-3000:]}" for n in ("daemon", "w1", "w2"))
    )


@pytest.fixture(scope="module")
def springs(shared, box) -> dict[str, str]:
    """The three tenants' springs, submitted at once, with a second run of the first tenant right
    after its first (without the tag limit both would start at once on the two workers); run id by
    tenant, the second run under AGAIN."""
    first, *others = TENANTS
    run_ids = shared.submit(first, first, *others)
    runs = _wait_for(box, run_ids, shared)
    failed = [r for r in run_ids if runs[r]["status"] != "SUCCESS"]
    assert not failed, (failed, "\n".join(f"--- {n}\n{shared.log(n)[-4000:]}" for n in ("daemon", "w1", "w2")))
    return {first: run_ids[0], AGAIN: run_ids[1], **dict(zip(others, run_ids[2:]))}


AGAIN = "again"


def test_every_tenant_is_published_and_its_run_history_is_in_postgres(springs, box):
    runs = _runs(box)
    for name, run_id in springs.items():
        assert runs[run_id]["status"] == "SUCCESS"
        assert runs[run_id]["tags"][TENANT_TAG] == (next(iter(TENANTS)) if name == AGAIN else name)
        # The run ran on a Celery worker (the launcher's task id), not in the daemon.
        assert runs[run_id]["tags"].get("dagster-celery/task_id")
        assert _events(box, run_id, "ASSET_MATERIALIZATION"), "no materialisation stored in PostgreSQL"


def test_each_warehouse_holds_only_its_tenant_rows_pseudonymised_with_its_own_key(springs, shared):
    for name, entry in shared.tenants.items():
        warehouse = Path(entry["home"]) / "warehouse" / "overgang.duckdb"
        with duckdb.connect(str(warehouse), read_only=True) as con:
            ids = {r[0] for r in con.execute("SELECT DISTINCT pupil_id FROM applications").fetchall()}
            codes = set(con.execute("SELECT DISTINCT school_kommune, residence_kommune FROM applications").fetchall())
        # The working database records which key pseudonymised each year, by fingerprint.
        with duckdb.connect(str(Path(entry["home"]) / "work" / "overgang.duckdb"), read_only=True) as con:
            fingerprints = {r[0] for r in con.execute("SELECT DISTINCT key_fingerprint FROM year_keys").fetchall()}
        own = {_pseudonym(KEYS[name], r["CPR"]) for r in _rows(name)}
        assert ids == own, f"{name}: pupils not pseudonymised with its own key, or rows of another tenant"
        assert codes == {(TENANTS[name][0], TENANTS[name][0])}
        assert fingerprints == {key_fingerprint(KEYS[name].encode())}
        for other in TENANTS:
            if other != name:
                assert not ids & {_pseudonym(KEYS[other], r["CPR"]) for r in _rows(other)}


def _span(box: Servers, run_id: str) -> tuple[float, float]:
    return (
        min(t for t, _ in _events(box, run_id, "PIPELINE_START")),
        max(t for t, _ in _events(box, run_id, "PIPELINE_SUCCESS")),
    )


def test_the_national_set_through_the_deployment_equals_one_built_by_hand_from_the_three_sets(
    springs, shared, box, tmp_path
):
    """The national job, queued like a spring and run by a worker, with every tenant's warehouse and
    working database moved out of reach for the duration: it can only have read publication sets."""
    homes = {name: Path(entry["home"]) for name, entry in shared.tenants.items()}
    hidden = [(home / part, home / (part + ".away")) for home in homes.values() for part in ("warehouse", "work")]
    for there, away in hidden:
        there.rename(away)
    try:
        (run_id,) = shared.queue("national", "--home", str(tmp_path / "national"))
        runs = _wait_for(box, [run_id], shared)
    finally:
        for there, away in hidden:
            away.rename(there)
    assert runs[run_id]["status"] == "SUCCESS", shared.log("w1")[-3000:] + shared.log("w2")[-3000:]
    assert runs[run_id]["tags"].get("overgang/national") == "national"
    published = tmp_path / "national" / "publication" / "parquet"
    for view in ("soegetal", "soegetal_split"):
        by_hand = " UNION ALL ".join(
            f"SELECT * FROM read_parquet('{homes[name] / 'publication' / 'parquet' / (view + '.parquet')}') "
            f"WHERE kommune_code = {TENANTS[name][0]}"
            for name in TENANTS
        )
        with duckdb.connect() as con:
            missing, extra = (
                con.execute(f"SELECT count(*) FROM (({a}) EXCEPT ALL ({b}))").fetchall()[0][0]
                for a, b in (
                    (by_hand, f"FROM read_parquet('{published / (view + '.parquet')}')"),
                    (f"FROM read_parquet('{published / (view + '.parquet')}')", by_hand),
                )
            )
            total = con.execute(f"SELECT count(*) FROM ({by_hand})").fetchall()[0][0]
        assert (missing, extra) == (0, 0), (view, missing, extra)
        assert view == "soegetal_split" or total > 0
    page = tmp_path / "national" / "reports" / "landsoversigt_2024.html"
    assert all(str(TENANTS[name][0]) in page.read_text(encoding="utf-8") for name in TENANTS)


def test_tenants_run_side_by_side_and_one_tenants_runs_one_at_a_time(springs, box):
    """Two workers: at least two tenants' runs were running at the same moment; the first tenant's
    two runs, queued at once, never were."""
    spans = [_span(box, springs[name]) for name in TENANTS]
    overlapping = any(a[0] < b[1] and b[0] < a[1] for i, a in enumerate(spans) for b in spans[i + 1 :])
    assert overlapping, spans
    first, again = _span(box, springs[next(iter(TENANTS))]), _span(box, springs[AGAIN])
    assert first[1] <= again[0] or again[1] <= first[0], (first, again)


# Runs of tenant aarhus configured by hand with what is not aarhus's: odense's folders, the
# working database of odense, hoeje-taastrup's key. Submitted through the same queue as any run.
CROSSED = """
from overgang.settings import Settings
from overgang.tenants import tenants_from_env
from pipelines.shared import submit_runs, tenant_run_config, tenant_tags

tenants = tenants_from_env()
config = Settings.load(checked=True).pipeline
foreign_home = tenant_run_config(tenants["odense"], config)
foreign_database = tenant_run_config(tenants["aarhus"], config)
foreign_database["resources"]["duckdb"]["config"]["database"] = str(tenants["odense"].work_db)
foreign_key = tenant_run_config(tenants["aarhus"], config)
foreign_key["resources"]["project"]["config"]["cpr_key_env"] = "OVERGANG_CPR_KEY_HOEJE_TAASTRUP"
tags = tenant_tags(tenants["aarhus"])
for run_id in submit_runs([(foreign_home, tags), (foreign_database, tags), (foreign_key, tags)]):
    print(run_id)
"""


def _files(home: Path) -> dict[str, tuple[int, int]]:
    return {str(p): (p.stat().st_mtime_ns, p.stat().st_size) for p in home.rglob("*") if p.is_file()}


def test_a_run_configured_with_another_tenants_home_or_key_is_refused_and_writes_nothing(springs, shared, box):
    homes = [Path(shared.tenants[n]["home"]) for n in ("odense", "aarhus")]
    before = [_files(h) for h in homes]
    done = subprocess.run(
        [sys.executable, "-c", CROSSED], env=shared.env, cwd=PROJECT_DIR, capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0, done.stderr
    run_ids = re.findall(r"^[0-9a-f]{8}-[0-9a-f-]{27}$", done.stdout, re.MULTILINE)
    assert len(run_ids) == 3, done.stdout
    runs = _wait_for(box, run_ids, shared)
    said = {}
    for run_id in run_ids:
        assert runs[run_id]["status"] == "FAILURE"
        said[run_id] = " ".join(e for _, e in _events(box, run_id))
        assert "Nothing was read or written" in said[run_id], said[run_id][:2000]
        assert "Traceback" not in said[run_id].split("Nothing was read or written")[0][-400:]
    home_run, database_run, key_run = run_ids
    assert "tenant odense's home" in said[home_run]
    assert "working database" in said[database_run] and "tenant odense's home" in said[database_run]
    assert "OVERGANG_CPR_KEY_HOEJE_TAASTRUP" in said[key_run] and "not its own" in said[key_run]
    assert [_files(h) for h in homes] == before, "a refused run wrote into a tenant's home"


def _step_pid(box: Servers, run_id: str, step: str, timeout: float = 180) -> int:
    """The process that runs `step` of the run, once the step has started."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        with psycopg2.connect(box.postgres_url) as con, con.cursor() as cur:
            cur.execute(
                "SELECT event FROM event_logs WHERE run_id = %s AND dagster_event_type = 'STEP_START' AND step_key = %s",
                (run_id, step),
            )
            row = cur.fetchone()
        if row:
            return int(re.search(r'"pid": (\d+)', row[0]).group(1))
        time.sleep(0.1)
    raise AssertionError(f"step {step} of run {run_id} did not start in {timeout} s")


def _retry_of(box: Servers, run_id: str, dep: Deployment, timeout: float = 120) -> str:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        retries = [r for r, v in _runs(box).items() if v["tags"].get("dagster/parent_run_id") == run_id]
        if retries:
            return retries[0]
        time.sleep(0.2)
    raise AssertionError(
        f"run {run_id} was not tried again in {timeout} s: {_runs(box).get(run_id)}\n"
        + "\n".join(f"--- {n}\n{dep.log(n)[-4000:]}" for n in ("daemon", "w1", "w2"))
    )


def _published(home: Path) -> tuple[str, set[int]]:
    """The published warehouse's bytes (a digest) and its pupils, opened as a reader would."""
    warehouse = home / "warehouse" / "overgang.duckdb"
    digest = hashlib.sha256(warehouse.read_bytes()).hexdigest()
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return digest, {r[0] for r in con.execute("SELECT DISTINCT pupil_id FROM applications").fetchall()}


def _plain_failure(box: Servers, run_id: str) -> str:
    """What a failed run says of itself, as the UI and `dagster run` show it: its failure event's
    message, plain (no traceback, no stack frames), naming the step that failed. The event's record
    also carries Dagster's copy of that step's failure (`first_step_failure_event`, with the
    database error and its stack, shown with the step); that part is not the run's message."""
    (record,) = [json.loads(e) for _, e in _events(box, run_id, "PIPELINE_FAILURE")]
    said = " ".join(m for m in (record.get("user_message"), record["dagster_event"].get("message")) if m)
    assert said and "Traceback" not in said and 'File "' not in said, said[:3000]
    assert record.get("error_info") is None, record["error_info"]
    assert "Steps failed" in said, said[:3000]
    return said


def test_a_worker_killed_the_broker_restarted_and_postgres_down_leave_no_half_written_warehouse(springs, shared, box):
    """The run of one tenant (a new spring: more pupils) loses its worker process with SIGKILL in the
    middle of `applications`; the published warehouse stays the last one, whole. The run is marked
    failed and tried again; during that retry the broker is restarted and PostgreSQL (the run
    history every process writes) is stopped (fast shutdown) for longer than dagster-postgres's own
    retries and started again. The retry publishes the new spring, or fails with a plain message;
    either way the published warehouse is never half-written and the next run publishes."""
    name = "odense"
    home = Path(shared.tenants[name]["home"])
    before = _published(home)
    code, start, _ = TENANTS[name]
    more = many(PUPILS + 12, start=start, **{"Skolens kommunenr": str(code), "Bopælskommunenr": str(code)})
    new = {_pseudonym(KEYS[name], r["CPR"]) for r in more}
    settled(write_extract(home / "extracts" / "optagelse_2024.csv", more))
    (run_id,) = shared.submit(name)
    os.kill(_step_pid(box, run_id, "applications"), signal.SIGKILL)
    assert _published(home) == before, "the published warehouse changed while its run was killed"
    assert _wait_for(box, [run_id], shared)[run_id]["status"] == "FAILURE"
    assert _published(home) == before

    retry = _retry_of(box, run_id, shared)
    _step_pid(box, retry, "applications")
    # PostgreSQL first, the moment the step has started: the run cannot end without writing its
    # remaining events, so the outage falls within it however fast the machine (a Redis restart
    # first let an idle machine finish the run before PostgreSQL went). Redis is restarted during
    # the outage.
    box.stop_postgres()
    down, stopped_at = time.monotonic(), time.time()
    box.restart_redis()
    # Read as an analyst would while the history is gone: the last warehouse or the new one, whole.
    while time.monotonic() - down < POSTGRES_DOWN:
        digest, pupils = _published(home)
        assert digest == before[0] or pupils == new, "a half-written warehouse was published"
        time.sleep(0.2)
    box.start_postgres()
    runs = _wait_for(box, [retry], shared)
    # The outage fell within the run: it ended (as its worker stored it) after PostgreSQL was back.
    ended = max(t for t, _ in _events(box, retry))
    assert ended > stopped_at + POSTGRES_DOWN, (ended, stopped_at)
    if runs[retry]["status"] != "SUCCESS":
        _plain_failure(box, retry)
        digest, pupils = _published(home)
        assert digest == before[0] or pupils == new, "a failed run left a half-written warehouse"
        (retry,) = shared.submit(name)
        runs = _wait_for(box, [retry], shared)
    assert runs[retry]["status"] == "SUCCESS", "\n".join(
        f"--- {n}\n{shared.log(n)[-3000:]}" for n in ("daemon", "w1", "w2")
    )
    assert _published(home)[1] == new
    # The killed run and its retry never ran at once (the retry waited for the slot of its tenant).
    killed_end = max(t for t, _ in _events(box, run_id, "PIPELINE_FAILURE"))
    assert killed_end <= min(t for t, _ in _events(box, retry, "PIPELINE_START"))


# Seconds PostgreSQL is away, besides its own shutdown and start (a restart for a patch, a
# failover): longer than dagster-postgres's own retries (five, with backoff: 12.4 s at most, after
# which a run fails with a DagsterPostgresException traceback), far within the deployment's
# patience (pipelines/postgres_storage.py).
POSTGRES_DOWN = 14
