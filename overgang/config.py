"""The check of the analyst's settings (the model: overgang/pipeline_settings.py): data/config/pipeline.yaml,
overridden by ``OVERGANG_<KEY>`` environment variables (a nested key with ``__``: OVERGANG_SMALL_CELL__MIN_COUNT=5).

Checked when a command that runs the pipeline starts (``overgang run``, ``overgang load``, the
Dagster definitions): a wrong value stops it at once with the file, the key and what was
expected, instead of failing deep inside a run. Importing pydantic costs 0.1-0.4 s, so the quick
commands (``overgang query``, ``overgang report``) build the same model unchecked and never import
this module.
"""

from __future__ import annotations

import dataclasses
from functools import cache
from pathlib import Path
from types import UnionType
from typing import Any, Union, get_args, get_origin, get_type_hints

from pydantic import TypeAdapter, ValidationError
from pydantic_core import ErrorDetails

from overgang.paths import ConfigError
from overgang.pipeline_settings import CONFIG_FILE, PipelineSettings, read, where

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
    "dataclass_type": "a section of 'key: value' lines",
}


def _field(loc: tuple[str | int, ...]) -> Any:
    """The annotation of the key at `loc` (Annotated, with the bounds it states), or None; an item
    of a list (municipality.peers.0) has its item's."""
    model: Any = PipelineSettings
    info = None
    for part in loc:
        if isinstance(part, int):
            if get_origin(model) is not list:
                return info
            info = model = get_args(model)[0]
            continue
        hints = get_type_hints(model, include_extras=True) if dataclasses.is_dataclass(model) else {}
        if part not in hints:
            return info
        info = model = _present(hints[part])
    return info


def _present(annotation: Any) -> Any:
    """`X | None` as X: the bounds of report_year are those of a year."""
    if get_origin(annotation) in (Union, UnionType):
        return next(a for a in get_args(annotation) if a is not type(None))
    return annotation


def _bounds(info: object) -> str:
    words = []
    for item in getattr(info, "__metadata__", ()):
        for attr, sign in (("ge", "≥"), ("gt", ">"), ("le", "≤"), ("lt", "<")):
            value = getattr(item, attr, None)
            if value is not None:
                words.append(f"{sign} {value}")
    return " and ".join(words)


def _expected(error: ErrorDetails) -> str:
    info = _field(tuple(p for p in error["loc"] if isinstance(p, str | int)))
    kind = _KINDS.get(error["type"])
    if kind is None and info is not None:
        kind = {int: "an integer", float: "a number", str: "text"}.get(getattr(info, "__origin__", info))
    bounds = _bounds(info) if info is not None else ""
    if error["type"] == "missing":
        return "is missing"
    if error["type"] in ("extra_forbidden", "unexpected_keyword_argument"):
        return "is not a setting Overgang knows (a spelling mistake?)"
    if error["type"] == "predicate_failed":  # the one predicate: storage_compatibility_version
        return f"must look like v1.0.0, got {error['input']!r}"
    what = " ".join(w for w in (kind or "", bounds) if w) or error["msg"].lower()
    return f"must be {what}, got {error['input']!r}"


@cache
def _adapter() -> TypeAdapter[PipelineSettings]:
    return TypeAdapter(PipelineSettings)


def check(data: object, path: Path = CONFIG_FILE) -> PipelineSettings:
    """`data` (the file's keys and values) as the checked model; ConfigError naming the file (or
    variable), the key and what was expected, one line per problem."""
    try:
        return _adapter().validate_python(data)
    except ValidationError as err:
        lines = []
        for error in err.errors():
            loc = tuple(p for p in error["loc"] if isinstance(p, str | int))
            key = ".".join(str(p) for p in loc)
            lines.append(f"{where(loc, path)}: {key}: {_expected(error)}")
        raise ConfigError("\n".join(lines)) from None


def load_config(path: Path = CONFIG_FILE) -> PipelineSettings:
    """The checked settings of `path` with the environment over it."""
    return check(read(path), path)
