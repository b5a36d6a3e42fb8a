"""Reading StatBank files downloaded by hand: Windows-1252 or UTF-8, with or without a header
row, Danish number formats (2.351 / 7,3), areas named in Danish ("Hele landet" = 0)."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from overgang.encoding import inspect
from schemas.reference import kommuner

NATIONAL = "Hele landet"


def danish_number(text: str) -> float:
    """'2.351' -> 2351, '7,3' -> 7.3, '..' or '' (StatBank's blank) -> NaN."""
    text = str(text).strip()
    if text in ("", "..", "-"):
        return float("nan")
    if re.fullmatch(r"-?\d{1,3}(\.\d{3})+(,\d+)?", text) or "," in text:
        text = text.replace(".", "").replace(",", ".")
    return float(text)


def area_codes(areas: pd.Series) -> pd.Series:
    """Kommune code for each area name; 0 for the whole country; NA for anything else."""
    codes = dict(zip(kommuner().kommune_name, kommuner().kommune_code)) | {NATIONAL: 0}
    return areas.str.strip().map(codes).astype("Int64")


def read_statbank(path: Path, spec: dict) -> pd.DataFrame:
    """One row per area and period with the spec's measure columns as numbers."""
    text = inspect(path)
    frame = pd.read_csv(path, sep=spec.get("delimiter", ";"), header=0 if spec.get("header") else None,
                        names=spec["columns"], dtype=str, encoding=text.encoding, keep_default_na=False)
    for measure in spec["measures"]:
        frame[measure] = frame[measure].map(danish_number)
    frame["year"] = frame["year"].astype(int)
    frame["kommune_code"] = area_codes(frame["area"])
    frame["source_line"] = range(2 if spec.get("header") else 1, len(frame) + (2 if spec.get("header") else 1))
    return frame
