"""Where things are, and the analyst's settings from ``data/config/pipeline.yaml``.

Every path can be moved with an environment variable so that tests, benchmarks and a
municipality's own installation each get their own warehouse without touching code:

- ``OVERGANG_HOME``: working folder for the warehouse, reports and Dagster's own storage
  (default ``var/`` in the project folder).
- ``OVERGANG_INPUT_DIR``: folder of Optagelse.dk extracts (default: the shipped sample).
- ``OVERGANG_INBOX``: the inbox folder analysts drop files into (default ``$OVERGANG_HOME/inbox``).
- ``OVERGANG_CPR_KEY`` / ``OVERGANG_CPR_KEY_FILE``: the key for pseudonymising CPR numbers.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from overgang import pipeline_settings
from overgang.paths import DATA_DIR, PROJECT_DIR, SAMPLE_DIR, ConfigError
from overgang.pipeline_settings import PipelineSettings

if TYPE_CHECKING:
    from overgang.tenants import KeySource

__all__ = ["DATA_DIR", "PROJECT_DIR", "SAMPLE_DIR", "ConfigError", "PipelineSettings", "Settings", "series_break_year"]


def series_break_year(series: str = "application_shares") -> int:
    """The year a series changed definition (data/reference/series_breaks.csv): for søgetal, 2023,
    when 'direkte fra skole' became 'enrolled at the moment of application'. Read with the csv
    module: the report, which uses it too, stays free of pandas at start."""
    import csv

    with (DATA_DIR / "reference" / "series_breaks.csv").open(encoding="utf-8", newline="") as f:
        return next(int(row["year"]) for row in csv.DictReader(f) if row["series"] == series)


def series_break_years(series: str) -> tuple[int, ...]:
    """Every year `series` changed definition (data/reference/series_breaks.csv), oldest first;
    none for a series the file does not name. A projection never crosses one."""
    import csv

    with (DATA_DIR / "reference" / "series_breaks.csv").open(encoding="utf-8", newline="") as f:
        return tuple(sorted(int(row["year"]) for row in csv.DictReader(f) if row["series"] == series))


def _resolve(path: str | os.PathLike[str]) -> Path:
    p = Path(path).expanduser()
    return p if p.is_absolute() else (PROJECT_DIR / p)


@dataclass(frozen=True)
class Settings:
    home: Path
    input_dir: Path
    pipeline: PipelineSettings  # data/config/pipeline.yaml (overgang/pipeline_settings.py)
    inbox: Path | None = None  # None: OVERGANG_INBOX, else inbox_dir in pipeline.yaml
    # A shared deployment's tenant (overgang/tenants.py): its own key, and no other. None: the key
    # of OVERGANG_CPR_KEY / OVERGANG_CPR_KEY_FILE, as on one machine.
    key_source: KeySource | None = None

    @classmethod
    def load(cls, checked: bool = False) -> Settings:
        """`checked`: every key validated (overgang/config.py, pydantic), ConfigError naming a bad
        one; for the commands that run the pipeline. Unchecked: the same model built from the file
        as it is, for the quick commands (query, report), which must not pay pydantic's import."""
        if checked:
            from overgang.config import load_config

            pipeline = load_config()
        else:
            pipeline = pipeline_settings.load_unchecked()
        home = _resolve(os.environ.get("OVERGANG_HOME", "var"))
        input_dir = _resolve(os.environ.get("OVERGANG_INPUT_DIR", pipeline.input_dir))
        return cls(home=home, input_dir=input_dir, pipeline=pipeline)

    def with_input_dir(self, folder: Path) -> Settings:
        """These settings with `folder` as the input folder, as OVERGANG_INPUT_DIR would give it
        (the model's input_dir too, which the sources' fingerprints include): for `--input`."""
        folder = _resolve(folder)
        return replace(self, input_dir=folder, pipeline=replace(self.pipeline, input_dir=str(folder)))

    # The working database is what assets write to during a run; the published one is a
    # finished copy that analysts and the report read (replaced atomically at the end).
    @cached_property
    def work_db(self) -> Path:
        return self.home / "work" / "overgang.duckdb"

    @cached_property
    def warehouse(self) -> Path:
        return self.home / "warehouse" / "overgang.duckdb"

    @cached_property
    def publication_dir(self) -> Path:
        """The publication set: protected figures only (assets/warehouse/publication.py). The
        warehouse above is internal and unsuppressed."""
        return self.home / "publication"

    @cached_property
    def reports_dir(self) -> Path:
        return self.home / "reports"

    @cached_property
    def inbox_dir(self) -> Path:
        if self.inbox is not None:
            return self.inbox
        configured = os.environ.get("OVERGANG_INBOX") or self.pipeline.inbox_dir
        # Default: inside OVERGANG_HOME, so each home has its own inbox and ledger.
        return _resolve(configured) if configured else self.home / "inbox"

    @cached_property
    def dagster_home(self) -> Path:
        return self.home / "dagster"


def prepare_dagster_home(settings: Settings) -> Path:
    """Point DAGSTER_HOME at the project's instance folder, with the repo's dagster.yaml in it."""
    home = Path(os.environ.get("DAGSTER_HOME") or settings.dagster_home)
    home.mkdir(parents=True, exist_ok=True)
    target = home / "dagster.yaml"
    source = PROJECT_DIR / "dagster.yaml"
    if not target.exists() or target.read_bytes() != source.read_bytes():
        target.write_bytes(source.read_bytes())
    os.environ["DAGSTER_HOME"] = str(home)
    return home
