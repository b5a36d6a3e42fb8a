"""Dagster's SQLite run history, with one SQLAlchemy engine per database file instead of one per
statement (dagster.yaml, `storage: custom:`).

Dagster's SQLite storages build a new engine for every connection: about 10 ms each here, paid
for each of the ~120 events of a run (an event is one or two connections), more than the run's
own work on one municipality's year (bench/README.md, "What a run costs"), and closing the last
connection to a database in WAL mode checkpoints it. Here an engine is kept per file with a small
pool of connections, each in WAL mode with `synchronous = NORMAL` (a commit is not flushed to disk
on its own: after a power cut the last events of a run may be missing, never a corrupt history).
Everything else is as Dagster wrote it: the same files in the same folders (run history written
before stays readable), the same transactions, SQLite's own locking between processes.

A run's event shard is new for every run; Dagster then asks alembic for its newest revision twice
(loading every migration script, 0.15-0.4 s). Here a new shard is created and stamped directly
with the revision of the pinned Dagster version; an existing shard goes through Dagster's own check.
`tests/test_dagster_storage.py` holds this to Dagster's own migration check and reads a run
written by each storage with the other.
"""

from __future__ import annotations

import fcntl
import functools
import os
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as db
from dagster._core.storage.event_log.schema import SqlEventLogStorageMetadata
from dagster._core.storage.event_log.sqlite.sqlite_event_log import INDEX_SHARD_NAME, SqliteEventLogStorage
from dagster._core.storage.runs.sqlite.sqlite_run_storage import SqliteRunStorage
from dagster._core.storage.schedules.sqlite.sqlite_schedule_storage import SqliteScheduleStorage
from dagster._core.storage.sql import get_alembic_config
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from dagster._core.storage.sqlite_storage import (
    DagsterSqliteStorage,
    _event_logs_directory,
    _runs_directory,
    _schedule_directory,
)
from sqlalchemy.engine import Connection, Engine

# The webserver reads many runs' shards: a bound keeps a long-running process from holding open
# files for every run it ever showed.
_MAX_ENGINES = 32
_engines: OrderedDict[tuple[str, bool], Engine] = OrderedDict()
_engines_lock = threading.Lock()


def engine_for(url: str, busy_timeout: bool = False) -> Engine:
    """One engine per database file and process (the engine, not a connection, is what is kept)."""
    key = (url, busy_timeout)
    with _engines_lock:
        engine = _engines.get(key)
        if engine is None:
            args = {"timeout": SQLITE_BUSY_TIMEOUT_SECONDS} if busy_timeout else {}
            engine = _engines[key] = db.create_engine(url, pool_size=2, max_overflow=8, connect_args=args)
            db.event.listen(engine, "connect", _pragmas)
            while len(_engines) > _MAX_ENGINES:
                _engines.popitem(last=False)[1].dispose()
        else:
            _engines.move_to_end(key)
        return engine


def _pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()


# The event log's newest alembic revision in the Dagster version pinned in pyproject.toml. Asking
# alembic reads and loads its ~180 migration scripts (0.1-0.3 s a process); the test compares
# this with alembic's own answer, so a Dagster upgrade without updating it fails there.
PINNED_HEAD = ("1.13.27", "29b539ebc72a")


def alembic_head() -> str:
    """The event log's newest revision, as alembic reads it from Dagster's migration scripts."""
    from alembic.script import ScriptDirectory
    from dagster._core.storage.event_log.sqlite import sqlite_event_log

    return ScriptDirectory.from_config(get_alembic_config(sqlite_event_log.__file__)).as_revision_number("head")


@functools.cache
def _event_log_head() -> str:
    import dagster

    return PINNED_HEAD[1] if dagster.__version__ == PINNED_HEAD[0] else alembic_head()


class EventLogStorage(SqliteEventLogStorage):
    """Dagster's per-run SQLite event log (history/runs/<run id>.db and index.db)."""

    @classmethod
    def from_config_value(cls, inst_data, config_value) -> EventLogStorage:
        return cls(inst_data=inst_data, **config_value)

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        with self._db_lock:
            engine = engine_for(self.conn_string_for_shard(shard), busy_timeout=True)
            if shard not in self._initialized_dbs:
                if shard == INDEX_SHARD_NAME or os.path.exists(self.path_for_shard(shard)):
                    self._initdb(engine, for_index_shard=shard == INDEX_SHARD_NAME)
                else:
                    try:
                        self._create_run_shard(engine)
                    except db.exc.DatabaseError:
                        # Another process (the webserver, a second run) creating the same shard:
                        # Dagster's own initialisation, which waits for it and retries.
                        self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def has_table(self, table_name: str) -> bool:
        """Asked for every asset event (which tables the index database has); a table, once there,
        stays."""
        seen = self.__dict__.setdefault("_tables_seen", set())
        if table_name not in seen:
            engine = engine_for(self.conn_string_for_shard(INDEX_SHARD_NAME), busy_timeout=True)
            with engine.connect() as conn:
                if engine.dialect.has_table(conn, table_name):
                    seen.add(table_name)
        return table_name in seen

    def _create_run_shard(self, engine: Engine) -> None:
        """What Dagster's _initdb does for a database that does not exist yet: the tables, WAL, and
        alembic's version table at the newest revision (alembic's own layout for it)."""
        head = _event_log_head()
        with engine.connect() as conn:
            SqlEventLogStorageMetadata.create_all(conn)
            conn.execute(db.text("PRAGMA journal_mode=WAL;"))
            conn.execute(
                db.text(
                    "CREATE TABLE IF NOT EXISTS alembic_version (version_num VARCHAR(32) NOT NULL, "
                    "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))"
                )
            )
            conn.execute(db.text("DELETE FROM alembic_version"))
            conn.execute(db.text("INSERT INTO alembic_version (version_num) VALUES (:head)"), {"head": head})
            conn.commit()


class _OneEngine:
    """A storage of one database file (runs.db, schedules.db): Dagster's `from_local` and
    `connect`, with the file's engine kept (engine_for)."""

    _conn_string: str

    @classmethod
    def from_config_value(cls, inst_data, config_value):
        return cls.from_local(inst_data=inst_data, **config_value)

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        with engine_for(self._conn_string).connect() as conn, conn.begin():
            yield conn


class RunStorage(_OneEngine, SqliteRunStorage):
    """Dagster's SQLite run storage (history/runs.db)."""


class ScheduleStorage(_OneEngine, SqliteScheduleStorage):
    """Dagster's SQLite schedule and sensor storage (schedules/schedules.db)."""


@contextmanager
def _one_process_at_a_time(base_dir: str) -> Iterator[None]:
    """While this process opens (and, on a new home, creates) the home's databases. Dagster's
    from_local looks for its tables, creates them, then stamps alembic's revision, each step on its
    own: a process starting at the same moment (the webserver, the daemon, a run) fails between
    them ("table runs already exists"), or stamps an older revision beside the new one and leaves
    a runs.db no process can open again ("more than one head")."""
    os.makedirs(base_dir, exist_ok=True)
    with open(os.path.join(base_dir, ".storage.lock"), "a+") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


class SqliteStorage(DagsterSqliteStorage):
    """Dagster's default storage (the same folders under DAGSTER_HOME), with the storages above."""

    def __init__(self, base_dir: str, inst_data=None):
        self.base_dir = base_dir
        with _one_process_at_a_time(base_dir):
            self._run_storage = RunStorage.from_local(_runs_directory(base_dir))
            self._event_log_storage = EventLogStorage(_event_logs_directory(base_dir))
            self._schedule_storage = ScheduleStorage.from_local(_schedule_directory(base_dir))
        self._inst_data = inst_data
        super(DagsterSqliteStorage, self).__init__()

    @classmethod
    def from_config_value(cls, inst_data, config_value) -> SqliteStorage:
        return cls.from_local(inst_data=inst_data, **config_value)
