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

Dagster asks alembic for its newest revision whenever it opens runs.db or schedules.db and for
every run's new event shard (each time loading every migration script: 0.1 s, and 0.4 s more to
stamp a new home's files). Here a file at the revision of the pinned Dagster version is opened as
it is, and a new file is created and stamped with that revision directly, then migrated as Dagster
does; any other file (an older or newer revision, an unstamped one) goes through Dagster's own
code. `tests/test_dagster_storage.py` holds this to Dagster's own migration check, compares new
files with Dagster's own, and reads a run written by each storage with the other.
"""

from __future__ import annotations

import atexit
import fcntl
import functools
import os
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, ClassVar

import sqlalchemy as db
from dagster._core.storage.event_log.schema import SqlEventLogStorageMetadata
from dagster._core.storage.event_log.sqlite.sqlite_event_log import INDEX_SHARD_NAME, SqliteEventLogStorage
from dagster._core.storage.runs.schema import RunStorageSqlMetadata
from dagster._core.storage.runs.sqlite.sqlite_run_storage import SqliteRunStorage
from dagster._core.storage.schedules.schema import ScheduleStorageSqlMetadata
from dagster._core.storage.schedules.sqlite.sqlite_schedule_storage import SqliteScheduleStorage
from dagster._core.storage.sql import get_alembic_config
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS, create_db_conn_string
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


@atexit.register
def _close_engines() -> None:
    """Closing each file's last connection checkpoints its write-ahead log into the file, as
    Dagster's own storage does after every statement: a copy of the *.db files made after a
    command then holds its runs (`overgang` ends through atexit, overgang/process.py)."""
    with _engines_lock:
        while _engines:
            _engines.popitem()[1].dispose()


def _pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()


# The newest alembic revision of Dagster's SQLite storages (one migration folder for the event
# log, runs and schedules) in the Dagster version pinned in pyproject.toml. Asking alembic reads
# and loads its ~180 migration scripts (0.1-0.3 s a process); the test compares this with
# alembic's own answer for each storage, so a Dagster upgrade without updating it fails there.
PINNED_HEAD = ("1.13.27", "29b539ebc72a")


def alembic_head(module_file: str | None = None) -> str:
    """A storage's newest revision, as alembic reads it from Dagster's migration scripts."""
    from alembic.script import ScriptDirectory
    from dagster._core.storage.event_log.sqlite import sqlite_event_log

    config = get_alembic_config(module_file or sqlite_event_log.__file__)
    head = ScriptDirectory.from_config(config).as_revision_number("head")
    assert isinstance(head, str), head  # Dagster's scripts have one head
    return head


@functools.cache
def _dagster_head() -> str | None:
    """The pinned revision, or None under another Dagster version (then Dagster's own code runs)."""
    import dagster

    return PINNED_HEAD[1] if dagster.__version__ == PINNED_HEAD[0] else None


def _stamp(conn: Connection, head: str) -> None:
    """alembic's version table at `head`, in alembic's own layout for it."""
    conn.execute(
        db.text(
            "CREATE TABLE IF NOT EXISTS alembic_version (version_num VARCHAR(32) NOT NULL, "
            "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))"
        )
    )
    conn.execute(db.text("DELETE FROM alembic_version"))
    conn.execute(db.text("INSERT INTO alembic_version (version_num) VALUES (:head)"), {"head": head})


def _wal_first(conn: Connection) -> None:
    """A new file in WAL mode before its tables are made, not after. Python's sqlite3 commits each
    CREATE on its own, and with the rollback journal each commit is flushed to disk (twice), which
    made every run's new event shard cost 0.1-0.5 s (bench/README.md, round 27); in WAL mode with
    `synchronous = NORMAL` (`_pragmas`) a commit is not flushed on its own. The same tables,
    indexes and revision either way (tests/test_dagster_storage.py compares them with Dagster's)."""
    conn.execute(db.text("PRAGMA journal_mode=WAL;"))


def _revision(conn: Connection) -> str | None:
    """The file's alembic revision, None if it has none or more than one (alembic's view of it)."""
    if not conn.dialect.has_table(conn, "alembic_version"):
        return None
    rows = conn.execute(db.text("SELECT version_num FROM alembic_version")).fetchall()
    return rows[0][0] if len(rows) == 1 else None


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
                self._initdb(engine, for_index_shard=shard == INDEX_SHARD_NAME)
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

    def _initdb(self, engine: Engine, for_index_shard: bool = False) -> None:
        """Dagster's _initdb without asking alembic: a shard at the pinned revision is used as it
        is; a new one (every run's own, and a new home's index.db) gets the tables, WAL and
        alembic's version table at that revision. Anything else, and a shard another process (the
        webserver, a second run) is creating at the same moment, goes to Dagster's own code,
        which waits for it and retries."""
        head = _dagster_head()
        if head is not None:
            try:
                with engine.connect() as conn:
                    tables = set(db.inspect(conn).get_table_names())
                    if "event_logs" in tables and _revision(conn) == head:
                        return
                    if not tables:
                        _wal_first(conn)
                        SqlEventLogStorageMetadata.create_all(conn)
                        _stamp(conn, head)
                        conn.commit()
                        return
            except db.exc.DatabaseError:
                pass
        super()._initdb(engine, for_index_shard)


if TYPE_CHECKING:
    from typing import Self

    from dagster._serdes import ConfigurableClassData

    class _Storage:
        """What the Dagster storage that _OneEngine is mixed into gives it (its `super()`)."""

        def __init__(self, conn_string: str, inst_data: ConfigurableClassData | None = None) -> None: ...
        @classmethod
        def from_local(cls, base_dir: str, inst_data: ConfigurableClassData | None = None) -> Self: ...
        def migrate(self, print_fn: Any = None, force_rebuild_all: bool = False) -> None: ...
        def optimize(self, print_fn: Any = None, force_rebuild_all: bool = False) -> None: ...

else:
    _Storage = object


class _OneEngine(_Storage):
    """A storage of one database file (runs.db, schedules.db): Dagster's `from_local` and
    `connect`, with the file's engine kept (engine_for)."""

    _conn_string: str
    _name: ClassVar[str]  # the file's name, as Dagster's create_db_conn_string takes it
    _metadata: ClassVar[db.MetaData]
    _tables: ClassVar[frozenset[str]]  # what a file at the pinned revision must hold to be used as it is

    @classmethod
    def from_config_value(cls, inst_data, config_value):
        return cls.from_local(inst_data=inst_data, **config_value)

    @classmethod
    def from_local(cls, base_dir: str, inst_data=None):
        """Dagster's from_local without asking alembic (see the module's docstring). Called with
        the home's storage lock held (SqliteStorage), so no other process creates the file meanwhile."""
        head = _dagster_head()
        path = os.path.join(base_dir, f"{cls._name}.db")
        conn_string = create_db_conn_string(base_dir, cls._name)
        if head is None:
            return super().from_local(base_dir, inst_data)
        if os.path.exists(path):
            with engine_for(conn_string).connect() as conn:
                opened_as_is = _revision(conn) == head and cls._tables <= set(db.inspect(conn).get_table_names())
            return cls(conn_string, inst_data) if opened_as_is else super().from_local(base_dir, inst_data)
        os.makedirs(base_dir, exist_ok=True)
        with engine_for(conn_string).connect() as conn:
            _wal_first(conn)
            cls._metadata.create_all(conn)
            _stamp(conn, head)
            conn.commit()
        storage = cls(conn_string, inst_data)
        # As Dagster does for a new file: its data migrations marked done, there being no data.
        storage.migrate()
        storage.optimize()
        return storage

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        with engine_for(self._conn_string).connect() as conn, conn.begin():
            yield conn


class RunStorage(_OneEngine, SqliteRunStorage):
    """Dagster's SQLite run storage (history/runs.db)."""

    _name = "runs"
    _metadata = RunStorageSqlMetadata
    _tables = frozenset({"runs", "instance_info"})


class ScheduleStorage(_OneEngine, SqliteScheduleStorage):
    """Dagster's SQLite schedule and sensor storage (schedules/schedules.db)."""

    _name = "schedules"
    _metadata = ScheduleStorageSqlMetadata
    _tables = frozenset({"jobs", "job_ticks"})


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
