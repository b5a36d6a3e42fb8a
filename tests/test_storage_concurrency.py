"""Hostile tests: the run history's storage (pipelines/storage.py) with two processes at once.

The webserver asks for a run's events as soon as the run is launched, while the run's own process
writes its first event: both open the run's event shard, which does not exist yet. Dagster's own
storage retries its creation when another process is on it; the fast path that creates a new shard
must too, or one of the two fails ("table event_logs already exists")."""

from __future__ import annotations

import json
import multiprocessing as mp
import uuid
from pathlib import Path

import pytest
from dagster._core.storage.event_log.sqlite import sqlite_event_log
from dagster._core.storage.sql import check_alembic_revision, get_alembic_config
from sqlalchemy import create_engine

from tests.cli import python_child

pytestmark = [pytest.mark.integration, pytest.mark.hostile]

PROCESSES = 4
ROUNDS = 6


# Each process is started once and meets the others at a barrier before every round: the race
# is the same as with new processes per round, without importing Dagster again for each
# (4 x 6 processes cost about 60 s of CPU). And the processes are forked from one child that
# imported Dagster and the storage once (`_race` in a child; a fork shares the imports, not
# the storages, which each process opens after the fork): 4 spawned processes per test each
# imported them again (about 2.3 s of CPU each).


def _race(target: str, args: list) -> None:
    """In a child process of the test: PROCESSES processes forked from this one run `target`
    (a function of this module) with `args`, a barrier and an error queue; prints the exit codes
    and the errors found as JSON."""
    import dagster._core.storage.sqlite_storage  # noqa: F401 - imported once, before the forks

    import pipelines.storage  # noqa: F401

    context = mp.get_context("fork")
    errors = context.Queue()
    barrier = context.Barrier(PROCESSES)
    work = globals()[target]
    processes = [context.Process(target=work, args=(*args, barrier, errors)) for _ in range(PROCESSES)]
    for p in processes:
        p.start()
    for p in processes:
        p.join(300)
    found = []
    while not errors.empty():
        found.append(errors.get())
    print(json.dumps({"exitcodes": [p.exitcode for p in processes], "errors": found}))


def _in_a_child(target: str, *args) -> dict:
    done = python_child(
        f"""
        from tests.test_storage_concurrency import _race
        _race({target!r}, {list(args)!r})
        """,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _open_shard(base: str, run_ids: list[str], barrier, errors) -> None:
    from dagster._core.storage.sqlite_storage import _event_logs_directory

    from pipelines.storage import EventLogStorage

    events = EventLogStorage(_event_logs_directory(base))
    for run_id in run_ids:
        barrier.wait()
        try:
            events.get_logs_for_run(run_id)  # the webserver's first look at a run just launched
        except Exception as err:  # noqa: BLE001 - any error is the finding
            errors.put(f"{type(err).__name__}: {str(err)[:200]}")


def test_processes_opening_a_new_run_shard_at_once(tmp_path):
    from dagster._core.storage.sqlite_storage import _event_logs_directory

    from pipelines.storage import EventLogStorage

    base = str(tmp_path)
    EventLogStorage(_event_logs_directory(base))  # the index, as an existing home has it
    run_ids = [str(uuid.uuid4()) for _ in range(ROUNDS)]
    raced = _in_a_child("_open_shard", base, run_ids)
    assert raced["exitcodes"] == [0] * PROCESSES, raced
    assert not raced["errors"], raced["errors"]
    for run_id in run_ids:
        shard = Path(_event_logs_directory(base)) / f"{run_id}.db"
        with create_engine(f"sqlite:///{shard}").connect() as conn:
            db_revision, head = check_alembic_revision(get_alembic_config(sqlite_event_log.__file__), conn)
        assert db_revision == head, (db_revision, head)


def _open_home(bases: list[str], barrier, errors) -> None:
    from pipelines.storage import SqliteStorage

    for base in bases:
        barrier.wait()
        try:
            SqliteStorage(base)  # runs.db, schedules.db and the index made by whichever comes first
        except Exception as err:  # noqa: BLE001 - any error is the finding
            errors.put(f"{type(err).__name__}: {str(err)[:200]}")


def test_processes_opening_a_new_home_at_once(tmp_path):
    """The webserver, the daemon and a first `overgang run` started together on a new home (or
    test_dagster_storage's three runners): each makes runs.db if it is not there. Dagster's
    from_local does not retry when another process made a table between its look and its CREATE."""
    bases = [str(tmp_path / f"home{i}") for i in range(3)]
    raced = _in_a_child("_open_home", bases)
    assert not raced["errors"], raced["errors"]
    assert raced["exitcodes"] == [0] * PROCESSES, raced
