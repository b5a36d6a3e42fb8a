"""The analyst's settings as one typed model: data/config/pipeline.yaml, overridden by
``OVERGANG_<KEY>`` environment variables (a nested key with ``__``: OVERGANG_SMALL_CELL__MIN_COUNT=5).

Checked when a command that runs the pipeline starts (``overgang run``, ``overgang load``, the
Dagster definitions): a wrong value stops it at once with the file, the key and what was
expected, instead of failing deep inside a run. Importing pydantic costs 0.2-0.4 s, so the quick
commands (``overgang query``, ``overgang report``) read the same file without this module
(overgang/settings.py) and never import it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_core import ErrorDetails
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, YamlConfigSettingsSource

from overgang.paths import DATA_DIR, PROJECT_DIR, ConfigError

CONFIG_FILE = DATA_DIR / "config" / "pipeline.yaml"
ENV_PREFIX = "OVERGANG_"

Share = Annotated[float, Field(ge=0, le=1)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Municipality(_Section):
    kommune_code: int = Field(ge=101, le=860)
    peers: list[Annotated[int, Field(ge=101, le=860)]] = []


class Intake(_Section):
    max_field_bytes: int = Field(131072, ge=1)
    max_line_bytes: int = Field(1 << 20, ge=1)
    max_xlsx_uncompressed_bytes: int = Field(100 << 20, ge=1)
    max_xlsx_rows: int = Field(100_000, ge=1)
    max_seconds_per_file: float = Field(120, gt=0)


class SmallCell(_Section):
    min_count: int = Field(ge=1)
    min_denominator: int = Field(ge=1)


class DuckDBConfig(_Section):
    memory_limit: str = "600MB"
    threads: int = Field(2, ge=1)


class PipelineConfig(BaseSettings):
    """data/config/pipeline.yaml: what every key means is written beside it in the file."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, env_nested_delimiter="__", extra="forbid")

    municipality: Municipality
    first_year: int = Field(ge=2000, le=2100)
    report_year: int | None = Field(None, ge=2000, le=2100)
    input_dir: str
    inbox_dir: str | None = None
    inbox_settle_seconds: float = Field(ge=0)
    published_sum_tolerance_pp: float = Field(ge=0)
    max_quarantine_share: Share
    max_shrink_share: Share = 0.2
    max_shrink_share_new_year: Share = 0.5
    intake: Intake = Intake()
    storage_compatibility_version: str = Field(pattern=r"^v\d+\.\d+\.\d+$")
    small_cell: SmallCell
    duckdb: DuckDBConfig = DuckDBConfig()


def _reading(path: Path) -> type[PipelineConfig]:
    """PipelineConfig read from `path`, the environment over the file (no .env files, no secret folders)."""

    class FromFile(PipelineConfig):
        @classmethod
        def settings_customise_sources(
            cls,
            settings_cls: type[BaseSettings],
            init_settings: PydanticBaseSettingsSource,
            env_settings: PydanticBaseSettingsSource,
            dotenv_settings: PydanticBaseSettingsSource,
            file_secret_settings: PydanticBaseSettingsSource,
        ) -> tuple[PydanticBaseSettingsSource, ...]:
            return init_settings, env_settings, YamlConfigSettingsSource(settings_cls, yaml_file=path)

    return FromFile


_KINDS = {
    "int_parsing": "an integer",
    "int_type": "an integer",
    "int_from_float": "an integer",
    "float_parsing": "a number",
    "float_type": "a number",
    "string_type": "text",
    "list_type": "a list",
    "bool_parsing": "true or false",
    "model_type": "a section of 'key: value' lines",
    "dict_type": "a section of 'key: value' lines",
}


def _field(loc: tuple[str, ...]) -> Any:
    """The FieldInfo at `loc`, for the bounds it states."""
    model: Any = PipelineConfig
    info = None
    for part in loc:
        fields = getattr(model, "model_fields", None)
        if not fields or part not in fields:
            return info
        info = fields[part]
        model = info.annotation
    return info


def _bounds(info: object) -> str:
    words = []
    for item in getattr(info, "metadata", []) or []:
        for attr, sign in (("ge", "≥"), ("gt", ">"), ("le", "≤"), ("lt", "<")):
            value = getattr(item, attr, None)
            if value is not None:
                words.append(f"{sign} {value}")
    return " and ".join(words)


def _expected(error: ErrorDetails) -> str:
    loc = tuple(p for p in error["loc"] if isinstance(p, str))
    info = _field(loc)
    kind = _KINDS.get(error["type"])
    if kind is None and info is not None:
        kind = {int: "an integer", float: "a number", str: "text"}.get(info.annotation)
    bounds = _bounds(info) if info is not None else ""
    if error["type"] == "missing":
        return "is missing"
    if error["type"] == "extra_forbidden":
        return "is not a setting Overgang knows (a spelling mistake?)"
    if error["type"] == "string_pattern_mismatch":
        return f"must look like v1.0.0, got {error['input']!r}"
    what = " ".join(w for w in (kind or "", bounds) if w) or error["msg"].lower()
    return f"must be {what}, got {error['input']!r}"


def _where(loc: tuple[str | int, ...], path: Path) -> str:
    """The environment variable that set the key, if one did; else the file."""
    for depth in range(len(loc), 0, -1):  # OVERGANG_SMALL_CELL__MIN_COUNT, else OVERGANG_SMALL_CELL (JSON)
        variable = ENV_PREFIX + "__".join(str(p) for p in loc[:depth]).upper()
        if variable in os.environ:
            return variable
    return str(path.relative_to(PROJECT_DIR)) if path.is_relative_to(PROJECT_DIR) else str(path)


def load_config(path: Path = CONFIG_FILE) -> PipelineConfig:
    """The checked settings; ConfigError naming the file (or variable), the key and what was
    expected, one line per problem."""
    try:
        return _reading(path)()
    except ValidationError as err:
        lines = []
        for error in err.errors():
            loc = tuple(p for p in error["loc"] if isinstance(p, str | int))
            key = ".".join(str(p) for p in loc)
            lines.append(f"{_where(loc, path)}: {key}: {_expected(error)}")
        raise ConfigError("\n".join(lines)) from None
