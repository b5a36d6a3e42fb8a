"""Reading StatBank files downloaded by hand: Windows-1252 or UTF-8, with or without a header
row, statuses or years as columns or one row per figure, Danish number formats (2.351 / 7,3),
areas named in Danish ("Hele landet" = 0). Layouts are listed in data/config/statbank.yaml.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pandas as pd
import yaml

from intake.sources.areas import area_code
from intake.sources.files import description, yes
from intake.sources.quarantine import Failure
from intake.sources.tables import FileRejected, Seen, SourceTable, norm, read_rows
from intake.sources.values import numbers
from overgang.settings import DATA_DIR
from schemas.completion import STATUSES, completion_wide_schema

YEAR = re.compile(r"^\d{4}$")


@cache
def config() -> dict:
    return yaml.safe_load((DATA_DIR / "config" / "statbank.yaml").read_text(encoding="utf-8"))


def _statuses(table: str) -> dict[str, str]:
    spec = config()["tables"][table]["statuses"]
    return {norm(label): status for status, labels in spec.items() for label in labels}


DESCRIPTION_EXAMPLE = (
    "table: STATUSU6                      # a table pinned in data/config/statbank.yaml\n"
    "columns: [status, area]               # the file's first columns, in order\n"
    "years: [2020, 2021, 2022, 2023, 2024] # the columns after them, one per year\n"
    "filter: {uddannelse: I alt}           # optional: keep rows where another column says this"
)


def described_layout(path: Path) -> dict | None:
    """The layout a description beside the file (<name>.yaml) gives, or None without one.

    A hand export without a header cannot say which variables its columns hold; its description
    can: the table, the variables in order (status, area, year, value, or another variable of the
    table to filter on) and, for years as columns, which years."""
    meta = description(path, DESCRIPTION_EXAMPLE)
    if "table" not in meta:
        return None
    table = str(meta["table"]).upper()
    if table not in config()["tables"]:
        raise FileRejected(
            f"{path.name}: its description names table {table}, which is not pinned in "
            f"data/config/statbank.yaml (pinned: {', '.join(config()['tables'])})."
        )
    columns = meta.get("columns")
    years = [str(y) for y in meta.get("years") or []]
    filters = meta.get("filter") or {}
    if (
        not isinstance(columns, list)
        or not {"status", "area"} <= set(map(str, columns))
        or not isinstance(filters, dict)
        or not all(YEAR.match(y) for y in years)
    ):
        raise FileRejected(
            f"{path.name}: its description must name the columns in order (with status and area) and "
            f"the years of the year columns, e.g.\n{DESCRIPTION_EXAMPLE}"
        )
    columns = [str(c) for c in columns]
    if set(filters) - set(columns):
        raise FileRejected(
            f"{path.name}: its description filters on {', '.join(sorted(set(filters) - set(columns)))}, "
            f"which is not one of its columns ({', '.join(columns)})."
        )
    if len(set(years)) != len(years):
        raise FileRejected(f"{path.name}: its description lists a year more than once ({', '.join(years)}).")
    kind = "years_as_columns" if years else ("long" if "value" in columns else "statuses_as_columns")
    if kind != "years_as_columns" and "year" not in columns:
        raise FileRejected(
            f"{path.name}: its description gives no year: a 'year' column or a list of years, e.g.\n"
            f"{DESCRIPTION_EXAMPLE}"
        )
    return {
        "name": f"described in {path.stem}.yaml",
        "table": table,
        "kind": kind,
        "header": yes(meta.get("header"), "header", path),
        "columns": columns,
        "years": years,
        "filter": {str(k): str(v) for k, v in filters.items()},
    }


def match_layout(path: Path) -> tuple[dict, SourceTable] | None:
    """The layout the file's description gives, else the first layout in the configuration the
    file fits, with the file read by it (at most twice: with and without a header row)."""
    if (described := described_layout(path)) is not None:
        return described, read_rows(path, header=described["header"])
    readings: dict[bool, SourceTable] = {}
    for layout in config()["layouts"]:
        if layout["header"] not in readings:
            readings[layout["header"]] = read_rows(path, header=layout["header"])
        table = readings[layout["header"]]
        if not table.rows:
            continue
        first = table.rows[0]
        columns = layout["columns"]
        if layout["kind"] == "years_as_columns":
            years = table.header[len(columns) :]
            if (
                layout["header"]
                and years
                and all(YEAR.match(y) for y in years)
                and norm(first[0]) in _statuses(layout["table"])
            ):
                return layout, table
            continue
        if len(first) != len(columns):
            continue
        if layout["header"] and [norm(h) for h in table.header] != [norm(h) for h in layout.get("header_names", [])]:
            continue
        named = dict(zip(columns, first))
        if YEAR.match(named.get("year", "")) and area_code(named["area"]) is not None:
            return layout, table
    return None


def read_statbank(path: Path) -> tuple[pd.DataFrame, dict]:
    """One row per area and year, a column per status (persons), with `source_line`."""
    found = match_layout(path)
    if found is None:
        names = ", ".join(layout["name"] for layout in config()["layouts"])
        raise FileRejected(
            f"{path.name}: not a StatBank table in a known layout ({names}; see "
            'data/config/statbank.yaml). Expected e.g. "I alt","2024","Hele landet",601166,...'
        )
    layout, table = found
    statuses = _statuses(layout["table"])
    columns = layout["columns"]
    if layout["kind"] == "statuses_as_columns":
        wide = pd.DataFrame([r[: len(columns)] for r in table.rows], columns=columns, dtype=str)
        wide["source_line"] = table.lines
    else:
        at = {name: i for i, name in enumerate(columns)}
        rows = [
            (r, line)
            for r, line in zip(table.rows, table.lines)
            if all(
                len(r) > at[var] and norm(r[at[var]]) == norm(label) for var, label in layout.get("filter", {}).items()
            )
        ]
        if layout.get("filter") and not rows:
            raise FileRejected(
                f"{path.name}: no row has what the filter of its description asks for "
                f"({', '.join(f'{k}: {v}' for k, v in layout['filter'].items())})."
            )
        if layout["kind"] == "years_as_columns":
            years = layout.get("years") or table.header[len(columns) :]
            if layout.get("years") and layout["header"] and table.header[len(columns) :] != years:
                raise FileRejected(
                    f"{path.name}: the header's years ({', '.join(table.header[len(columns) :])}) are not the "
                    f"years its description lists ({', '.join(years)})."
                )
            for r, line in rows:
                if len(r) != len(columns) + len(years):
                    raise FileRejected(
                        f"{path.name}: line {line} has {len(r)} fields, but the layout "
                        f"({layout['name']}) has {len(columns)} columns and {len(years)} years."
                    )
            records = [
                (r[at["status"]], r[at["area"]], year, r[len(columns) + i], line)
                for r, line in rows
                for i, year in enumerate(years)
            ]
        else:
            records = [(r[at["status"]], r[at["area"]], r[at["year"]], r[at["value"]], line) for r, line in rows]
        long = pd.DataFrame(records, columns=["status", "area", "year", "value", "source_line"])
        long["status"] = long["status"].map(lambda s: statuses.get(norm(s), s))
        unknown = long[~long["status"].isin(set(statuses.values()))]
        if not unknown.empty:
            # Named by line, not quoted: a reason is kept and shown, and a label may be anything.
            lines = sorted(set(unknown["source_line"]))
            raise FileRejected(
                f"{path.name}: the status on line(s) {', '.join(map(str, lines[:10]))} is not one Overgang "
                f"knows for {layout['table']}; add its spelling under tables.{layout['table']}.statuses "
                "in data/config/statbank.yaml."
            )
        repeated = long[long.duplicated(["status", "area", "year"], keep=False)]
        if not repeated.empty:
            # A further variable (sex, education) left unfiltered: keeping one row would keep any.
            raise FileRejected(
                f"{path.name}: lines {', '.join(map(str, sorted(set(repeated['source_line']))[:6]))} give "
                "the same status, area and year more than once: the file has a further variable. Name "
                "it in the description's columns and keep its total with a filter, e.g. filter: {køn: I alt}."
            )
        wide = long.pivot_table(index=["year", "area"], columns="status", values="value", aggfunc="first").reset_index()
        wide["source_line"] = long.groupby(["year", "area"])["source_line"].min().values
    measures = list(config()["tables"][layout["table"]]["statuses"])
    for measure in measures:
        wide[measure] = numbers(wide[measure]) if measure in wide else float("nan")
    wide["year"] = pd.to_numeric(wide["year"], errors="coerce").astype("Int64")
    wide["kommune_code"] = wide["area"].map(area_code).astype("Int64")
    return wide, layout


def read(path: Path, source, settings) -> tuple[pd.DataFrame, list[Failure]]:
    """The registry's reader: one row per table, year, kommune and status (persons and share);
    areas that are not a municipality or 'Hele landet' (e.g. Christiansø) are held back."""
    wide, layout = read_statbank(path)
    table = config()["tables"][layout["table"]]
    unknown = wide[wide["kommune_code"].isna()]
    failures = [
        Failure(
            path.name,
            int(r.source_line),
            "area",
            r.area,
            "known_area",
            "area is not a municipality or 'Hele landet' (e.g. Christiansø)",
            None if pd.isna(r.year) else int(r.year),
        )
        for r in unknown.itertuples()
    ]
    wide = completion_wide_schema.validate(wide[wide["kommune_code"].notna()], lazy=True)
    long = wide.melt(
        id_vars=["year", "kommune_code", "area"],
        value_vars=["total", *STATUSES],
        var_name="status",
        value_name="persons",
    )
    totals = wide[["year", "kommune_code", "total"]].rename(columns={"total": "all_persons"})
    long = long.merge(totals, on=["year", "kommune_code"])
    long["share_pct"] = (100 * long["persons"] / long["all_persons"].where(long["all_persons"] > 0)).astype(float)
    long = long.rename(columns={"area": "area_name"}).assign(
        table_code=layout["table"],
        age_group=table["age_group"],
        geography_basis=table["geography_basis"],
        source_file=path.name,
    )
    return long, failures


def recognise(seen: Seen, source) -> str | None:
    # Headerless hand exports have no column names to go by: only a layout of statbank.yaml tells.
    if seen.path.suffix.lower() == ".xlsx" or match_layout(seen.path) is None:
        return None
    frame, layout = read_statbank(seen.path)
    return f"StatBank {layout['table']} ({layout['name']}), {len(frame)} areas and years"
