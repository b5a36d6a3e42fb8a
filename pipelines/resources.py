"""Resources shared by the assets: the working DuckDB database and the project settings."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
from dagster import ConfigurableResource

from overgang.settings import Settings

# Every asset that writes the warehouse runs in this pool; dagster.yaml gives it limit 1,
# because DuckDB allows one writing process per file.
DUCKDB_POOL = "duckdb_warehouse"


class ProjectSettings(ConfigurableResource):
    """Paths and analyst settings (data/config/pipeline.yaml, overridable by environment)."""

    home: str
    input_dir: str
    inbox_dir: str

    @classmethod
    def from_settings(cls, settings: Settings) -> "ProjectSettings":
        return cls(home=str(settings.home), input_dir=str(settings.input_dir), inbox_dir=str(settings.inbox_dir))

    def settings(self) -> Settings:
        base = Settings.load()
        return Settings(home=Path(self.home), input_dir=Path(self.input_dir), config=base.config,
                        inbox=Path(self.inbox_dir))


def write_table(con: duckdb.DuckDBPyConnection, name: str, frame: pd.DataFrame) -> int:
    con.register("_frame", frame)
    con.execute(f'CREATE OR REPLACE TABLE "{name}" AS SELECT * FROM _frame')
    con.unregister("_frame")
    return len(frame)
