"""Dagster's run history through pipelines/storage.py (dagster.yaml `storage: custom:`): the same
files as Dagster's own SQLite storage, readable both ways, at Dagster's migration head, and whole
after two runs at once and a run killed mid-write."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import yaml
from dagster import DagsterEventType, DagsterInstance, DagsterRunStatus, instance_for_test, job, op
from dagster._core.storage.event_log.sqlite import sqlite_event_log
from dagster._core.storage.runs.sqlite import sqlite_run_storage
from dagster._core.storage.schedules.sqlite import sqlite_schedule_storage
from dagster._core.storage.sql import check_alembic_revision, get_alembic_config
from sqlalchemy import create_engine

from overgang.settings import PROJECT_DIR
from pipelines import storage

pytestmark = pytest.mark.integration


def product_storage() -> dict:
    return yaml.safe_load((PROJECT_DIR / "dagster.yaml").read_text())["storage"]


@op
def counted(context) -> int:
    context.log.info("one step")
    return 1


@job
def small_job():
    counted()


def _instance(folder: Path, ours: bool):
    folder.mkdir(parents=True, exist_ok=True)
    return instance_for_test(temp_dir=str(folder), overrides={"storage": product_storage()} if ours else {})


def _shards(folder: Path) -> list[Path]:
    return sorted((folder / "history" / "runs").glob("*.db"))


def test_the_product_uses_this_storage(tmp_path):
    with _instance(tmp_path, ours=True) as instance:
        assert isinstance(instance.event_log_storage, storage.EventLogStorage)
        assert isinstance(instance.run_storage, storage.RunStorage)
        assert isinstance(instance.schedule_storage, storage.ScheduleStorage)


def test_history_is_readable_by_either_storage(tmp_path):
    with _instance(tmp_path, ours=False) as instance:
        first = small_job.execute_in_process(instance=instance).run_id
    with _instance(tmp_path, ours=True) as instance:
        assert instance.get_run_by_id(first).status == DagsterRunStatus.SUCCESS
        assert any("one step" in (e.user_message or "") for e in instance.all_logs(first))
        second = small_job.execute_in_process(instance=instance).run_id
    with _instance(tmp_path, ours=False) as instance:
        runs = {r.run_id: r.status for r in instance.get_runs()}
        assert runs == {first: DagsterRunStatus.SUCCESS, second: DagsterRunStatus.SUCCESS}
        logs = instance.all_logs(second)
        assert any("one step" in (e.user_message or "") for e in logs)
        assert [e.dagster_event.event_type for e in logs if e.dagster_event][-1] == DagsterEventType.RUN_SUCCESS


def _schema(path: Path) -> set[tuple[str, str]]:
    with sqlite3.connect(path) as con:
        return set(con.execute("SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"))


@pytest.mark.parametrize("module", [sqlite_event_log, sqlite_run_storage, sqlite_schedule_storage])
def test_the_pinned_migration_head_is_alembics(module):
    import dagster

    assert storage.PINNED_HEAD == (dagster.__version__, storage.alembic_head(module.__file__)), (
        "Dagster was upgraded: set pipelines/storage.py PINNED_HEAD to the new version and its storages' head"
    )


def _files_of_a_home(folder: Path) -> dict[str, Path]:
    return {
        "runs": folder / "history" / "runs.db",
        "index": folder / "history" / "runs" / "index.db",
        "schedules": folder / "schedules" / "schedules.db",
    }


def _secondary_indexes(path: Path) -> set[str]:
    with sqlite3.connect(path) as con:
        if not con.execute("SELECT 1 FROM sqlite_master WHERE name = 'secondary_indexes'").fetchone():
            return set()
        return {name for (name,) in con.execute("SELECT name FROM secondary_indexes")}


@pytest.fixture(scope="module")
def new_homes(tmp_path_factory) -> tuple[Path, str, Path, str]:
    """One run of small_job in a new home by Dagster's own storage and one by this storage (made
    once for the module and only read): each home's folder and its run's id."""
    root = tmp_path_factory.mktemp("new_homes")
    with _instance(root / "dagster", ours=False) as instance:
        theirs = small_job.execute_in_process(instance=instance).run_id
    with _instance(root / "ours", ours=True) as instance:
        ours = small_job.execute_in_process(instance=instance).run_id
    return root / "dagster", theirs, root / "ours", ours


def test_a_new_home_is_what_dagster_makes_at_its_migration_head(new_homes):
    # runs.db, schedules.db and index.db made without asking alembic: the same tables and indexes,
    # the same data migrations marked done, WAL, and Dagster's own check finds them at its head.
    theirs_home, _, ours_home, _ = new_homes
    theirs, ours = _files_of_a_home(theirs_home), _files_of_a_home(ours_home)
    modules = {"runs": sqlite_run_storage, "index": sqlite_event_log, "schedules": sqlite_schedule_storage}
    for name, path in ours.items():
        assert _schema(path) == _schema(theirs[name]), name
        assert _secondary_indexes(path) == _secondary_indexes(theirs[name]), name
        with create_engine(f"sqlite:///{path}").connect() as conn:
            current, head = check_alembic_revision(get_alembic_config(modules[name].__file__), conn)
        assert current == head is not None, name
        with sqlite3.connect(path) as con:
            assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal", name


def test_a_file_at_another_revision_goes_through_dagsters_own_code(tmp_path):
    # An unstamped runs.db (what Dagster's SQLAlchemy 2.0 bug left) is not opened as it is:
    # Dagster's from_local stamps it with its last known revision, as it would without this storage.
    from dagster._core.storage.sqlite import LAST_KNOWN_STAMPED_SQLITE_ALEMBIC_REVISION

    with _instance(tmp_path, ours=True) as instance:
        first = small_job.execute_in_process(instance=instance).run_id
    with sqlite3.connect(tmp_path / "history" / "runs.db") as con:
        con.execute("DROP TABLE alembic_version")
    with _instance(tmp_path, ours=True) as instance:
        assert instance.get_run_by_id(first).status == DagsterRunStatus.SUCCESS
    with sqlite3.connect(tmp_path / "history" / "runs.db") as con:
        assert con.execute("SELECT version_num FROM alembic_version").fetchall() == [
            (LAST_KNOWN_STAMPED_SQLITE_ALEMBIC_REVISION,)
        ]


def test_a_new_run_shard_is_what_dagster_makes_at_its_migration_head(new_homes):
    theirs_home, theirs, ours_home, ours = new_homes
    ours_path = ours_home / "history" / "runs" / f"{ours}.db"
    assert _schema(ours_path) == _schema(theirs_home / "history" / "runs" / f"{theirs}.db")
    engine = create_engine(f"sqlite:///{ours_path}")
    with engine.connect() as conn:
        current, head = check_alembic_revision(get_alembic_config(sqlite_event_log.__file__), conn)
    assert current == head is not None
    with sqlite3.connect(ours_path) as con:
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


RUNNER = textwrap.dedent(
    """
    import os, sys, time
    from dagster import DagsterInstance, job, op

    @op
    def slow(context) -> int:
        for i in range(int(sys.argv[1])):
            context.log.info(f"event {i}")
            time.sleep(float(sys.argv[2]))
        return 1

    @job
    def long_job():
        slow()

    with DagsterInstance.get() as instance:
        result = long_job.execute_in_process(instance=instance)
    print(result.run_id)
    """
)


def _home(tmp_path: Path) -> dict:
    home = tmp_path / "dagster"
    home.mkdir()
    (home / "dagster.yaml").write_text(yaml.safe_dump({"telemetry": {"enabled": False}, "storage": product_storage()}))
    script = tmp_path / "runner.py"
    script.write_text(RUNNER)
    return {**os.environ, "DAGSTER_HOME": str(home), "PYTHONPATH": str(PROJECT_DIR)}


def test_two_runs_at_once_and_one_killed_leave_a_whole_history(tmp_path):
    env = _home(tmp_path)
    script = str(tmp_path / "runner.py")
    both = [
        subprocess.Popen([sys.executable, script, "60", "0"], env=env, stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    killed = subprocess.Popen([sys.executable, script, "100000", "0.001"], env=env, stdout=subprocess.PIPE, text=True)
    shards = tmp_path / "dagster" / "history" / "runs"
    deadline = time.monotonic() + 120
    # Killed while it writes events (after at least a few of its own).
    while time.monotonic() < deadline and len(list(shards.glob("*.db"))) < 3:
        time.sleep(0.2)
    time.sleep(2)
    os.kill(killed.pid, signal.SIGKILL)
    killed.wait()
    finished = [p.communicate(timeout=300)[0].strip().splitlines()[-1] for p in both]
    assert all(p.returncode == 0 for p in both)

    for path in [tmp_path / "dagster" / "history" / "runs.db", *_shards(tmp_path / "dagster")]:
        with sqlite3.connect(path) as con:
            assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok", path
    os.environ["DAGSTER_HOME"] = env["DAGSTER_HOME"]
    try:
        with DagsterInstance.get() as instance:
            for run_id in finished:
                assert instance.get_run_by_id(run_id).status == DagsterRunStatus.SUCCESS
                messages = [e.user_message for e in instance.all_logs(run_id) if not e.dagster_event]
                assert [m for m in messages if m.startswith("event ")] == [f"event {i}" for i in range(60)]
            (dead,) = [r for r in instance.get_runs() if r.run_id not in finished]
            assert dead.status == DagsterRunStatus.STARTED
            written = [e.user_message for e in instance.all_logs(dead.run_id) if not e.dagster_event]
            written = [m for m in written if m.startswith("event ")]
            assert written == [f"event {i}" for i in range(len(written))]  # every event up to the kill
            assert len(written) > 10
    finally:
        del os.environ["DAGSTER_HOME"]


def test_a_long_running_process_keeps_a_bounded_number_of_engines(tmp_path):
    # Two shards past the bound are enough to need an eviction (each new shard is made and
    # stamped: about 0.15 s, so not twenty past it).
    events = storage.EventLogStorage(str(tmp_path))
    for i in range(storage._MAX_ENGINES + 2):
        with events._connect(f"run{i}") as conn:
            conn.exec_driver_sql("SELECT 1")
    assert len(storage._engines) <= storage._MAX_ENGINES
    with events._connect("run0") as conn:  # an evicted engine is made again, the shard still read
        assert conn.exec_driver_sql("SELECT count(*) FROM event_logs").scalar() == 0
