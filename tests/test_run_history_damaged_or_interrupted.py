"""Attack on the run history's storage (pipelines/storage.py: files at the pinned revision opened
without alembic, new ones stamped directly) together with the command's fast end (os._exit with
SQLite connections still in their pools): the real `overgang run` in a child process where the
process is the point (its fast end, Ctrl-C); the damaged and empty files' messages and way out
through the same command in this process (tests/cli.py: overgang), which saves a Dagster import
(about 2.5 s of CPU) per command.

Break: a damaged runs.db (not an SQLite file) made `overgang run` end in a traceback out of the
storage's connection hook ("file is not a database"), although `_guard` promises a message with
what to do for a damaged file. Now: status 1, the message, and the way out (move the history
aside), which works.

Breaks (fixed, from the next round): a damaged schedules database (dagster/schedules/schedules.db:
the sensors' ticks) fails with SQLite's same words, and the message sent the analyst to move
dagster/history aside, which does not mend it; the message now names the folder of the file
SQLite cannot read. A run-history file whose schema is damaged ("malformed database schema
(runs)") ended `overgang run` in a traceback, and SQLite before 3.21 says "file is encrypted or is
not a database": damaged_history knew neither. It now knows both.

Found holding (pinned): an empty runs.db; a SIGINT in the middle of a run (status 1 and the run's
message, the next run works, both runs read back by Dagster's own storage with the right
status; the command's last word is its own message); history written through the fast end read by Dagster's own storage.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from overgang.settings import PROJECT_DIR
from tests.cli import child_env, overgang, overgang_process


def _history(tmp_path: Path) -> Path:
    return tmp_path / "home" / "dagster" / "history"


def _dagster_reads(tmp_path: Path) -> dict[str, str]:
    """Each run's status, read by Dagster's own SQLite storage (not pipelines/storage.py)."""
    from dagster._core.storage.sqlite_storage import DagsterSqliteStorage

    storage = DagsterSqliteStorage.from_local(str(tmp_path / "home" / "dagster"))
    runs = storage.run_storage.get_runs()
    for run in runs:
        assert storage.event_log_storage.get_logs_for_run(run.run_id), run.run_id
    return {run.run_id: run.status.value for run in runs}


def test_a_damaged_runs_db_is_said_not_a_traceback(sample_home, tmp_path):
    """A history as `overgang run` leaves it (the session's sample run, copied), its runs.db
    replaced by bytes that are no SQLite file."""
    runs_db = _history(tmp_path) / "runs.db"
    for extra in ("-wal", "-shm"):
        Path(f"{runs_db}{extra}").unlink(missing_ok=True)
    runs_db.write_bytes(os.urandom(8192))
    said = _refused_then_mended_by_moving_aside(tmp_path)
    assert "run history" in said and "is damaged" in said, said[-2000:]
    # Only the run after the way out is in the history, and Dagster's own storage reads it.
    assert list(_dagster_reads(tmp_path).values()) == ["SUCCESS"]


@pytest.mark.integration
def test_an_empty_runs_db_is_made_again(tmp_path):
    _history(tmp_path).mkdir(parents=True)
    (_history(tmp_path) / "runs.db").write_bytes(b"")
    done = overgang(tmp_path, "run", "--year", "2025")
    assert done.returncode == 0, done.stderr[-2000:]
    assert list(_dagster_reads(tmp_path).values()) == ["SUCCESS"]


@pytest.mark.integration
def test_sigint_in_the_middle_of_a_run_then_the_next_run(tmp_path):
    env = child_env(tmp_path)
    child = subprocess.Popen(
        [sys.executable, "-m", "pipelines.cli", "run"],
        cwd=PROJECT_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    shards = _history(tmp_path) / "runs"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not any(p.name != "index.db" for p in shards.glob("*.db")):
        time.sleep(0.1)
    time.sleep(1.5)  # inside the run's steps
    child.send_signal(signal.SIGINT)
    out, err = child.communicate(timeout=300)
    # 130: interrupted by Ctrl-C (README, "Running unattended"), said plainly.
    assert child.returncode == 130, err[-2000:]
    # The command ends with its own message, not an uncaught exception (a step's failure it
    # reports may quote the interrupted step's stack: that is the run's report, not the command's).
    assert err.strip().splitlines()[-1].startswith(("Error:", "Aborted")), err[-3000:]
    again = overgang(tmp_path, "run")  # in this process: only the Ctrl-C is about a process
    assert again.returncode == 0, again.stderr[-2000:]
    statuses = sorted(_dagster_reads(tmp_path).values())
    assert statuses in (["FAILURE", "SUCCESS"], ["CANCELED", "SUCCESS"]), statuses
    shutil.rmtree(tmp_path / "home" / "work", ignore_errors=True)


@pytest.mark.integration
def test_the_history_files_are_whole_without_their_logs_after_a_command(tmp_path):
    """The command ends without Python's teardown; the storage still closes its connections at
    exit, so each file's write-ahead log is folded into it: a copy of the *.db files alone (a
    backup) holds every run, read by Dagster's own storage."""
    # Two commands: the first creates every history file (in this process: what it leaves is the
    # same, its engines closed as at a process's end), the second, the real command whose fast
    # end is the point, opens them as they are.
    first = overgang(tmp_path, "run", "--year", "2025")
    assert first.returncode == 0, first.stderr[-2000:]
    done = overgang_process(tmp_path, "run", "--year", "2025")
    assert done.returncode == 0, done.stderr[-2000:]
    dagster = tmp_path / "home" / "dagster"
    assert not [p for p in dagster.rglob("*-wal") if p.stat().st_size], list(dagster.rglob("*-wal"))
    backup = tmp_path / "backup"
    shutil.copytree(dagster, backup / "home" / "dagster", ignore=shutil.ignore_patterns("*-wal", "*-shm"))
    statuses = _dagster_reads(backup)
    assert len(statuses) == 2 and set(statuses.values()) == {"SUCCESS"}


# --- a damaged schedules database or schema; every word SQLite has for it ----------------------


def _sqlite(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE t (x)")
    con.execute("INSERT INTO t VALUES (1)")
    con.commit()
    con.close()


def test_the_message_names_the_folder_of_the_damaged_file(tmp_path, monkeypatch):
    from overgang.home import explain
    from overgang.settings import Settings

    monkeypatch.setenv("OVERGANG_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    settings = Settings.load()
    dagster = settings.dagster_home
    _sqlite(dagster / "history" / "runs.db")
    _sqlite(dagster / "history" / "runs" / "index.db")
    schedules = dagster / "schedules" / "schedules.db"
    _sqlite(schedules)
    schedules.write_bytes(b"garbage garbage!" + schedules.read_bytes()[16:])
    said = explain("DatabaseError: (sqlite3.DatabaseError) file is not a database", settings)
    assert f"({dagster / 'schedules'})" in said and "Move that folder aside" in said
    assert str(dagster / "history") not in said
    # A damaged file deeper in the history: the history folder, moved aside whole.
    schedules.unlink()
    _sqlite(schedules)
    index = dagster / "history" / "runs" / "index.db"
    index.write_bytes(b"garbage garbage!" + index.read_bytes()[16:])
    said = explain("DatabaseError: (sqlite3.DatabaseError) file is not a database", settings)
    assert f"({dagster / 'history'})" in said
    index.unlink()
    # Nothing SQLite cannot read: the history, as before.
    _sqlite(schedules.with_name("x.db"))
    schedules.unlink()
    said = explain("DatabaseError: (sqlite3.DatabaseError) database disk image is malformed", settings)
    assert f"({dagster / 'history'})" in said


@pytest.mark.parametrize(
    "error",
    [
        "DatabaseError: (sqlite3.DatabaseError) file is not a database",
        "DatabaseError: (sqlite3.DatabaseError) database disk image is malformed",
        # SQLite before 3.21 (still allowed by Python 3.11):
        "DatabaseError: (sqlite3.DatabaseError) file is encrypted or is not a database",
        # A damaged schema in sqlite_master:
        'DatabaseError: (sqlite3.DatabaseError) malformed database schema (runs) - near "tablx": syntax error',
    ],
)
def test_every_word_sqlite_has_for_a_damaged_file_is_recognised(error):
    from overgang.home import damaged_history

    assert damaged_history(error)
    assert not damaged_history("ValueError: file is not a database of kommuner")  # not SQLite's


def _refused_then_mended_by_moving_aside(tmp_path: Path) -> str:
    """The next run stops with the damaged folder named and no traceback, and moving that folder
    aside, the way out the message gives, lets a run succeed. Returns what the refusal said.
    (One year: the way out is proved by a run that succeeds, not by how much it builds.)"""
    damaged = overgang(tmp_path, "run", "--year", "2025")
    assert damaged.returncode == 1
    assert "Traceback" not in damaged.stderr, damaged.stderr[-2000:]
    folder = re.search(r"run history \(([^)]+)\) is damaged", damaged.stderr)
    assert folder, damaged.stderr[-2000:]
    Path(folder.group(1)).rename(tmp_path / "moved-aside")
    again = overgang(tmp_path, "run", "--year", "2025")
    assert again.returncode == 0, again.stderr[-2000:]
    return damaged.stderr


def test_a_damaged_schema_in_runs_db_is_said_not_a_traceback(sample_home, tmp_path):
    runs_db = tmp_path / "home" / "dagster" / "history" / "runs.db"
    con = sqlite3.connect(runs_db)
    con.execute("PRAGMA writable_schema=ON")
    con.execute("UPDATE sqlite_master SET sql = 'create tablx garbage' WHERE name = 'runs'")
    con.commit()
    con.close()
    _refused_then_mended_by_moving_aside(tmp_path)


def test_a_damaged_schedules_db_is_said_with_a_way_out_that_works(sample_home, tmp_path):
    schedules = tmp_path / "home" / "dagster" / "schedules" / "schedules.db"
    for extra in ("-wal", "-shm"):
        Path(f"{schedules}{extra}").unlink(missing_ok=True)
    schedules.write_bytes(os.urandom(8192))
    _refused_then_mended_by_moving_aside(tmp_path)
