"""Numbers and codes as Danish files write them."""

from __future__ import annotations

import re

import pandas as pd

from intake.sources.areas import area_code


def danish_number(text) -> float:
    """'2.351' -> 2351, '7,3' -> 7.3, '23,7 %' -> 23.7; '..', '-' or '' (a blank cell) -> NaN."""
    text = str(text).strip().rstrip("%").strip().replace("\u00a0", "").replace(" ", "")
    if text in ("", "..", "-", "nan"):
        return float("nan")
    if re.fullmatch(r"-?\d{1,3}(\.\d{3})+(,\d+)?", text) or "," in text:
        text = text.replace(".", "").replace(",", ".")
    try:
        return float(text)
    except ValueError:
        return float("nan")


def numbers(values: pd.Series) -> pd.Series:
    return values.map(danish_number).astype(float)


def whole_numbers(values: pd.Series) -> pd.Series:
    """Whole numbers; anything else (text, 7,5) is missing, for the schema to catch."""
    parsed = numbers(values)
    return parsed.where(parsed.mod(1).eq(0)).astype("Int64")


def areas(values: pd.Series) -> pd.Series:
    """Kommune codes; an area that is no municipality keeps its number (or -1 for a name), so the
    schema's known_area rule, not a missing value, reports it."""

    def code(text):
        found = area_code(text)
        if found is not None:
            return found
        text = str(text).strip()
        return int(text) if text.isdigit() and len(text) <= 6 else (pd.NA if text == "" else -1)

    return values.map(code).astype("Int64")
