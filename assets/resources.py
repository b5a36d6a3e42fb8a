"""Resources shared by the assets: the working DuckDB database and the project settings."""

from __future__ import annotations

import json
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pandas as pd
import pandera.pandas as pa
from dagster import ConfigurableResource, InitResourceContext, TableColumn, TableSchema
from dagster_duckdb import DuckDBResource
from pydantic import PrivateAttr

from overgang.settings import ConfigError, Settings
from overgang.tenants import KeySource, refusal
from schemas.sqltext import fill, ident

# Every asset that writes the warehouse runs in this pool; dagster.yaml gives it limit 1,
# because DuckDB allows one writing process per file.
DUCKDB_POOL = "duckdb_warehouse"


class WorkDatabase(DuckDBResource):
    """The working DuckDB database. In a run, the file is opened once and every step gets a
    cursor of that connection: opening the file costs about 50 ms (its catalog is read, its log
    replayed) and a run has some thirty blocks that use it. Outside a run (a sensor, a test) each
    block opens and closes the file as dagster_duckdb does. Either way the connection is closed
    however the block ends: dagster_duckdb closes it only when the block ends normally, and after
    a file was rejected inside it the working database stayed open in the process, so the next
    publish in that process failed with "Unique file handle conflict"."""

    _run_connection: duckdb.DuckDBPyConnection | None = PrivateAttr(default=None)
    _in_run: bool = PrivateAttr(default=False)

    def setup_for_execution(self, context: InitResourceContext) -> None:
        # A shared deployment's run opens only its own tenant's working database (overgang/tenants.py).
        _refuse_another_tenant(context, paths={"working database": self.database})
        self._in_run = True

    def teardown_after_execution(self, context: InitResourceContext) -> None:
        if self._run_connection is not None:
            self._run_connection.close()
            self._run_connection = None
        self._in_run = False

    @contextmanager
    def get_connection(self):
        if not self._in_run:
            con = self._open()
            try:
                yield con
            finally:
                con.close()
            return
        if self._run_connection is None:
            self._run_connection = self._open()
        # A cursor has its own transaction: a step that fails inside BEGIN leaves nothing open.
        cursor = self._run_connection.cursor()
        try:
            yield cursor
        finally:
            cursor.close()

    def _open(self) -> duckdb.DuckDBPyConnection:
        # Made here, not when the definitions are built: loading them must not create folders.
        Path(self.database).parent.mkdir(parents=True, exist_ok=True)
        # dagster_duckdb's own opening (its configuration and its retries while the file is locked).
        return super().get_connection().__enter__()


class ProjectSettings(ConfigurableResource):
    """Paths and the analyst's settings as checked when the definitions were built
    (data/config/pipeline.yaml and OVERGANG_* through the typed model, overgang/config.py): every
    step of a run sees the same values, shown with the run in the UI. After editing the file,
    reload the code location (the CLI builds the definitions anew for every run)."""

    home: str
    input_dir: str
    inbox_dir: str
    # As JSON: Dagster's config system has no null in a map, and report_year may be null. Empty:
    # read and checked when asked (a resource made by hand, e.g. for a sensor in a test).
    config_json: str = ""
    # A shared deployment's tenant key (overgang/tenants.py): the NAME of the worker's variable
    # that holds it, or the path of its secret file; never the key, which would be stored with the
    # run. Both empty: OVERGANG_CPR_KEY / OVERGANG_CPR_KEY_FILE, as on one machine.
    cpr_key_env: str = ""
    cpr_key_file: str = ""

    def setup_for_execution(self, context: InitResourceContext) -> None:
        _refuse_another_tenant(
            context,
            paths={"home": self.home, "input folder": self.input_dir, "inbox": self.inbox_dir},
            key=self.key_source() or KeySource(),
        )

    def key_source(self) -> KeySource | None:
        if self.cpr_key_env or self.cpr_key_file:
            return KeySource(env=self.cpr_key_env or None, file=self.cpr_key_file or None)
        return None

    @classmethod
    def from_settings(cls, settings: Settings) -> ProjectSettings:
        return cls(
            home=str(settings.home),
            input_dir=str(settings.input_dir),
            inbox_dir=str(settings.inbox_dir),
            config_json=json.dumps(settings.config, default=str),
        )

    def _config(self) -> dict:
        return json.loads(self.config_json) if self.config_json else Settings.load(checked=True).config

    def settings(self) -> Settings:
        return Settings(
            home=Path(self.home),
            input_dir=Path(self.input_dir),
            config=self._config(),
            inbox=Path(self.inbox_dir),
            key_source=self.key_source(),
        )


class TenantRefused(ConfigError):
    """A shared deployment's run configured with another tenant's folders or key."""


def _refuse_another_tenant(context: InitResourceContext, paths: dict[str, str], key: KeySource | None = None) -> None:
    """Before a run's resources touch a folder: refused when they belong to another tenant than the
    run's (overgang/tenants.py). Nothing on one machine, where no run names a tenant, nor outside
    a run (a sensor's tick)."""
    if context.dagster_run is None:
        return
    if reason := refusal(dict(context.dagster_run.tags), paths=paths, key=key):
        raise TenantRefused(reason)


def column_schema(schema: pa.DataFrameSchema) -> dict:
    """The pandera schema as asset metadata: the column list the Dagster UI shows beside an asset."""
    return {
        "dagster/column_schema": TableSchema(
            columns=[
                TableColumn(name=name, type=str(column.dtype), description=column.description)
                for name, column in schema.columns.items()
            ]
        )
    }


def write_table(con: duckdb.DuckDBPyConnection, name: str, frame: pd.DataFrame) -> int:
    con.register("_frame", frame)
    con.execute(fill("CREATE OR REPLACE TABLE ${name} AS SELECT * FROM _frame", name=ident(name)))
    con.unregister("_frame")
    return len(frame)
