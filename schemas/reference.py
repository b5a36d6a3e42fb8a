"""Reference data and configuration tables: their schemas and cached loaders.

These small tables (kommuner, education codes, måltal, goals) are read from ``data/`` and
validated before any rule or report uses them.
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd
import pandera.pandas as pa
import yaml

from overgang.settings import DATA_DIR

# The education groups (søgetal groups) and the måltal levels they count towards. A new group is
# one row in this file, with its Danish labels: the schemas, the søgetal SQL (table
# education_groups) and the data dictionary take it from there.
GROUPS_FILE = DATA_DIR / "config" / "education_groups.csv"
GROUP_COLUMNS = ["group", "label_da", "short_label_da", "target_group", "in_denominator", "sort_order"]


def read_groups(path: Path = GROUPS_FILE) -> list[dict[str, str]]:
    """The rows of the education groups file, in their sort order (read with the csv module:
    it is read when this module is imported, see below)."""
    # utf-8-sig: a byte order mark (Excel's and Notepad's "UTF-8") is not part of the first column's name.
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    missing = [c for c in GROUP_COLUMNS if rows and c not in rows[0]] or ([] if rows else ["(no rows)"])
    codes = [r["group"] for r in rows] if not missing else []
    if (
        missing
        or len(set(codes)) != len(codes)
        or any(r["in_denominator"] not in ("true", "false") for r in rows)
        or any(not (r["sort_order"] or "").strip().isdigit() for r in rows)
    ):
        raise ValueError(
            f"{path}: expected one row per education group with the columns {', '.join(GROUP_COLUMNS)} "
            "(in_denominator true or false, sort_order a whole number, each group once)"
        )
    return sorted(rows, key=lambda r: int(r["sort_order"]))


def group_codes(rows: list[dict[str, str]]) -> list[str]:
    """The education groups, e.g. EUD, GYM, FGU, STU, OEVRIGT, TIENDE."""
    return [r["group"] for r in rows]


def target_groups(rows: list[dict[str, str]]) -> list[str]:
    """The måltal levels the groups count towards, e.g. EUD, GYM, OEVRIGE (in the groups' order)."""
    return list(dict.fromkeys(r["target_group"] for r in rows if r["target_group"]))


def _either(names: list[str]) -> str:
    return names[0] if len(names) < 2 else ", ".join(names[:-1]) + " or " + names[-1]


def education_codes_schema_for(rows: list[dict[str, str]]) -> pa.DataFrameSchema:
    # A group outside the denominator (10. klasse) is named with its label.
    named = [r["group"] if r["in_denominator"] == "true" else f"{r['group']} ({r['short_label_da']})" for r in rows]
    return pa.DataFrameSchema(
        {
            "code": pa.Column(str, unique=True, description="Education code as in the extract."),
            "label_da": pa.Column(str, description="Danish label."),
            "group": pa.Column(
                str,
                pa.Check.isin(group_codes(rows)),
                description=f"Group used for søgetal: {_either(named)}.",
            ),
            "valid_from_year": pa.Column("Int64", nullable=True, description="First application year the code exists."),
            "valid_to_year": pa.Column("Int64", nullable=True, description="Last application year the code exists."),
        },
        name="education_codes",
        strict=True,
        coerce=True,
    )


kommuner_schema = pa.DataFrameSchema(
    {
        "kommune_code": pa.Column(
            int,
            pa.Check.in_range(101, 860),
            unique=True,
            description="Kommune code (3 digits; written 0169 in some sources).",
        ),
        "kommune_name": pa.Column(str, unique=True, description="Kommune name."),
        "region": pa.Column(str, pa.Check.str_startswith("Region "), description="Region the kommune belongs to."),
    },
    checks=pa.Check(lambda df: len(df) == 98, element_wise=False, name="98_municipalities"),
    name="kommuner",
    strict=True,
)


def targets_schema_for(rows: list[dict[str, str]]) -> pa.DataFrameSchema:
    levels = target_groups(rows)
    return pa.DataFrameSchema(
        {
            "kommune_code": pa.Column(int, pa.Check.in_range(101, 860), description="Kommune that set the target."),
            "target_year": pa.Column(
                int, pa.Check.in_range(2000, 2100), description="Application year the target is for."
            ),
            "target_group": pa.Column(str, pa.Check.isin(levels), description=f"Måltal level: {_either(levels)}."),
            "target_pct": pa.Column(float, pa.Check.in_range(0, 100), description="Target share of leavers, percent."),
            "value_basis": pa.Column(
                str,
                pa.Check.isin(["published", "interpolated"]),
                description="Published by the kommune, or interpolated between published values.",
            ),
            "decided_year": pa.Column(int, description="Year the target was decided."),
            "decided_on": pa.Column(
                "datetime64[ns]", nullable=True, description="Date of the decision (meeting date), where known."
            ),
            "decided_by": pa.Column(str, description="Body that set the target."),
            "stated_growth_pp_per_year": pa.Column(
                float,
                nullable=True,
                description="Growth rate stated with the target (percentage points a year), if any.",
            ),
            "source": pa.Column(str, description="Where the target is published."),
        },
        checks=pa.Check(
            lambda df: ~df.duplicated(["kommune_code", "target_year", "target_group", "decided_year", "decided_on"]),
            name="one_target_per_year_group",
        ),
        name="targets",
        strict=True,
        coerce=True,
    )


# pandera fixes a check's allowed values when a schema is built, and the schemas below are
# module-level (the source registry and the analyst views name them): the groups file is the
# one reference file read when this module is imported (a few hundred bytes, no pandas).
GROUPS_ROWS = read_groups()
GROUPS = group_codes(GROUPS_ROWS)
TARGET_GROUPS = target_groups(GROUPS_ROWS)
education_codes_schema = education_codes_schema_for(GROUPS_ROWS)
targets_schema = targets_schema_for(GROUPS_ROWS)

goals_schema = pa.DataFrameSchema(
    {
        "goal_id": pa.Column(str, unique=True, description="Stable identifier of the goal."),
        "scope": pa.Column(str, pa.Check.isin(["kommune", "national"]), description="kommune or national."),
        "kommune_code": pa.Column("Int64", nullable=True, description="Kommune, for a municipal goal."),
        "indicator": pa.Column(str, description="What is measured."),
        "indicator_kind": pa.Column(
            str,
            pa.Check.isin(["projection", "observed", "transition", "application"]),
            description="projection (profilmodel), observed (Danmarks Statistik), transition (overgangsfrekvens) or application (søgetal); never two kinds on one axis.",
        ),
        "target_pct": pa.Column(float, pa.Check.in_range(0, 100), description="Target value, percent."),
        "deadline_year": pa.Column(
            "Int64", nullable=True, description="Year the goal is to be met (empty: no deadline stated)."
        ),
        "or_national_average": pa.Column(
            bool, description="True when the goal is met also by reaching the national average."
        ),
        "set_by": pa.Column(str, description="Body that set the goal."),
        "set_year": pa.Column("Int64", nullable=True, description="Year the goal was set."),
        "valid_from_year": pa.Column("Int64", nullable=True, description="First year the goal applies."),
        "valid_to_year": pa.Column(
            "Int64", nullable=True, description="Last year the goal applied (empty: still in force)."
        ),
        "description_da": pa.Column(str, description="The goal as worded in Danish."),
        "source": pa.Column(str, description="Where the goal is stated."),
    },
    name="goals",
    strict=True,
    coerce=True,
)


@cache
def kommuner() -> pd.DataFrame:
    return kommuner_schema.validate(pd.read_csv(DATA_DIR / "reference" / "kommuner.csv"))


def kommune_codes() -> list[int]:
    return [int(c) for c in kommuner().kommune_code]


@cache
def education_codes() -> pd.DataFrame:
    return education_codes_schema.validate(pd.read_csv(DATA_DIR / "config" / "education_codes.csv", dtype=str))


@cache
def column_map() -> dict[str, Any]:
    mapping: dict[str, Any] = yaml.safe_load((DATA_DIR / "config" / "column_map.yaml").read_text(encoding="utf-8"))
    return mapping


def applicant_type_values(kind: str | None = None) -> list[str]:
    types = column_map()["applicant_types"]
    return [v for k, vs in types.items() if kind in (None, k) for v in vs]


# Columns shared by the tables read from files analysts have (published søgetal, profilmodel).
def area_column(description: str) -> pa.Column:
    """A kommune code, or 0 for the whole country (Hele landet)."""
    return pa.Column(
        "Int64",
        pa.Check.isin(
            [0, *kommune_codes()],
            name="known_area",
            error="area is not one of the 98 municipalities or the whole country",
        ),
        nullable=False,
        description=description,
    )


def percentage_column(description: str, nullable: bool = False) -> pa.Column:
    return pa.Column(
        float,
        pa.Check.in_range(0, 100, name="percentage_range", error="a percentage must be between 0 and 100"),
        nullable=nullable,
        description=description,
    )


def source_columns() -> dict[str, pa.Column]:
    """Where each row was read: the file, and its line (CSV) or sheet row (Excel)."""
    return {
        "source_file": pa.Column(str, description="The file the figures were loaded from."),
        "source_line": pa.Column(int, description="Line (CSV) or row (Excel) in that file."),
    }
