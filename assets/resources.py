"""Resources shared by the assets: the working DuckDB database and the project settings."""

from __future__ import annotations

import dataclasses
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, get_type_hints

import duckdb
import pandas as pd
import pandera.pandas as pa
from dagster import Config, ConfigurableResource, InitResourceContext, TableColumn, TableSchema
from dagster_duckdb import DuckDBResource
from pydantic import PrivateAttr, create_model

from overgang.pipeline_settings import PipelineSettings, SmallCell, as_dict
from overgang.settings import ConfigError, Settings
from overgang.tenants import TENANT_TAG, KeySource, refusal
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


def dagster_config(model: type) -> type[Config]:
    """The settings model (a dataclass of overgang/pipeline_settings.py) as a Dagster Config class
    with the same fields, types and defaults, its sections as nested Config classes: made from the
    model, so a new setting is typed resource config without a line here. The bounds are left to
    the model's own check (overgang/config.py), which every step runs on these values."""
    hints = get_type_hints(model)
    fields: dict[str, Any] = {}
    for f in dataclasses.fields(model):
        kind = hints[f.name]
        if dataclasses.is_dataclass(kind):
            kind = dagster_config(kind)  # type: ignore[arg-type]  # a dataclass type
        if f.default is not dataclasses.MISSING:
            default: Any = f.default
        elif f.default_factory is not dataclasses.MISSING:
            made = f.default_factory()
            default = kind(**as_dict(made)) if dataclasses.is_dataclass(made) else made
        else:
            default = ...
        fields[f.name] = (kind, default)
    return create_model(model.__name__, __base__=Config, **fields)


if TYPE_CHECKING:
    PipelineConfig = Config  # made below from the model; the type checker sees its base
else:
    PipelineConfig = dagster_config(PipelineSettings)


class ProjectSettings(ConfigurableResource):
    """Paths and the analyst's settings as checked when the definitions were built
    (data/config/pipeline.yaml and OVERGANG_*, the model in overgang/pipeline_settings.py): every
    step of a run sees the same values, shown as typed config with the run in the UI. After editing
    the file, reload the code location (the CLI builds the definitions anew for every run)."""

    home: str
    input_dir: str
    inbox_dir: str
    # None: read and checked when asked (a resource made by hand, e.g. for a sensor in a test).
    pipeline: PipelineConfig | None = None
    # A shared deployment's tenant key (overgang/tenants.py): the NAME of the worker's variable
    # that holds it, or the path of its secret file; never the key, which would be stored with the
    # run. Both empty: OVERGANG_CPR_KEY / OVERGANG_CPR_KEY_FILE, as on one machine.
    cpr_key_env: str = ""
    cpr_key_file: str = ""

    def setup_for_execution(self, context: InitResourceContext) -> None:
        # The kommune reported on is a setting of a tenant's run too (the launchpad edits it). Read
        # for a tenant's run only: on one machine a bad setting is told by the step that reads it.
        tenant = context.dagster_run.tags.get(TENANT_TAG) if context.dagster_run is not None else None
        tenant_run = tenant is not None
        _refuse_another_tenant(
            context,
            paths={"home": self.home, "input folder": self.input_dir, "inbox": self.inbox_dir},
            key=self.key_source() or KeySource(),
            kommune=self.settings().pipeline.municipality.kommune_code if tenant_run else None,
        )
        if tenant_run and (reason := weaker_protection(self.settings().pipeline.small_cell)):
            raise TenantRefused(f"This run of tenant {tenant} {reason}")

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
            pipeline=PipelineConfig.model_validate(as_dict(settings.pipeline)),
        )

    def settings(self) -> Settings:
        from overgang.config import check, load_config

        # Checked again here: the config of a run can be edited in the UI's launchpad.
        pipeline = load_config() if self.pipeline is None else check(self.pipeline.model_dump())
        return Settings(
            home=Path(self.home),
            input_dir=Path(self.input_dir),
            pipeline=pipeline,
            inbox=Path(self.inbox_dir),
            key_source=self.key_source(),
        )


class TenantRefused(ConfigError):
    """A shared deployment's run configured with another tenant's folders or key."""


def weaker_protection(run: SmallCell) -> str | None:
    """Why a shared deployment's run may not use the small-cell settings `run`, or None. The floor
    is the deployment's own data/config/pipeline.yaml (with the worker's OVERGANG_ variables),
    which the operator sets: a run's configuration is edited in the launchpad by whoever may
    launch runs, and a tenant may protect more than the floor, never less. Every field of the
    rule is a minimum, so a smaller value protects less."""
    floor = Settings.load(checked=True).pipeline.small_cell
    weaker = [
        f"{f.name} {getattr(run, f.name)} (the deployment's is {getattr(floor, f.name)})"
        for f in dataclasses.fields(floor)
        if getattr(run, f.name) < getattr(floor, f.name)
    ]
    if not weaker:
        return None
    return (
        f"is configured with less small-cell protection than the deployment: small_cell {', '.join(weaker)}. "
        "Nothing was read or written. A tenant's run may protect more, never less; the floor is "
        "data/config/pipeline.yaml on the workers."
    )


def _refuse_another_tenant(
    context: InitResourceContext, paths: dict[str, str], key: KeySource | None = None, kommune: int | None = None
) -> None:
    """Before a run's resources touch a folder: refused when they belong to another tenant than the
    run's (overgang/tenants.py). Nothing on one machine, where no run names a tenant, nor outside
    a run (a sensor's tick)."""
    if context.dagster_run is None:
        return
    if reason := refusal(dict(context.dagster_run.tags), paths=paths, key=key, kommune=kommune):
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
