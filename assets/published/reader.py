"""Reading a published søgetal table (offentliggjorte søgetal), CSV or Excel, long or wide.

Long: one row per area, year, (grade) and group, with `Antal` and/or `Procent`.
Wide: one row per area and year, one column per group (EUD, GYM, Øvrige, ...).
What the figures count comes from the description file beside the table (<name>.yaml) or
from its `Nævner`/`Geografisk grundlag` columns; without it the table is refused, because
a share without its denominator cannot be compared with anything.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from assets.sources.files import description
from assets.sources.quarantine import Failure, split_valid
from assets.sources.tables import FileRejected, SourceTable, frame_of, match_columns, norm, read_rows
from assets.sources.values import areas, numbers, whole_numbers
from schemas.published import DENOMINATORS, published_application_shares_schema
from schemas.reference import column_map

SIDECAR_EXAMPLE = ("denominator: leavers_excl_10th_grade_applicants   # or " + " / ".join(list(DENOMINATORS)[1:]) + "\n"
                   "geography_basis: school                          # or residence\n"
                   "unit: pct                                        # wide tables: pct or count\n"
                   "source: https://...                              # where it was published")


def _lookup(section: str) -> dict[str, str]:
    return {norm(spelling): canonical for canonical, spellings in column_map()[section].items() for spelling in spellings}


def layout(header: list[str]) -> tuple[str, dict[str, int]] | None:
    """'long' or 'wide' with the group columns (wide), or None when this is no søgetal table."""
    spec = column_map()["published_application_shares"]
    known = {norm(s) for entry in spec.values() for s in entry["source"]}
    names = {norm(h) for h in header}
    if not any(norm(s) in names for s in spec["year"]["source"]) or not any(norm(s) in names for s in spec["area"]["source"]):
        return None
    groups = _lookup("published_groups")
    wide = {groups[norm(h)]: i for i, h in enumerate(header) if norm(h) in groups and norm(h) not in known}
    if any(norm(s) in names for s in spec["group"]["source"]):
        return "long", {}
    return ("wide", wide) if len(wide) >= 2 else None


def describe(path: Path, frame_columns: list[str]) -> dict:
    meta = description(path, SIDECAR_EXAMPLE)
    for key in ("denominator", "geography_basis"):
        if key not in meta and key not in frame_columns:
            raise FileRejected(f"{path.name}: a published søgetal table must say its {key.replace('_', ' ')}. "
                               f"Put a file {path.stem}.yaml beside it with:\n{SIDECAR_EXAMPLE}")
    return meta


def read_published(path: Path, tolerance_pp: float) -> tuple[pd.DataFrame, list[Failure]]:
    table = read_rows(path)
    found = layout(table.header)
    if found is None:
        raise FileRejected(f"{path.name}: not a søgetal table: expected a header with area (Kommune), year (År) and "
                           "either a group column (Uddannelsesgruppe) or one column per group (EUD, GYM, Øvrige).")
    kind, group_columns = found
    spec = {k: v for k, v in column_map()["published_application_shares"].items() if not (kind == "wide" and k == "group")}
    columns = match_columns(table.header, spec, path.name, "a published søgetal table")
    meta = describe(path, list(columns))
    raw = _wide_to_long(table, columns, group_columns, meta, path) if kind == "wide" else frame_of(table, columns)
    frame = pd.DataFrame({
        "year": whole_numbers(raw["year"]),
        "kommune_code": areas(raw["area"]),
        "grade": raw["grade"].map(lambda g: _lookup("published_grades").get(norm(g), g)) if "grade" in raw
        else str(meta.get("grade", "9+10")),
        "education_group": raw["group"].map(lambda g: _lookup("published_groups").get(norm(g), g)),
        "applicants": whole_numbers(raw["count"]) if "count" in raw else pd.NA,
        "share_pct": numbers(raw["pct"]) if "pct" in raw else float("nan"),
        "denominator_definition": raw["denominator"] if "denominator" in raw else meta.get("denominator"),
        "geography_basis": raw["geography_basis"] if "geography_basis" in raw else meta.get("geography_basis"),
        "source_file": path.name,
        "source_line": raw["source_line"],
        "source": str(meta.get("source", "")) or None,
    })
    valid, failures = split_valid(frame, published_application_shares_schema(), path.name, raw.rename(
        columns={"area": "kommune_code", "group": "education_group", "count": "applicants", "pct": "share_pct"}))
    return _sum_to_100(valid, failures, tolerance_pp)


def _wide_to_long(table: SourceTable, columns: dict[str, int], group_columns: dict[str, int], meta: dict, path: Path) -> pd.DataFrame:
    unit = str(meta.get("unit", "")).lower()
    if unit not in ("pct", "count"):
        raise FileRejected(f"{path.name}: a table with one column per group must say whether the figures are "
                           f"percentages or counts: add 'unit: pct' or 'unit: count' to {path.stem}.yaml.")
    base = frame_of(table, columns)
    parts = []
    for group, position in group_columns.items():
        part = base.copy()
        part["group"] = group
        part["pct" if unit == "pct" else "count"] = [r[position] if position < len(r) else "" for r in table.rows]
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def _sum_to_100(valid: pd.DataFrame, failures: list[Failure], tolerance_pp: float) -> tuple[pd.DataFrame, list[Failure]]:
    """Published percentages are rounded: the groups of one area, year and grade must add up to
    100 within the tolerance, or the table (or our reading of it) is wrong."""
    shares = valid[valid["share_pct"].notna()]
    keys = ["year", "kommune_code", "grade", "denominator_definition", "geography_basis"]
    sums = shares.groupby(keys)["share_pct"].agg(["sum", "count"])
    off = sums[(sums["sum"] - 100).abs() > tolerance_pp + 1e-9]
    if off.empty:
        return valid, failures
    bad = shares.merge(off.reset_index(), on=keys)
    for r in bad.itertuples():
        failures.append(Failure(r.source_file, int(r.source_line), "share_pct", f"{r.share_pct:g}", "shares_sum_to_100",
                                f"the {r.count} groups of this area, year and grade add up to {r.sum:.1f} %, not 100 "
                                f"(± {tolerance_pp}); a group is missing or a figure is mistyped", int(r.year)))
    dropped = set(zip(bad["source_line"], bad["education_group"]))
    keep = [(line, group) not in dropped for line, group in zip(valid["source_line"], valid["education_group"])]
    return valid[keep], failures

