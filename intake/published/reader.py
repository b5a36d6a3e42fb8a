"""Reading a published søgetal table (offentliggjorte søgetal), CSV or Excel, as it was written.

Long: one row per area, year, (grade) and group, with `Antal` and/or `Procent`.
Wide: one row per area and year, one column per group (EUD, GYM, Øvrige, ...).
Groups by years: one row per group, one column per year, as municipal web pages print it,
often with the area only in a title line above the table ("Søgetal for Høje-Taastrup Kommune").
Three-way tables (EUD, GYM, Øvrige) and five-way tables (EUD, GYM, FGU, STU, Øvrigt) keep
their own "other" group (OEVRIGE against OEVRIGT); a label no group is known by stops the file.
What the figures count comes from the description file beside the table (<name>.yaml) or
from its `Nævner`/`Geografisk grundlag` columns; without it the table is refused, because
a share without its denominator cannot be compared with anything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd

from intake.sources.areas import NATIONAL_NAMES, area_code
from intake.sources.files import description, yes
from intake.sources.quarantine import Failure, refuse_when_nothing_loads, split_valid
from intake.sources.tables import FileRejected, Seen, SourceTable, frame_of, match_columns, norm, read_rows
from intake.sources.values import areas, numbers, whole_numbers
from schemas.published import DENOMINATORS, published_application_shares_schema
from schemas.reference import column_map, kommuner

SIDECAR_EXAMPLE = (
    "denominator: leavers_excl_10th_grade_applicants   # or " + " / ".join(list(DENOMINATORS)[1:]) + "\n"
    "geography_basis: school                          # or residence\n"
    "unit: pct                                        # pct or count (a '%' in the figures says pct)\n"
    "area: Høje-Taastrup                              # when the table has no area column\n"
    "grade: 9+10                                      # when the table has no grade column\n"
    "rounded: true                                    # keep groups that do not add up to 100\n"
    "source: https://...                              # where it was published\n"
    "published: 2024-06-01                            # when (the later publication of a figure wins)"
)
YEAR_CELL = re.compile(r"^(19|20)\d{2}$")
HEADER_SEARCH_ROWS = 10  # a title and a blank line or two may stand above the table's header


@dataclass
class Layout:
    """Where a søgetal table sits in its file and which way it is turned.

    long:            a row per (area,) year, (grade,) group, with a count and/or percentage column
    wide:            a row per (area and) year, a column per group
    groups_by_years: a row per group, a column per year (as municipal web pages print it)
    """

    kind: str
    header_at: int  # index of the header among the file's non-empty rows; rows above it are a title
    columns: dict[str, int] = field(default_factory=dict)  # group (wide) or year (groups_by_years) -> position


def _lookup(section: str) -> dict[str, str]:
    return {
        norm(spelling): canonical for canonical, spellings in column_map()[section].items() for spelling in spellings
    }


def _ignored() -> set[str]:
    return {norm(s) for s in column_map()["published_ignored"]}


def find_layout(rows: list[list[str]]) -> Layout | None:
    """The table's layout and header row, or None when this is no søgetal table.

    A header naming a year column (År) makes a long or wide table. Otherwise the header is the
    row with the most year headings above rows labelled with groups: a title line may hold a year
    too ("Søgetal | 2024" above the table)."""
    spec = column_map()["published_application_shares"]
    known = {norm(s) for entry in spec.values() for s in entry["source"]}
    groups = _lookup("published_groups")
    best: Layout | None = None
    for i, header in enumerate(rows[:HEADER_SEARCH_ROWS]):
        names = {norm(h) for h in header}
        if any(norm(s) in names for s in spec["year"]["source"]):
            if any(norm(s) in names for s in spec["group"]["source"]):
                return Layout("long", i)
            wide = {groups[norm(h)]: j for j, h in enumerate(header) if norm(h) in groups and norm(h) not in known}
            return Layout("wide", i, wide) if wide else None
        years = {h.strip(): j for j, h in enumerate(header) if YEAR_CELL.match(h.strip())}
        labels = [r[0] for r in rows[i + 1 :] if r]
        if years and labels and any(norm(label) in groups for label in labels):
            if best is None or len(years) > len(best.columns):
                best = Layout("groups_by_years", i, years)
    return best


def find_published(path: Path) -> Layout | None:
    """The layout of `path` if it is a published søgetal table (for recognising inbox files)."""
    return find_layout(read_rows(path, header=False).rows)


def layout(header: list[str]) -> tuple[str, dict[str, int]] | None:
    """'long' or 'wide' with the group columns (wide), or None: the kind a header line alone says."""
    found = find_layout([header])
    return None if found is None or found.kind == "groups_by_years" else (found.kind, found.columns)


def describe(path: Path, frame_columns: list[str]) -> dict:
    meta = description(path, SIDECAR_EXAMPLE)
    for key in ("denominator", "geography_basis"):
        if key not in meta and key not in frame_columns:
            raise FileRejected(
                f"{path.name}: a published søgetal table must say its {key.replace('_', ' ')}. "
                f"Put a file {path.stem}.yaml beside it with:\n{SIDECAR_EXAMPLE}"
            )
    return meta


def _area_in_title(title: list[list[str]]) -> str | None:
    """The one municipality (or the whole country) a title names, e.g. 'Søgetal for Høje-Taastrup
    Kommune 2021-2024'; None when it names none or several."""
    text = " " + " ".join(" ".join(r) for r in title).casefold() + " "
    names = [str(n) for n in kommuner().kommune_name] + NATIONAL_NAMES
    # "Københavns Kommune": a name in the genitive counts too.
    found = {n for n in names if re.search(rf"(?<![\w-]){re.escape(n.casefold())}s?(?![\w-])", text)}
    # "Hele landet" also contains "landet": keep only names not inside a longer one found.
    found = {n for n in found if not any(n != m and n.casefold() in m.casefold() for m in found)}
    return found.pop() if len(found) == 1 else None


def _area(meta: dict, title: list[list[str]], path: Path) -> str:
    """The area of a table without an area column: its description's, or its title's; when both
    name one they must agree (a description copied from last year's file would move the figures)."""
    titled = _area_in_title(title)
    described = str(meta["area"]) if meta.get("area") not in (None, "") else None
    if described is not None and titled is not None and area_code(described) != area_code(titled):
        raise FileRejected(
            f"{path.name}: the title names {titled}, but {path.stem}.yaml says area: {described}. "
            "Correct the one that is wrong."
        )
    area = described or titled
    if area is None:
        raise FileRejected(
            f"{path.name}: the table names no area (kommune), or more than one: add "
            f"'area: <kommune name or code>' to {path.stem}.yaml."
        )
    return area


def _unit(meta: dict, values: list[str], path: Path) -> str:
    unit = str(meta.get("unit", "")).lower()
    if unit in ("pct", "count"):
        return unit
    if any("%" in v for v in values):
        return "pct"
    raise FileRejected(
        f"{path.name}: a table with one column per group (or per year) must say whether the figures "
        f"are percentages or counts: add 'unit: pct' or 'unit: count' to {path.stem}.yaml."
    )


def read_published(path: Path, tolerance_pp: float) -> tuple[pd.DataFrame, list[Failure]]:
    raw = read_rows(path, header=False)
    found = find_layout(raw.rows)
    if found is None:
        raise FileRejected(
            f"{path.name}: not a søgetal table: expected a header with year (År) and either a group "
            "column (Uddannelsesgruppe) or one column per group (EUD, GYM, Øvrige), or groups as rows "
            "and years as columns."
        )
    title = raw.rows[: found.header_at]
    table = SourceTable(
        path,
        raw.rows[found.header_at + 1 :],
        raw.lines[found.header_at + 1 :],
        raw.rows[found.header_at],
        raw.encoding,
        raw.delimiter,
    )
    spec = {
        k: v
        for k, v in column_map()["published_application_shares"].items()
        if not (found.kind != "long" and k == "group")
    }
    meta = description(path, SIDECAR_EXAMPLE)
    if found.kind == "groups_by_years":
        raw_frame = _groups_by_years(table, found.columns, meta, path)
    else:
        # Area may come from the description or the title instead of a column.
        spec["area"] = {**spec["area"], "optional": True}
        columns = match_columns(table.header, spec, path.name, "a published søgetal table")
        raw_frame = (
            _wide_to_long(table, columns, found.columns, meta, path)
            if found.kind == "wide"
            else _long(table, columns, path)
        )
    if "area" not in raw_frame:
        raw_frame["area"] = _area(meta, title, path)
    describe(path, list(raw_frame.columns))
    groups = raw_frame["group"].map(lambda g: _lookup("published_groups").get(norm(g), g))
    frame = pd.DataFrame(
        {
            "year": whole_numbers(raw_frame["year"]),
            "kommune_code": areas(raw_frame["area"]),
            "grade": raw_frame["grade"].map(lambda g: _lookup("published_grades").get(norm(g), g))
            if "grade" in raw_frame
            else str(meta.get("grade", "9+10")),
            "education_group": _resolve_other(groups, raw_frame, meta),
            "applicants": whole_numbers(raw_frame["count"]) if "count" in raw_frame else pd.NA,
            "share_pct": _percentages(raw_frame["pct"], path) if "pct" in raw_frame else float("nan"),
            "suppressed_as": _marks(raw_frame),
            "group_sum_pct": float("nan"),
            "denominator_definition": raw_frame["denominator"]
            if "denominator" in raw_frame
            else meta.get("denominator"),
            "geography_basis": raw_frame["geography_basis"]
            if "geography_basis" in raw_frame
            else meta.get("geography_basis"),
            "source_file": path.name,
            "source_line": raw_frame["source_line"],
            "source": str(meta.get("source", "")) or None,
            "published_on": _published_on(meta, path),
            "current": True,
        }
    )
    valid, failures = split_valid(
        frame,
        published_application_shares_schema(),
        path.name,
        raw_frame.rename(
            columns={"area": "kommune_code", "group": "education_group", "count": "applicants", "pct": "share_pct"}
        ),
    )
    # Whether the table holds all groups is told from every row it has, valid or not.
    complete = set(frame["education_group"]) in COMPLETE_SETS
    return _sum_to_100(
        valid, failures, tolerance_pp, checked=complete and not yes(meta.get("rounded"), "rounded", path)
    )


def _published_on(meta: dict, path: Path) -> pd.Timestamp | None:
    """The publication date the description gives (YAML reads 2024-06-01 as a date already)."""
    value = meta.get("published")
    if value is None or value == "":
        return None
    try:
        return pd.Timestamp(value if isinstance(value, date) else date.fromisoformat(str(value).strip()))
    except ValueError:
        raise FileRejected(
            f"{path.name}: the description's 'published: {value}' is not a date; write it as 2024-06-01."
        ) from None


SMALL_CELL_MARK = r"<\s*\d+|x|X"


def _marks(raw: pd.DataFrame) -> pd.Series:
    """The publisher's small-cell marks ('<5', 'x'): a blanked figure as published, not a missing one."""
    marks = pd.Series(None, index=raw.index, dtype=object)
    for column in ("count", "pct"):
        if column in raw:
            text = raw[column].astype(str).str.strip()
            found = text.where(text.str.fullmatch(SMALL_CELL_MARK)).str.replace(" ", "")
            marks = marks.where(marks.notna(), found)
    return marks


def _percentages(values: pd.Series, path: Path) -> pd.Series:
    """Percentages as written; from Excel, a table whose every share lies between 0 and 1 holds
    fractions (a cell formatted '0,0 %' without its format kept): read as percentages. No table of
    søgetal has every group at 1 % or less."""
    pct = numbers(values)
    shown = pct.dropna()
    written_as_pct = values.astype(str).str.contains("%").any()
    if (
        path.suffix.lower() == ".xlsx"
        and not written_as_pct
        and len(shown)
        and shown.between(0, 1).all()
        and shown.gt(0).any()
    ):
        return pct * 100
    return pct


def _resolve_other(groups: pd.Series, raw: pd.DataFrame, meta: dict) -> pd.Series:
    """A table's 'other' group means what the other groups beside it leave over: beside FGU and
    STU it is work, abroad and the like (OEVRIGT); in a three-way set (EUD, GYM, other) it holds
    FGU and STU too (OEVRIGE), whichever of 'Øvrige' or 'Øvrigt' the table writes. Decided per
    area, year and grade: one long table may hold a three-way year beside a five-way one."""
    keys = [raw[c] if c in raw else pd.Series(str(meta.get(c, "")), index=raw.index) for c in ("area", "year", "grade")]
    five_way = groups.isin(["FGU", "STU"]).groupby(keys).transform("any")
    return groups.mask(five_way & groups.eq("OEVRIGE"), "OEVRIGT").mask(~five_way & groups.eq("OEVRIGT"), "OEVRIGE")


def _unknown_labels(labels: list[str], where: list[str], path: Path) -> None:
    """Stop at a group label no configuration knows, naming where it is (the label itself is not
    quoted: a reason is kept and shown, and a cell may hold anything)."""
    groups, ignored = _lookup("published_groups"), _ignored()
    unknown = [w for label, w in zip(labels, where) if norm(label) not in groups and norm(label) not in ignored]
    if unknown:
        raise FileRejected(
            f"{path.name}: {', '.join(unknown[:10])} names no education group Overgang knows; add its "
            "spelling under published_groups (or published_ignored, for a total) in "
            "data/config/column_map.yaml, so that no figure is left out without a word."
        )


def _long(table: SourceTable, columns: dict[str, int], path: Path) -> pd.DataFrame:
    frame = frame_of(table, columns)
    _unknown_labels(list(frame["group"]), [f"the group on line {line}" for line in frame["source_line"]], path)
    return frame[~frame["group"].map(norm).isin(_ignored())].reset_index(drop=True)


def _groups_by_years(table: SourceTable, years: dict[str, int], meta: dict, path: Path) -> pd.DataFrame:
    # Every heading right of the labels is a year, each once: a column left out or read twice
    # would drop or move figures without a word ("2024 (foreløbig)"; 9th and 10th grade side by
    # side under one more header line; a count and a percentage under the same year).
    headings = [(i + 1, h.strip()) for i, h in enumerate(table.header) if i > 0 and h.strip()]
    odd = [f"column {i}" for i, h in headings if not YEAR_CELL.match(h)]
    seen: dict[str, list[int]] = {}
    for i, h in headings:
        seen.setdefault(h, []).append(i)
    twice = [f"{h} (columns {', '.join(map(str, cols))})" for h, cols in seen.items() if len(cols) > 1]
    if odd or twice:
        raise FileRejected(
            f"{path.name}: with groups as rows, every column after the first must be one year, each "
            f"once. "
            + (f"Not a year: {', '.join(odd)}. " if odd else "")
            + (f"A year given twice: {', '.join(twice)}. " if twice else "")
            + "Keep one table per grade and per unit (percentages or counts) in a file."
        )
    rows = [(r, line) for r, line in zip(table.rows, table.lines) if r and r[0].strip()]
    _unknown_labels([r[0] for r, _ in rows], [f"the row label on line {line}" for _, line in rows], path)
    ignored = _ignored()
    rows = [(r, line) for r, line in rows if norm(r[0]) not in ignored]
    values = [r[j] if j < len(r) else "" for r, _ in rows for j in years.values()]
    unit = _unit(meta, values, path)
    records = [
        {"year": year, "group": r[0], unit: r[j] if j < len(r) else "", "source_line": line}
        for r, line in rows
        for year, j in years.items()
    ]
    frame = pd.DataFrame(records, columns=["year", "group", unit, "source_line"], dtype=str)
    frame["source_line"] = frame["source_line"].astype(int)
    return frame[frame[unit].str.strip() != ""].reset_index(drop=True)


def _wide_to_long(
    table: SourceTable, columns: dict[str, int], group_columns: dict[str, int], meta: dict, path: Path
) -> pd.DataFrame:
    spec = column_map()["published_application_shares"]
    known = {norm(s) for entry in spec.values() for s in entry["source"]}
    others = [(h, i) for i, h in enumerate(table.header) if h.strip() and norm(h) not in known]
    _unknown_labels([h for h, _ in others], [f"the heading of column {i + 1}" for _, i in others], path)
    # Two columns of one group (EUD and Erhvervsuddannelser; Øvrige beside Øvrigt) would overwrite
    # each other's figures.
    groups = _lookup("published_groups")
    by_group: dict[str, list[int]] = {}
    for h, i in others:
        if norm(h) in groups:
            by_group.setdefault({"OEVRIGT": "OEVRIGE"}.get(groups[norm(h)], groups[norm(h)]), []).append(i + 1)
    twice = [cols for cols in by_group.values() if len(cols) > 1]
    if twice:
        raise FileRejected(
            f"{path.name}: "
            + "; ".join(" and ".join(f"column {c}" for c in cols) for cols in twice)
            + " hold the same education group (an other group can be Øvrige or Øvrigt, not both). "
            "Keep one column per group."
        )
    values = [r[p] for r in table.rows for p in group_columns.values() if p < len(r)]
    unit = _unit(meta, values, path)
    base = frame_of(table, columns)
    parts = []
    for group, position in group_columns.items():
        part = base.copy()
        part["group"] = group
        part[unit] = [r[position] if position < len(r) else "" for r in table.rows]
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


COMPLETE_SETS = [{"EUD", "GYM", "OEVRIGE"}, {"EUD", "GYM", "FGU", "STU", "OEVRIGT"}]


def _sum_to_100(
    valid: pd.DataFrame, failures: list[Failure], tolerance_pp: float, checked: bool
) -> tuple[pd.DataFrame, list[Failure]]:
    """Published percentages are rounded: in a table of all groups (three- or five-way), the
    groups of one area, year and grade must add up to 100 within the tolerance, or the table (or
    our reading of it) is wrong. Every row carries its groups' sum (`group_sum_pct`); a table
    described as `rounded: true` keeps rows that are further off, with that sum as their flag.
    A table of fewer groups (EUD only) has nothing to add up."""
    keys = ["year", "kommune_code", "grade", "denominator_definition", "geography_basis"]
    shares = valid[valid["share_pct"].notna()]
    sums = shares.groupby(keys)["share_pct"].agg(["sum", "count"])
    valid = valid.merge(sums["sum"].rename("_sum").reset_index(), on=keys, how="left")
    valid["group_sum_pct"] = valid.pop("_sum").round(6)
    if not checked:
        return valid, failures
    off = sums[(sums["sum"] - 100).abs() > tolerance_pp + 1e-9]
    # Where the publisher blanked a group ("<5", "x") the shown ones cannot add up to 100: kept as published.
    marked = valid[valid["suppressed_as"].notna()][keys].drop_duplicates()
    if len(off) and len(marked):
        off = off[~off.index.isin(pd.MultiIndex.from_frame(marked))]
    if off.empty:
        return valid, failures
    bad = shares.merge(off.reset_index(), on=keys)
    for r in bad.itertuples():
        failures.append(
            Failure(
                r.source_file,
                int(r.source_line),
                "share_pct",
                f"{r.share_pct:g}",
                "shares_sum_to_100",
                f"the {r.count} groups of this area, year and grade add up to {r.sum:.1f} %, not 100 "
                f"(± {tolerance_pp}); a group is missing or a figure is mistyped (a table that is "
                "rounded by its publisher can say 'rounded: true' in its description)",
                int(r.year),
            )
        )
    dropped = set(zip(bad["source_line"], bad["education_group"]))
    keep = [(line, group) not in dropped for line, group in zip(valid["source_line"], valid["education_group"])]
    return valid[keep], failures


def read(path: Path, source, settings) -> tuple[pd.DataFrame, list[Failure]]:
    """The registry's reader (schemas/sources.py)."""
    return read_published(path, settings.pipeline.published_sum_tolerance_pp)


def recognise(seen: Seen, source) -> str | None:
    if find_published(seen.path) is None:
        return None
    frame, failures = read_published(seen.path, seen.tolerance_pp)
    refuse_when_nothing_loads(seen.path.name, frame, failures, "figures")
    return f"published søgetal table, {len(frame)} figures"
