"""Reading profilmodel results (the ministry's projections) an analyst has as CSV or Excel."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from intake.sources.files import description
from intake.sources.quarantine import Failure, refuse_when_nothing_loads, split_valid
from intake.sources.tables import FileRejected, Seen, frame_of, match_columns, read_rows
from intake.sources.values import areas, numbers, whole_numbers
from schemas.profilmodel import profilmodel_schema
from schemas.reference import column_map


def read_profilmodel(path: Path) -> tuple[pd.DataFrame, list[Failure]]:
    table = read_rows(path)
    columns = match_columns(table.header, column_map()["profilmodel"], path.name, "profilmodel results")
    meta = description(path, "vintage: 2023        # which year's profilmodel the figures come from")
    raw = frame_of(table, columns)
    if "vintage" not in raw and "vintage" not in meta:
        raise FileRejected(
            f"{path.name}: profilmodel results must say which year's profilmodel they come from "
            f"(back-series change every year): add a column 'Profilmodel' or a file {path.stem}.yaml "
            "beside it with 'vintage: 2023'."
        )
    frame = pd.DataFrame(
        {
            "vintage": raw["vintage"] if "vintage" in raw else str(meta["vintage"]),
            "kommune_code": areas(raw["area"]),
            "cohort": whole_numbers(raw["cohort"]),
            "horizon_years": whole_numbers(raw["horizon_years"]),
            "projected_pct": numbers(raw["pct"]),
            "source_file": path.name,
            "source_line": raw["source_line"],
        }
    )
    return split_valid(
        frame, profilmodel_schema, path.name, raw.rename(columns={"area": "kommune_code", "pct": "projected_pct"})
    )


def read(path: Path, source, settings) -> tuple[pd.DataFrame, list[Failure]]:
    """The registry's reader (schemas/sources.py)."""
    return read_profilmodel(path)


def recognise(seen: Seen, source) -> str | None:
    # Three of its column names, and more of them than of any other kind's.
    if seen.best != source.kind or seen.best_score < 3:
        return None
    frame, failures = read_profilmodel(seen.path)
    refuse_when_nothing_loads(seen.path.name, frame, failures, "rows")
    return f"profilmodel results, {len(frame)} rows"
