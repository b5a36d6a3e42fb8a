"""The publishable cells of one kommune and year: counts from the warehouse, protected once.

Every table, chart and workbook that shows a count or share of a kommune's pupils takes it
from here, so a cell hidden in one place is hidden everywhere (previous years in the trend,
a peer in the comparison, the publication set). The cube and its sums are described in
``overgang/suppression.py``.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass

import duckdb

from overgang import groups as groups_module
from overgang import protection_cache, suppression
from overgang.groups import SOURCE, GroupScheme, GroupSchemeError
from overgang.paths import DATA_DIR
from overgang.pipeline_settings import SmallCell
from overgang.protection_cache import ProtectionCache
from overgang.suppression import PRIMARY, SECONDARY, Cube, DisclosureError, check, protect, required_labels
from reports.memo import per_warehouse
from reports.sql import read_sql
from schemas.sqltext import SQL

SPLITS = ("grade", "sex", "school")


def read_scheme(con: duckdb.DuckDBPyConnection) -> GroupScheme:
    """The education groups of the warehouse (table education_groups, from
    data/config/education_groups.csv) as the table of counts uses them. Raises GroupSchemeError
    (naming the file and the group) when they cannot make one."""
    rows = con.execute(
        'SELECT "group", label_da, short_label_da, target_group, in_denominator FROM education_groups '
        'ORDER BY sort_order, "group"'
    ).fetchall()
    return GroupScheme.from_rows(rows, SOURCE)


def read_scheme_file() -> GroupScheme:
    """The education groups of the project's data/config/education_groups.csv, as read_scheme has
    them from a warehouse: for a job that reads no warehouse (the national job, assets/national)."""
    with (DATA_DIR / SOURCE.removeprefix("data/")).open(encoding="utf-8", newline="") as f:
        rows = sorted(csv.DictReader(f), key=lambda r: (int(r["sort_order"]), r["group"]))
    return GroupScheme.from_rows(
        [(r["group"], r["label_da"], r["short_label_da"], r["target_group"], r["in_denominator"]) for r in rows], SOURCE
    )


def share_pct(count: int, denominator: int) -> float:
    """A share as published: percent with one decimal (the table, the chart and the workbook
    all carry this number, never the unrounded one)."""
    return round(100.0 * count / denominator, 1)


@dataclass
class Published:
    kommune_code: int
    year: int
    cube: Cube
    labels: dict[str, str | None]
    school_names: dict[str, str]
    left_out: tuple[str, ...] = ()
    pooled_schools: int = 0

    def shown(self, cell: str) -> bool:
        return self.labels.get(cell) is None and cell in self.cube.values

    def count(self, cell: str) -> int | None:
        return self.cube.values[cell] if self.shown(cell) else None

    def label(self, cell: str) -> str | None:
        return self.labels.get(cell)

    def share(self, cell: str, total: str) -> float | None:
        if not (self.shown(cell) and self.shown(total)) or self.cube.values[total] == 0:
            return None
        return share_pct(self.cube.values[cell], self.cube.values[total])

    def split_rows(self, kind: str) -> list[str]:
        return sorted({c.split("/")[0] for c in self.cube.values if c.startswith(kind + ":")})


def build_cube(
    groups: dict[str, int], grades: dict, sexes: dict, schools: dict, leave_out: tuple, scheme: GroupScheme
) -> Cube:
    """groups: education group -> count (the detail groups and those counted apart, e.g. TIENDE);
    grades/sexes/schools: row key -> {target group -> count}. The cells and sums follow `scheme`:
    g/<detail group>, g/<target group> for a target that adds several up, g/n, t/<group counted
    apart>; each split row <kind>:<key>/<target group> and its total /n. Splits named in
    `leave_out` are not published at all (no cells, no sums)."""
    detail = tuple(f"g/{g}" for g in scheme.detail)
    values = {f"g/{g}": int(groups.get(g, 0)) for g in scheme.detail}
    for t, members in scheme.sums:
        values[f"g/{t}"] = sum(values[f"g/{g}"] for g in members)
    values["g/n"] = sum(values[c] for c in detail)
    for g in scheme.uncounted:
        values[f"t/{g}"] = int(groups.get(g, 0))
    sums = [("g/n", detail)] + [(f"g/{t}", tuple(f"g/{g}" for g in members)) for t, members in scheme.sums]
    rows = {"g/n": detail + tuple(f"g/{t}" for t, _ in scheme.sums)}
    targets = scheme.targets
    for kind, split in (("grade", grades), ("sex", sexes), ("school", schools)):
        if kind in leave_out:
            continue
        keys = [f"{kind}:{k}" for k in sorted(split)]
        for key, raw in zip(keys, (split[k] for k in sorted(split))):
            for t in targets:
                values[f"{key}/{t}"] = int(raw.get(t, 0))
            values[f"{key}/n"] = sum(values[f"{key}/{t}"] for t in targets)
            sums.append((f"{key}/n", tuple(f"{key}/{t}" for t in targets)))
            rows[f"{key}/n"] = tuple(f"{key}/{t}" for t in targets)
        if keys:
            for t in targets:
                sums.append((f"g/{t}", tuple(f"{k}/{t}" for k in keys)))
            sums.append(("g/n", tuple(f"{k}/n" for k in keys)))
    return Cube(values, sums, rows)


_CACHE: dict = {}
# When a kommune is so small that its splits cannot be protected together with the groups,
# they are left out of the publication whole, in this order (publish less, not a leak).
LEAVE_OUT_ORDER = ("sex", "school", "grade")
POOL = "pool"


def _clean(row: dict, small: SmallCell, targets: tuple[str, ...]) -> bool:
    """A split row that can be shown as it is: every group 5 or more and enough pupils for shares."""
    return (
        all(row.get(t, 0) >= small.min_count for t in targets)
        and sum(row.get(t, 0) for t in targets) >= small.min_denominator
    )


def publishable_splits(p: dict, small: SmallCell, targets: tuple[str, ...]) -> tuple[dict, tuple[str, ...], int]:
    """Publish less: a split (9th/10th grade, boys/girls) is shown only when every one of its
    cells can be shown; schools that cannot be shown are pooled into one row "other schools",
    itself shown only when it can be (the smallest shown schools join the pool until it can,
    or the school table is left out). Returns the splits, what was left out and the pool size."""
    splits, left_out, pooled = {}, [], 0
    for kind in ("grade", "sex"):
        if all(_clean(row, small, targets) for row in p[kind].values()):
            splits[kind] = p[kind]
        else:
            left_out.append(kind)
    shown = {k: v for k, v in p["school"].items() if _clean(v, small, targets)}
    pool = {k: v for k, v in p["school"].items() if k not in shown}

    def pooled_row():
        return {t: sum(v.get(t, 0) for v in pool.values()) for t in targets}

    while pool and not _clean(pooled_row(), small, targets) and shown:
        smallest = min(shown, key=lambda k: (sum(shown[k].values()), k))
        pool[smallest] = shown.pop(smallest)
    if pool and not _clean(pooled_row(), small, targets):
        left_out.append("school")
    else:
        splits["school"] = dict(shown)
        if pool:
            splits["school"][POOL] = pooled_row()
            pooled = len(pool)
    return splits, tuple(left_out), pooled


def _protected(p: dict, small: SmallCell, scheme: GroupScheme, store: ProtectionCache | None = None):
    """The protected cube of one part `p`: (cube, labels, splits left out, schools pooled), its cells
    and sums from `scheme`. Kept in this process (`_CACHE`) and, with `store`, on disk between
    processes: an unchanged cube is then audited (``check``), not searched again."""
    key = (
        repr(sorted((k, sorted(v.items()) if isinstance(v, dict) else v) for k, v in p.items() if k != "names")),
        small.min_count,
        small.min_denominator,
        scheme,
    )
    if key in _CACHE:
        return _CACHE[key]
    splits, left_out, pooled = publishable_splits(p, small, scheme.targets)
    candidates = [tuple(dict.fromkeys(left_out + LEAVE_OUT_ORDER[:n])) for n in range(len(LEAVE_OUT_ORDER) + 1)]

    def cube_for(leave: tuple) -> Cube:
        return build_cube(
            p["groups"], splits.get("grade", {}), splits.get("sex", {}), splits.get("school", {}), leave, scheme
        )

    fingerprint = _fingerprint() if store is not None else None
    material = None
    if store is not None and fingerprint is not None:
        first = cube_for(candidates[0])
        # Everything the result depends on: the counts (never stored, only hashed with the home's
        # key), the cube they make (its groups, sums and rows), the settings and the code.
        material = {
            "part": [[k, v] for k, v in sorted(p.items()) if k != "names"],
            "cube": [sorted(first.values.items()), first.sums, sorted(first.rows.items())],
            "min_count": small.min_count,
            "min_denominator": small.min_denominator,
        }
        found = _from_store(store.get(fingerprint, material), candidates, cube_for, small, pooled)
        if isinstance(found, DisclosureError):
            raise found
        if found is not None:
            _CACHE[key] = found
            return found
    for n, leave in enumerate(candidates):
        cube = cube_for(leave)
        try:
            labels = protect(cube, small.min_count, small.min_denominator)
        except DisclosureError as e:
            if n == len(candidates) - 1:
                if store is not None and fingerprint is not None:  # the material is made then
                    store.put(fingerprint, material, {"refused": str(e)})
                raise
            continue
        _CACHE[key] = cube, labels, leave, pooled
        if store is not None and fingerprint is not None:
            store.put(fingerprint, material, {"leave": list(leave), "hidden": {c: v for c, v in labels.items() if v}})
        return _CACHE[key]


_FINGERPRINT: list[str | None] = []


def _fingerprint() -> str | None:
    """The code a protected result depends on: this file, the suppression and the cache modules
    (their bytes) and the solver's version. None (no persistent cache) when a file cannot be read."""
    if not _FINGERPRINT:
        from highspy import _core

        solver = ".".join(str(getattr(_core, f"HIGHS_VERSION_{p}", "?")) for p in ("MAJOR", "MINOR", "PATCH"))
        try:
            _FINGERPRINT.append(
                protection_cache.code_fingerprint(
                    __file__,
                    suppression.__file__,
                    groups_module.__file__,
                    protection_cache.__file__,
                    extra=f"highs {solver}",
                )
            )
        except OSError:
            _FINGERPRINT.append(None)
    return _FINGERPRINT[0]


def _from_store(entry, candidates: list[tuple], cube_for, small: SmallCell, pooled: int):
    """A stored result, used only when it fits the cube built now and passes the audit: its
    left-out splits one of the candidates, its labels naming only cells of the cube, keeping
    every label the rule fixes ("<5", "<20" and the hidden rows), hiding any other cell only as
    "x", and protecting every hidden cell (``check``, integer programming). A stored refusal is
    returned as the error; anything else that does not fit is None (protect again)."""
    if not isinstance(entry, dict):
        return None
    if set(entry) == {"refused"} and isinstance(entry["refused"], str):
        return DisclosureError(entry["refused"])
    hidden, leave = entry.get("hidden"), entry.get("leave")
    if not (isinstance(hidden, dict) and isinstance(leave, list)) or tuple(leave) not in candidates:
        return None
    cube = cube_for(tuple(leave))
    if not set(hidden) <= set(cube.values):
        return None
    labels = {c: hidden.get(c) for c in cube.values}
    required = required_labels(cube, small.min_count, small.min_denominator)
    for cell, label in labels.items():
        if required[cell] is not None and label != required[cell]:
            return None
        if required[cell] is None and label not in (None, SECONDARY):
            return None
    try:
        check(cube, labels, small.min_count)
    except DisclosureError:
        return None
    return cube, labels, tuple(leave), pooled


def _parts(con: duckdb.DuckDBPyConnection, kommuner: list[int] | None, years: list[int] | None) -> dict:
    """Each (kommune, year)'s counts as the cube is made from them (all loaded ones by default):
    groups, grades, sexes and schools with their names."""
    where, params = ["s.kommune_code <> 0"], {}
    if kommuner is not None:
        where.append("list_contains($ks, s.kommune_code::INTEGER)")
        params["ks"] = [int(k) for k in kommuner]
    if years is not None:
        where.append("list_contains($ys, s.year::INTEGER)")
        params["ys"] = [int(y) for y in years]
    cond = SQL(" AND ".join(where))
    groups = con.execute(read_sql("cube_groups", cond=cond), params).fetchall()
    sexes = con.execute(read_sql("cube_sexes", cond=cond), params).fetchall()
    schools = con.execute(read_sql("cube_schools", cond=cond), params).fetchall()
    parts: dict = {}

    def part(k, y):
        return parts.setdefault((int(k), int(y)), {"groups": {}, "grade": {}, "sex": {}, "school": {}, "names": {}})

    for k, y, grade, group, target, in_den, n in groups:
        p = part(k, y)
        if grade == "9+10":
            p["groups"][group] = p["groups"].get(group, 0) + int(n)
        elif in_den:
            row = p["grade"].setdefault(grade, {})
            row[target] = row.get(target, 0) + int(n)
    for k, y, sex, target, n in sexes:
        row = part(k, y)["sex"].setdefault(sex, {})
        row[target] = row.get(target, 0) + int(n)
    for k, y, school, name, target, n in schools:
        p = part(k, y)
        row = p["school"].setdefault(school, {})
        row[target] = row.get(target, 0) + int(n)
        p["names"][f"school:{school}"] = name or "(uden navn)"
    for p in parts.values():
        for grade in ("9", "10"):
            p["grade"].setdefault(grade, {})
        for sex in ("M", "K"):
            p["sex"].setdefault(sex, {})
    return parts


def load_published(
    con: duckdb.DuckDBPyConnection,
    small: SmallCell,
    kommuner: list[int] | None = None,
    years: list[int] | None = None,
    scheme: GroupScheme | None = None,
    store: ProtectionCache | None = None,
) -> dict[tuple[int, int], Published]:
    """The protected cube of every (kommune, year) asked for (all loaded ones by default), its
    cells and sums from the warehouse's education groups (`scheme`, read once by the caller, or
    here). Raises GroupSchemeError when the groups cannot make a table of counts: nothing is
    published from them. `store`: the home's protection cache (``overgang/protection_cache.py``),
    or None."""
    scheme = scheme or read_scheme(con)
    if kommuner is None or years is None:
        parts = _parts(con, kommuner, years)
    else:
        # Each (kommune, year)'s counts read once per warehouse file in this process (reports/memo.py):
        # a script or a test writing every kommune's report asks for the same ones again and again.
        known = per_warehouse(con, "cells.parts", dict)
        wanted = list(dict.fromkeys((int(k), int(y)) for k in kommuner for y in years))
        missing = [w for w in wanted if w not in known]
        if missing:
            ks, ys = sorted({k for k, _ in missing}), sorted({y for _, y in missing})
            found = _parts(con, ks, ys)
            known.update({(k, y): found.get((k, y)) for k in ks for y in ys})
        parts = {w: known[w] for w in wanted if known[w] is not None}
    out = {}
    for (k, y), p in parts.items():
        if not p["groups"]:
            continue
        cube, labels, left_out, pooled = _protected(p, small, scheme, store)
        names = dict(p["names"])
        names[f"school:{POOL}"] = f"Øvrige skoler ({pooled})"
        out[(k, y)] = Published(k, y, cube, labels, names, left_out, pooled)
    return out


__all__ = [
    "PRIMARY",
    "GroupScheme",
    "GroupSchemeError",
    "Published",
    "build_cube",
    "load_published",
    "read_scheme",
    "share_pct",
]
