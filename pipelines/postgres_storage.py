"""The shared deployment's Dagster storage (deploy/shared/dagster.yaml): dagster-postgres's runs,
events and schedules, patient with a PostgreSQL that is away for a while (a restart for a patch,
a failover). dagster-postgres tries a refused connection again five times, 12.4 s at most, and
then raises; a worker whose run writes an event then fails the run, which says "An exception was
thrown during execution" with a DagsterPostgresException traceback (tests/test_shared_deployment.py,
found so with PostgreSQL away for 14 s). Its retry window is not a setting, so here each
connection is tried again for up to PATIENCE_SECONDS: the run waits for PostgreSQL and goes on.
Not covered: a session the shutdown cuts while a statement is in flight fails that statement and
its step. Everything else is dagster-postgres's own.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from dagster_postgres import (
    DagsterPostgresStorage,
    PostgresEventLogStorage,
    PostgresRunStorage,
    PostgresScheduleStorage,
)
from dagster_postgres.utils import get_token_provider_from_config, pg_url_from_config
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError

# Longer than a restart or a managed database's failover takes; shorter than run monitoring's
# start timeout (deploy/shared/dagster.yaml), so a run that waits is not taken for a dead one.
PATIENCE_SECONDS = 120.0
_FIRST_WAIT, _LONGEST_WAIT = 0.2, 2.0

log = logging.getLogger(__name__)


@contextmanager
def patient_connection(engine: Engine) -> Iterator[Connection]:
    """A connection of `engine`, tried again while PostgreSQL refuses it, for up to PATIENCE_SECONDS."""
    deadline = time.monotonic() + PATIENCE_SECONDS
    wait = _FIRST_WAIT
    while True:
        try:
            conn = engine.connect()
            break
        except OperationalError as err:
            if time.monotonic() + wait > deadline:
                raise
            if wait == _FIRST_WAIT:  # once per outage, not at every try
                log.warning("PostgreSQL refused a connection; trying again for up to %.0f s: %s", PATIENCE_SECONDS, err)
            time.sleep(wait)
            wait = min(wait * 2, _LONGEST_WAIT)
    try:
        yield conn
    finally:
        conn.close()


class PatientRunStorage(PostgresRunStorage):
    def connect(self) -> Any:
        return patient_connection(self._engine)


class PatientEventLogStorage(PostgresEventLogStorage):
    def _connect(self) -> Any:
        return patient_connection(self._engine)


class PatientScheduleStorage(PostgresScheduleStorage):
    def connect(self, run_id: str | None = None) -> Any:
        return patient_connection(self._engine)


class PostgresStorage(DagsterPostgresStorage):
    """DagsterPostgresStorage with the three patient storages above; the same configuration."""

    def __init__(
        self,
        postgres_url: str,
        should_autocreate_tables: bool = True,
        inst_data: Any = None,
        token_provider: Any = None,
    ):
        # dagster-postgres's __init__ would make (and connect) its own three storages first.
        self.postgres_url = postgres_url
        self.should_autocreate_tables = should_autocreate_tables
        self._inst_data = inst_data
        args = (postgres_url, should_autocreate_tables)
        self._run_storage = PatientRunStorage(*args, token_provider=token_provider)
        self._event_log_storage = PatientEventLogStorage(*args, token_provider=token_provider)
        self._schedule_storage = PatientScheduleStorage(*args, token_provider=token_provider)
        super(DagsterPostgresStorage, self).__init__()

    @classmethod
    def from_config_value(cls, inst_data: Any, config_value: Any) -> PostgresStorage:
        return cls(
            inst_data=inst_data,
            postgres_url=pg_url_from_config(config_value),
            should_autocreate_tables=config_value.get("should_autocreate_tables", True),
            token_provider=get_token_provider_from_config(config_value),
        )
