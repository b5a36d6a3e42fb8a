"""Loading one kind of small source: every file read and checked, the table and its quarantine
rows written together."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pandera.pandas as pa
from dagster import AssetExecutionContext, MaterializeResult, MetadataValue
from dagster_duckdb import DuckDBResource

from assets.resources import write_table
from intake.sources.quarantine import Failure, replace_quarantine, withhold_cpr


def later_wins(frames: list[pd.DataFrame], key: list[str]) -> pd.DataFrame:
    """The files' rows in reading order; where two give the same `key`, the later file's row
    is kept, so a correction replaces what it corrects."""
    return pd.concat(frames, ignore_index=True).drop_duplicates(key, keep="last")


def load_source(
    context: AssetExecutionContext,
    duckdb: DuckDBResource,
    table: str,
    paths: list[Path],
    read: Callable[[Path], tuple[pd.DataFrame, list[Failure]]],
    schema: pa.DataFrameSchema,
    key: list[str],
    finish: Callable[[pd.DataFrame], pd.DataFrame] | None = None,
) -> MaterializeResult:
    """Read `paths` in order with `read` (rows that passed, and failures); where two files give
    the same `key`, the later file's row wins, so a correction replaces what it corrects.
    `finish` derives columns from all files' rows together (e.g. which publication is current).
    The table has exactly the schema's columns, and is created empty when there is no file."""
    frames, failures = [], []
    for path in paths:
        frame, failed = read(path)
        frame, withheld = withhold_cpr(frame, path.name)
        failed = failed + withheld
        frames.append(frame)
        failures.extend(failed)
        context.log.info(f"{path.name}: {len(frame)} rows, {len(failed)} in quarantine")
    if frames:
        result = later_wins(frames, key)
    else:
        result = pd.DataFrame({name: pd.Series(dtype="object") for name in schema.columns})
    if finish is not None:
        result = finish(result)
    result = schema.validate(result[list(schema.columns)])
    with duckdb.get_connection() as con:
        write_table(con, table, result)
        replace_quarantine(con, table, failures, context.run.run_id)
    by_rule = pd.Series([f.rule for f in failures], dtype="object").value_counts().to_dict()
    return MaterializeResult(
        metadata={
            "rows": len(result),
            "quarantined": len(failures),
            "quarantined_by_rule": MetadataValue.json(by_rule),
            "files": ", ".join(p.name for p in paths),
        }
    )
