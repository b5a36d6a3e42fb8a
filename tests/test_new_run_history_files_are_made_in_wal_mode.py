"""A new file of the run history (every run's event shard, a new home's runs.db, schedules.db and
index.db) is switched to WAL before its tables are made (pipelines/storage.py: _wal_first).
Python's sqlite3 commits each CREATE on its own, and with the rollback journal each commit is
flushed to disk: a run's new shard cost 0.1-0.5 s (bench/README.md, round 27). That the files
are still Dagster's own (tables, indexes, revision, WAL) is tests/test_dagster_storage.py's."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from dagster import instance_for_test, job, op
from sqlalchemy import event
from sqlalchemy.engine import Engine

from overgang.settings import PROJECT_DIR

pytestmark = pytest.mark.integration


@op
def one_step() -> int:
    return 1


@job
def small_job():
    one_step()


def test_every_table_of_a_new_history_file_is_made_in_wal_mode(tmp_path: Path):
    modes: dict[str, set[str]] = {}

    def journal_mode_at_create(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("CREATE TABLE"):
            path = conn.engine.url.database or ""
            mode = cursor.connection.execute("PRAGMA journal_mode").fetchone()[0]
            modes.setdefault(Path(path).name, set()).add(mode)

    storage = yaml.safe_load((PROJECT_DIR / "dagster.yaml").read_text())["storage"]
    event.listen(Engine, "before_cursor_execute", journal_mode_at_create)
    try:
        with instance_for_test(temp_dir=str(tmp_path), overrides={"storage": storage}) as instance:
            run_id = small_job.execute_in_process(instance=instance).run_id
    finally:
        event.remove(Engine, "before_cursor_execute", journal_mode_at_create)
    assert {"runs.db", "schedules.db", "index.db", f"{run_id}.db"} <= set(modes), modes
    assert all(found == {"wal"} for found in modes.values()), modes
