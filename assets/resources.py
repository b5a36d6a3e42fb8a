"""Resources shared by the assets: the working DuckDB database and the project settings."""

from __future__ import annotations

import json
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pandas as pd
import pandera.pandas as pa
from dagster import ConfigurableResource, TableColumn, TableSchema
from dagster_duckdb import DuckDBResource

from overgang.settings import Settings

# Every asset that writes the warehouse runs in this pool; dagster.yaml gives it limit 1,
# because DuckDB allows one writing process per file.
DUCKDB_POOL = "duckdb_warehouse"


class WorkDatabase(DuckDBResource):
    """DuckDBResource whose connection is closed however the block ends. dagster_duckdb closes it
    only when the block ends normally: after a file was rejected inside it, the working database
    stayed open in the process, and the next publish in that process (`overgang load` runs the
    main job, then the sources job) failed with "Unique file handle conflict"."""

    @contextmanager
    def get_connection(self):
        # Made here, not when the definitions are built: loading them must not create folders.
        Path(self.database).parent.mkdir(parents=True, exist_ok=True)
        inner = super().get_connection()
        con = inner.__enter__()
        try:
            yield con
        finally:
            con.close()


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
        )


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
    con.execute(f'CREATE OR REPLACE TABLE "{name}" AS SELECT * FROM _frame')
    con.unregister("_frame")
    return len(frame)
