"""The national picture of a shared deployment, built from the tenants' publication sets alone.

A tenant's internal warehouse (pupil rows, unsuppressed counts) never leaves its home; what the
national job may read is what the tenant may publish: its publication set
(``<home>/publication/``, ``assets/warehouse/publication.py``). From those sets it makes

- the national publication set: each tenant's cells of its own kommuner (a tenant's set may also
  hold other kommuner's figures from published tables; the kommune's own tenant is the source),
  written whole or not at all like a kommune's set;
- the national overview page (``reports/overview.py``'s page) from those cells;
- the disclosure audit over the combined figures: for every kommune and year, everything any set
  shows about it is put together (a cell hidden in one set but shown in another is known) and
  every cell still hidden must keep the protection a kommune's set promises (``overgang.
  suppression``: no reader can narrow it to fewer than four values). Only published figures go
  in: the audit needs no true count, because the intervals depend on the shown cells alone.

The national share the overview compares with is pooled from the published figures: the EUD
applicants over the leavers of the kommuner that show both (the page says how many that is).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from assets.warehouse.publication import PUBLICATION_MARK, README, SYNTHETIC_MARK, write_cells
from overgang.groups import GroupScheme
from overgang.paths import ConfigError
from overgang.suppression import BIG, MIN_COUNT, MIN_SPAN, PRIMARY, SECONDARY, Cube, failures
from overgang.tenants import Tenant
from reports.cells import SPLITS, build_cube
from reports.overview import OverviewRow, render_overview_html, report_name

SET_DB = "overgang_publication.duckdb"
COLUMNS = [
    "kommune_code",
    "kommune_name",
    "year",
    "part",
    "row_key",
    "row_name",
    "education_group",
    "applicants",
    "share_pct",
    "mark",
]
# The cell of a row of the set, as reports/cells.py names it.
KEY = ["kommune_code", "year", "part", "row_key", "education_group"]
NATIONAL_README = (
    README.replace("Overgang: publication set", "Overgang: national publication set")
    + "\nMade by the national job from the tenants' publication sets only (never from a tenant's\n"
    "warehouse): each kommune's cells come from its own tenant's set. Every hidden cell passed the\n"
    "audit again over everything the sets publish together.\n"
)


class NationalError(ConfigError):
    """The national picture cannot be made (a set missing or unfinished, or the sets together
    would narrow a hidden cell): nothing national was written."""


@dataclass
class TenantSet:
    tenant: str
    folder: Path
    cells: pd.DataFrame  # every row of the set
    synthetic: bool


@dataclass
class National:
    cells: pd.DataFrame  # the national set: each kommune's cells from its own tenant's set
    national_share: dict[int, float] = field(default_factory=dict)  # year -> pooled share (%)
    pooled_kommuner: dict[int, int] = field(default_factory=dict)  # year -> kommuner in it
    synthetic: bool = False


def read_set(tenant: Tenant) -> TenantSet:
    """A tenant's publication set, read-only; NationalError if it is missing or unfinished (no
    mark of the run that made it: a set being replaced, or from before the first publish)."""
    folder = tenant.home / "publication"
    db = folder / SET_DB
    before = _marks(folder)
    if not db.is_file() or before[0] is None:
        raise NationalError(
            f"Tenant {tenant.name} has no finished publication set at {folder} (run its spring first). "
            "Nothing national was written."
        )
    with duckdb.connect(str(db), read_only=True) as con:
        cells = con.execute("SELECT * FROM cells").df()
    # The marks read again: a set replaced while it was read (the tenant's spring publishing) would
    # give these cells the other set's synthetic mark.
    if _marks(folder) != before:
        raise NationalError(
            f"Tenant {tenant.name}'s publication set at {folder} was replaced while the national job read it. "
            "Nothing national was written. Run the national job again."
        )
    if list(cells.columns) != COLUMNS:
        raise NationalError(
            f"Tenant {tenant.name}'s publication set {db} has columns {list(cells.columns)}, not {COLUMNS}. "
            "Nothing national was written."
        )
    return TenantSet(tenant.name, folder, cells, before[1])


def _marks(folder: Path) -> tuple[str | None, bool]:
    """The run that made the set in `folder` (None: no finished set) and whether it is synthetic."""
    try:
        run: str | None = (folder / PUBLICATION_MARK).read_text(encoding="utf-8")
    except OSError:
        run = None
    return run, (folder / SYNTHETIC_MARK).exists()


def _cell_name(r: Any) -> str:
    """A row of a set (itertuples) named as the refusals name a cell."""
    row = "" if r.row_key is None or pd.isna(r.row_key) else f" {r.row_key}"
    return f"kommune {r.kommune_code}, {r.year}, {r.part}{row} {r.education_group}"


def _problem(r: Any, min_count: int) -> str | None:
    """What makes a row of a set one no publish writes, or None. A publish shows a cell as a whole
    count of at least `min_count` (every count under it is '<5', zero too), and a hidden cell as a
    known mark with no figure: anything else (a set altered by hand, a set of another program)
    would go into the national set or the audit as a figure it is not."""
    mark, applicants, share = r.mark, r.applicants, r.share_pct
    if mark is None or pd.isna(mark):
        if applicants is None or pd.isna(applicants):
            return "shows no figure and no mark"
        if float(applicants) != int(applicants) or applicants < min_count:
            return f"shows {applicants}, a count under {min_count} or not a whole one, which a publish hides"
        return None
    try:
        _knowledge(mark, 0, min_count)
    except ValueError:
        return f"has the unknown mark {mark!r}"
    if not pd.isna(applicants) or not pd.isna(share):
        return f"is marked {mark!r} but carries its figure"
    return None


def check_set(s: TenantSet, min_count: int = MIN_COUNT) -> None:
    """NationalError naming the tenant, the cell and what is wrong if `s` holds a row no publish
    writes (_problem), or a share beside a hidden total (share = applicants / total: the total
    told; a publish prints a share only where both are shown)."""
    cells = s.cells
    total = cells["education_group"] == "n"
    shown_totals = {
        (r.kommune_code, r.year, r.part, None if pd.isna(r.row_key) else r.row_key)
        for r in cells[total & cells["mark"].isna()].itertuples(index=False)
    }
    for r in cells.itertuples(index=False):
        problem = _problem(r, min_count)
        row = (r.kommune_code, r.year, r.part, None if pd.isna(r.row_key) else r.row_key)
        if problem is None and not pd.isna(r.share_pct) and row not in shown_totals:
            problem = f"shows a share ({r.share_pct} %) of a total that is hidden, which tells the total"
        if problem:
            raise NationalError(
                f"Tenant {s.tenant}'s publication set {s.folder}: the cell {_cell_name(r)} {problem}; it is not a "
                "set a publish makes. Nothing national was written. Publish the tenant's set anew (its spring run)."
            )


def _knowledge(mark: object, applicants: object, min_count: int = MIN_COUNT) -> tuple[float, float]:
    """What a reader knows of a cell from one set: its value, or the range its mark says."""
    if mark is None or pd.isna(mark):
        return float(applicants), float(applicants)  # type: ignore[arg-type]
    if mark == PRIMARY:
        return 0, min_count - 1
    if mark == SECONDARY:
        return min_count, BIG
    if isinstance(mark, str) and mark.startswith("<") and mark[1:].isdigit():
        return 0, int(mark[1:]) - 1
    raise ValueError(f"unknown mark {mark!r}")


def _cube(cells: pd.DataFrame, scheme: GroupScheme) -> tuple[Cube, dict[str, str | None]]:
    """The table of counts of one kommune and year as a reader can rebuild it from `cells` (its
    rows in the combined sets, one per cell): reports/cells.build_cube's cells and sums, a hidden
    cell's value unknown (0 here; intervals() never reads it)."""
    groups: dict[str, int] = {}
    splits: dict[str, dict[str, dict[str, int]]] = {kind: {} for kind in SPLITS}
    labels: dict[str, str | None] = {}
    for r in cells.itertuples(index=False):
        value = 0 if r.mark is not None and not pd.isna(r.mark) else int(r.applicants)
        label = None if r.mark is None or pd.isna(r.mark) else str(r.mark)
        if r.part == "groups":
            if r.education_group in scheme.uncounted:
                groups[r.education_group] = value
                labels[f"t/{r.education_group}"] = label
            else:
                if r.education_group in scheme.detail:
                    groups[r.education_group] = value
                labels[f"g/{r.education_group}"] = label
        else:
            splits[r.part].setdefault(r.row_key, {})[r.education_group] = value
            labels[f"{r.part}:{r.row_key}/{r.education_group}"] = label
    leave_out = tuple(kind for kind in SPLITS if not splits[kind])
    cube = build_cube(groups, splits["grade"], splits["sex"], splits["school"], leave_out, scheme)
    # build_cube sums the totals from the (unknown) parts; a shown total is the published one.
    for r in cells.itertuples(index=False):
        if r.mark is None or pd.isna(r.mark):
            name = (
                f"t/{r.education_group}"
                if r.part == "groups" and r.education_group in scheme.uncounted
                else f"g/{r.education_group}"
                if r.part == "groups"
                else f"{r.part}:{r.row_key}/{r.education_group}"
            )
            cube.values[name] = int(r.applicants)
    return cube, {c: labels.get(c) for c in cube.values}


def combined_knowledge(sets: list[TenantSet], min_count: int = MIN_COUNT) -> pd.DataFrame:
    """One row per cell of every kommune and year: what all the sets together tell a reader, as a
    value (shown anywhere) or the narrowest mark. NationalError if two sets show different values
    for one cell (then their figures are not of one count and cannot be combined)."""
    frames = [s.cells.assign(_set=s.tenant) for s in sets]
    every = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=[*COLUMNS, "_set"])
    rows = []
    for key, group in every.groupby(KEY, dropna=False, sort=True):
        low, high = 0.0, float(BIG)
        for r in group.itertuples(index=False):
            lo, hi = _knowledge(r.mark, r.applicants, min_count)
            low, high = max(low, lo), min(high, hi)
        if low > high:
            names = ", ".join(sorted(set(group["_set"])))
            raise NationalError(
                f"The publication sets of {names} disagree about kommune {key[0]}, {key[1]}, "
                f"{key[2]} {'' if pd.isna(key[3]) else key[3]} {key[4]}: they are not figures of one count. "
                "Nothing national was written."
            )
        first = group.iloc[0]
        shown = bool(group["mark"].isna().any())
        if not shown and (low, high) != _knowledge(_narrowest(group["mark"], min_count), 0, min_count):
            # Marks that together say more than any one of them ('x' in one set and '<20' in
            # another: 5-19): the audit's cells carry one mark each and would not see it.
            names = ", ".join(sorted(set(group["_set"])))
            cell = f"kommune {key[0]}, {key[1]}, {key[2]} {'' if pd.isna(key[3]) else key[3]} {key[4]}"
            marks = ", ".join(sorted(set(map(str, group["mark"]))))
            span = f"{int(low)}-{int(high) if high < BIG else 'more'}"
            raise NationalError(
                f"The publication sets of {names} hide {cell} with different marks ({marks}): together they "
                f"narrow it to {span}, more than either set's audit saw. Nothing national was written."
            )
        rows.append(
            {
                **{c: first[c] for c in COLUMNS},
                "applicants": int(low) if shown else pd.NA,
                "mark": None if shown else _narrowest(group["mark"], min_count),
            }
        )
    return pd.DataFrame(rows, columns=COLUMNS)


def _narrowest(marks: pd.Series, min_count: int) -> str:
    known = [str(m) for m in marks if m is not None and not pd.isna(m)]
    return min(known, key=lambda m: _knowledge(m, 0, min_count)[1] - _knowledge(m, 0, min_count)[0])


def audit(sets: list[TenantSet], scheme: GroupScheme, min_count: int = MIN_COUNT) -> int:
    """The disclosure audit over the combined figures; the number of kommune-years checked.
    NationalError naming the kommune, year, cell and the interval a reader gets if any hidden
    cell is narrower than the promise."""
    for s in sets:
        check_set(s, min_count)
    knowledge = combined_knowledge(sets, min_count)
    checked = 0
    for (code, year), cells in knowledge.groupby(["kommune_code", "year"], sort=True):
        cube, labels = _cube(cells, scheme)
        failed = failures(cube, labels, min_count, MIN_SPAN, first=True)
        if failed:
            cell, (lo, hi) = sorted(failed.items())[0]
            raise NationalError(
                f"Together the publication sets narrow a hidden cell of kommune {code}, {year} ({cell}) to "
                f"{lo}-{hi}, fewer than {MIN_SPAN + 1} possible values. Nothing national was written."
            )
        checked += 1
    return checked


def national_cells(sets: list[TenantSet], tenants: dict[str, Tenant]) -> pd.DataFrame:
    """Each tenant's cells of its own kommuner, in the set's order."""
    own = [s.cells[s.cells["kommune_code"].isin(tenants[s.tenant].kommuner)] for s in sets]
    frame = pd.concat(own, ignore_index=True) if own else pd.DataFrame(columns=COLUMNS)
    frame = frame.sort_values(["kommune_code", "year", "part", "row_key", "education_group"], na_position="first")
    return frame.reset_index(drop=True)


def pooled_share(cells: pd.DataFrame, year: int) -> tuple[float | None, int]:
    """The national EUD share of `year` from published figures: the shown EUD applicants over
    the shown leavers of the kommuner that show both; and how many kommuner that is."""
    groups = cells[(cells["part"] == "groups") & (cells["year"] == year) & cells["mark"].isna()]
    eud = groups[groups["education_group"] == "EUD"].set_index("kommune_code")["applicants"]
    n = groups[groups["education_group"] == "n"].set_index("kommune_code")["applicants"]
    both = eud.index.intersection(n.index)
    total = int(n[both].sum())
    if not total:
        return None, 0
    return round(100.0 * int(eud[both].sum()) / total, 1), len(both)


def overview_rows(cells: pd.DataFrame, year: int, regions: dict[int, str]) -> list[OverviewRow]:
    """The overview's rows from the national set: a share and its leavers as the sets show them
    (None where hidden), the trend of shown shares; no måltal (a tenant's set has none)."""
    groups = cells[cells["part"] == "groups"]
    rows = []
    for code, mine in groups.groupby("kommune_code", sort=True):
        eud = mine[mine["education_group"] == "EUD"].set_index("year")
        n = mine[mine["education_group"] == "n"].set_index("year")
        if year not in eud.index:
            continue
        shown = eud[eud["mark"].isna()]["share_pct"].astype(float)
        share = float(shown[year]) if year in shown.index else None
        leavers = int(n.loc[year, "applicants"]) if year in n.index and pd.isna(n.loc[year, "mark"]) else None
        trend = shown[shown.index <= year].rename("share").reset_index()
        rows.append(
            OverviewRow(
                int(code),
                str(eud.loc[year, "kommune_name"]),
                regions.get(int(code), ""),
                share,
                None,
                None,
                report_name(int(code), year),
                trend,
                leavers=leavers,
            )
        )
    return sorted(rows, key=lambda r: r.kommune_name)


def build(
    sets: list[TenantSet], tenants: dict[str, Tenant], scheme: GroupScheme, min_count: int = MIN_COUNT
) -> National:
    """Audit the sets together, then the national cells and shares (nothing written)."""
    audit(sets, scheme, min_count)
    cells = national_cells(sets, tenants)
    national = National(cells, synthetic=any(s.synthetic for s in sets))
    for year in sorted(set(cells["year"])):
        share, pooled = pooled_share(cells, int(year))
        if share is not None:
            national.national_share[int(year)] = share
            national.pooled_kommuner[int(year)] = pooled
    return national


def write(
    national: National,
    scheme: GroupScheme,
    home: Path,
    storage_version: str,
    regions: dict[int, str],
    run_id: str | None = None,
) -> dict:
    """The national set (`home`/publication) and one overview page per year (`home`/reports),
    each replaced whole."""
    write_cells(
        national.cells, scheme, home / "publication", storage_version, run_id, national.synthetic, NATIONAL_README
    )
    pages = []
    reports = home / "reports"
    reports.mkdir(parents=True, exist_ok=True)
    for year in sorted(set(national.cells["year"])):
        rows = overview_rows(national.cells, int(year), regions)
        if not rows:
            continue
        out = reports / f"landsoversigt_{int(year)}.html"
        tmp = out.with_suffix(".tmp")
        try:
            html = render_overview_html(
                rows, int(year), national.national_share.get(int(year)), datetime.now(), national.synthetic
            )
            tmp.write_text(html, encoding="utf-8")
            tmp.replace(out)
        finally:
            tmp.unlink(missing_ok=True)
        pages.append(str(out))
    return {"cells": len(national.cells), "pages": pages, "kommuner": int(national.cells["kommune_code"].nunique())}
