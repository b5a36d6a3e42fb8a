"""Targets and goals an analyst keeps as CSV or YAML (måltal, målsætninger), read with the line
of every row so that a mistake is reported where the analyst can find it."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pandera.pandas as pa
import yaml

from intake.sources.quarantine import Failure, refuse_when_nothing_loads, split_valid
from intake.sources.tables import FileRejected, Seen, frame_of, match_columns, norm, read_rows

TRUE = {"true", "ja", "j", "yes", "1", "sand"}
FALSE = {"false", "nej", "n", "no", "0", "falsk"}


def yaml_error_line(err: Exception) -> str:
    """Where a YAML error is (' at line N'), without the parser's message, which quotes the file."""
    mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
    return f" (a syntax error at line {mark.line + 1})" if mark is not None else ""


def _yaml_rows(path: Path, section: str) -> pd.DataFrame:
    text = path.read_text(encoding="utf-8-sig")
    try:
        node = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise FileRejected(f"{path.name}: not valid YAML{yaml_error_line(err)}.") from None
    if node is None or not isinstance(data, dict) or not isinstance(data.get(section), list):
        raise FileRejected(f"{path.name}: expected a list under '{section}:' (one entry per {section[:-1]}).")
    items = next(v for k, v in node.value if k.value == section).value
    rows = []
    for item, record in zip(items, data[section]):
        if not isinstance(record, dict):
            raise FileRejected(
                f"{path.name}, line {item.start_mark.line + 1}: each entry under '{section}:' must be "
                "a set of 'key: value' pairs."
            )
        rows.append(
            {k: "" if v is None else str(v) for k, v in record.items()} | {"source_line": item.start_mark.line + 1}
        )
    return pd.DataFrame(rows, dtype=str)


def read_config_table(path: Path, schema: pa.DataFrameSchema, section: str) -> tuple[pd.DataFrame, list[Failure]]:
    """Rows of a targets or goals file (CSV with the schema's column names, or YAML) that pass
    the schema, and the failures (file, line, column, value, rule)."""
    spec = {name: {"source": [name], "optional": column.nullable} for name, column in schema.columns.items()}
    if path.suffix.lower() in (".yaml", ".yml"):
        raw = _yaml_rows(path, section)
        unknown = set(raw.columns) - set(spec) - {"source_line"}
        if unknown:
            # The keys themselves are not quoted: a reason is kept and shown, and a key may be anything.
            lines = sorted(set(raw.loc[raw[sorted(unknown)].notna().any(axis=1), "source_line"].astype(int)))
            where = f" (in the entries at line {', '.join(map(str, lines))})" if lines else ""
            raise FileRejected(
                f"{path.name}: {len(unknown)} key(s) that Overgang does not know{where}; the keys are "
                f"{', '.join(spec)} (see docs/data_dictionary.md, analyst.{section})."
            )
        match_columns(list(raw.columns), spec, path.name, section)
    else:
        table = read_rows(path)
        raw = frame_of(table, match_columns(table.header, spec, path.name, section))
    frame = raw.replace({"": None})
    for name, column in schema.columns.items():
        if name not in frame:
            frame[name] = None
        elif str(column.dtype) == "bool":
            frame[name] = frame[name].map(
                lambda v: True if str(v).lower() in TRUE else False if str(v).lower() in FALSE else v
            )
    frame = frame[[*schema.columns, "source_line"]]
    checked = schema.add_columns({"source_line": pa.Column(int)})
    valid, failures = split_valid(frame, checked, path.name, raw)
    for failure in failures:
        failure.message = f"{failure.message} ({section})"
    return valid, failures


def read(path: Path, source, settings) -> tuple[pd.DataFrame, list[Failure]]:
    """The registry's reader for a configuration table (schemas/sources.py: targets, goals)."""
    return read_config_table(path, source.frame_schema(), source.name)


def recognise(seen: Seen, source) -> str | None:
    """A CSV or .xlsx whose header holds every required column of the source's schema."""
    schema = source.frame_schema()
    required = [c for c, col in schema.columns.items() if not col.nullable]
    if not all(norm(c) in {norm(h) for h in seen.header} for c in required):
        return None
    frame, failures = read_config_table(seen.path, schema, source.name)
    refuse_when_nothing_loads(seen.path.name, frame, failures, "rows")
    return f"{source.kind}, {len(frame)} rows"
