"""The analyst's settings, data/config/pipeline.yaml, as one typed model: every key, its type,
its bounds and its default are written once, here. What each key means is written beside it in
the file.

The model is plain frozen dataclasses, so that the quick commands (``overgang query``,
``overgang report``) read it without importing pydantic (0.1-0.4 s): ``unchecked`` builds it from
the file as it is. The commands that run the pipeline check it first (overgang/config.py): pydantic
reads the bounds below (annotated_types, which pydantic understands) and refuses a key the model
does not have. Dagster carries the same model as typed resource config (assets/resources.py).

A new setting is one field here (with its default); the reader, the environment variables, the
check, the Dagster resource and its use all follow from it.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, TypeVar, get_type_hints

import yaml
from annotated_types import Ge, Gt, Interval, Predicate

from overgang.paths import DATA_DIR, PROJECT_DIR, ConfigError

CONFIG_FILE = DATA_DIR / "config" / "pipeline.yaml"
ENV_PREFIX = "OVERGANG_"

# Read by pydantic when it checks the model (overgang/config.py): a key the model lacks is refused.
_CHECKED = {"extra": "forbid"}

Share = Annotated[float, Interval(ge=0, le=1)]
KommuneCode = Annotated[int, Interval(ge=101, le=860)]
Year = Annotated[int, Interval(ge=2000, le=2100)]
Version = Annotated[str, Predicate(re.compile(r"v\d+\.\d+\.\d+").fullmatch)]


@dataclass(frozen=True, kw_only=True)
class Municipality:
    __pydantic_config__ = _CHECKED
    kommune_code: KommuneCode
    peers: list[KommuneCode] = field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
class Intake:
    """Limits on a file taken in (inbox, `overgang load`, the sensor)."""

    __pydantic_config__ = _CHECKED
    max_field_bytes: Annotated[int, Ge(1)] = 131072
    max_line_bytes: Annotated[int, Ge(1)] = 1 << 20
    max_xlsx_uncompressed_bytes: Annotated[int, Ge(1)] = 100 << 20
    max_xlsx_rows: Annotated[int, Ge(1)] = 100_000
    max_seconds_per_file: Annotated[float, Gt(0)] = 120.0


@dataclass(frozen=True, kw_only=True)
class SmallCell:
    __pydantic_config__ = _CHECKED
    min_count: Annotated[int, Ge(1)]
    min_denominator: Annotated[int, Ge(1)]


@dataclass(frozen=True, kw_only=True)
class DuckDB:
    __pydantic_config__ = _CHECKED
    memory_limit: str = "600MB"
    threads: Annotated[int, Ge(1)] = 2


@dataclass(frozen=True, kw_only=True)
class PipelineSettings:
    """data/config/pipeline.yaml, in the file's order."""

    __pydantic_config__ = _CHECKED
    municipality: Municipality
    first_year: Year
    report_year: Year | None = None  # None: the newest year in the warehouse
    input_dir: str
    inbox_dir: str | None = None  # None: $OVERGANG_HOME/inbox
    inbox_settle_seconds: Annotated[float, Ge(0)]
    published_sum_tolerance_pp: Annotated[float, Ge(0)]
    max_quarantine_share: Share
    max_shrink_share: Share = 0.2
    max_shrink_share_new_year: Share = 0.5
    intake: Intake = field(default_factory=Intake)
    storage_compatibility_version: Version
    small_cell: SmallCell
    duckdb: DuckDB = field(default_factory=DuckDB)


def _merge(base: dict[str, Any], path: list[str], value: Any) -> None:
    for part in path[:-1]:
        if not isinstance(base.get(part), dict):
            base[part] = {}
        base = base[part]
    if isinstance(value, dict) and isinstance(base.get(path[-1]), dict):
        base[path[-1]] = {**base[path[-1]], **value}  # OVERGANG_SMALL_CELL='{min_count: 7}': the rest stays
    else:
        base[path[-1]] = value


def read(path: Path = CONFIG_FILE) -> dict[str, Any]:
    """The file as it is on disk, with OVERGANG_<KEY> / OVERGANG_<SECTION>__<KEY> over it (a new
    dict each call). A variable counts when its first part names a setting of the model, whether
    the file has that key or leaves it to its default; OVERGANG_HOME and the like are not settings."""
    try:
        config = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as err:
        raise ConfigError(f"{_shown(path)}: could not be read ({err}). Nothing was run.") from None
    if not isinstance(config, dict):
        raise ConfigError(f"{_shown(path)}: is not a list of 'key: value' lines. Nothing was run.")
    keys = {f.name for f in dataclasses.fields(PipelineSettings)}
    for name, text in sorted(os.environ.items()):
        if not name.upper().startswith(ENV_PREFIX):  # overgang_small_cell__min_count counts too
            continue
        parts = name[len(ENV_PREFIX) :].lower().split("__")
        if parts[0] in keys:
            _merge(config, parts, yaml.safe_load(text) if text.strip() else None)
    return config


def _shown(path: Path) -> str:
    return str(path.relative_to(PROJECT_DIR)) if path.is_relative_to(PROJECT_DIR) else str(path)


def where(loc: tuple[str | int, ...], path: Path = CONFIG_FILE) -> str:
    """The environment variable that set the key at `loc`, if one did; else the file."""
    names = {name.upper(): name for name in os.environ}
    for depth in range(len(loc), 0, -1):  # OVERGANG_SMALL_CELL__MIN_COUNT, else OVERGANG_SMALL_CELL (JSON)
        variable = ENV_PREFIX + "__".join(str(p) for p in loc[:depth]).upper()
        if variable in names:
            return names[variable]
    return _shown(path)


T = TypeVar("T")


def unchecked(model: type[T], data: Mapping[str, Any], loc: tuple[str, ...] = (), path: Path = CONFIG_FILE) -> T:
    """`model` built from `data` as it is, sections as their dataclasses and a whole number where
    a number is expected as a float (as the check makes it), no value checked: for the quick
    commands. A key the model lacks is left out; a ConfigError for one it needs and has no default
    for, or a section that is not one (nothing could be read from it)."""
    hints = get_type_hints(model)
    values: dict[str, Any] = {}
    for f in dataclasses.fields(model):  # type: ignore[arg-type]  # T is a dataclass
        at = (*loc, f.name)
        if f.name not in data:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise ConfigError(f"{where(at, path)}: {'.'.join(at)}: is missing")
            continue
        value, kind = data[f.name], hints[f.name]
        if dataclasses.is_dataclass(kind):
            if not isinstance(value, Mapping):
                raise ConfigError(
                    f"{where(at, path)}: {'.'.join(at)}: must be a section of 'key: value' lines, got {value!r}"
                )
            value = unchecked(kind, value, at, path)  # type: ignore[arg-type]  # a dataclass type
        elif kind is float and type(value) is int:
            value = float(value)
        values[f.name] = value
    return model(**values)


def load_unchecked(path: Path = CONFIG_FILE) -> PipelineSettings:
    """The file with the environment over it, as the model, unchecked (overgang/config.py checks)."""
    return unchecked(PipelineSettings, read(path), path=path)


def as_dict(settings: object) -> dict[str, Any]:
    """The model as plain data (sections as dicts), as the file would hold it."""
    found: dict[str, Any] = dataclasses.asdict(settings)  # type: ignore[call-overload]  # a dataclass instance
    return found
