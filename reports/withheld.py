"""Which printed national and region shares are withheld (``reports/aggregates.py``), decided once
and kept in the home's cache, so the next report reads the decision instead of solving it again.

The decision is the same for every report: per year, one integer system of every loaded
kommune's cube with each share the loaded kommuner add up to. On the sample it took 1.3 s of
`overgang report`'s 1.4 s (bench/README.md, rounds 26-27); at 1 M rows 2-6 s. The first report
after a publish (the run's own council report) decides each year and keeps the result in
``<home>/cache/aggregates_withheld.json``: per year, a keyed digest of everything the decision
rests on, the shares withheld, and a MAC of both. A report uses a year's entry only when its
digest is what the warehouse, the settings and the code give now and its MAC verifies; any other
year (a new spring, an edited count or entry, other settings or code, another home) is decided
again and its entry replaced. A new spring thus solves its own year, not all of them.

The digest is an HMAC-SHA256 under the protection cache's key (``overgang/protection_cache.py``,
``<home>/cache/protection.key``) of the year's rows of the three søgetal tables its cubes are
made from (every row, sorted, hashed in SQL), the education groups, the shares that could be
printed (area, group, share, the area's kommuner), the small-cell settings and the code (the files
of this decision and of protection, and the solver's version). Keyed, as the cache's names are:
a plain hash of the counts in a file outside the warehouse would let a reader of the published
cells test guesses of the hidden ones. An entry holds no count.

What an entry is trusted for: unlike a cached cube's labels, a kept decision is not audited again
when read (the audit is the decision; repeating it is what this saves). It is trusted on its MAC
under the home's key, as the protection cache's file names are; deleting the file is always safe.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import tempfile
from pathlib import Path

import duckdb

from overgang import protection_cache
from overgang.groups import GroupScheme
from overgang.pipeline_settings import SmallCell, as_dict
from reports import aggregates
from reports.aggregates import Aggregate, withheld
from reports.cells import _fingerprint, build_cube, load_published
from reports.memo import per_warehouse
from reports.sql import SQL_DIR, read_sql

# Every row a year's cubes are made from, a digest per year (reports/sql/withheld_rows.sql).
_ROWS = "withheld_rows"
_GROUPS = """SELECT sha256(coalesce(string_agg(to_json(g)::VARCHAR, chr(10) ORDER BY to_json(g)::VARCHAR), ''))
             FROM education_groups g"""


def _scope(region: str) -> str:
    """A region's scope in published_figures ("Region Nordjylland" -> region_nordjylland)."""
    return region.lower().replace(" ", "_").replace("æ", "ae").replace("ø", "oe").replace("å", "aa")


_REGION_SHARES = """SELECT scope, year, "group", value FROM published_figures WHERE measure = 'soegetal_share'"""


def _region_shares(con) -> dict[tuple[str, int], dict[str, float]]:
    """Every published share, per (scope, year): one query instead of one per region and year."""
    out: dict[tuple[str, int], dict[str, float]] = {}
    for scope, year, group, value in con.execute(_REGION_SHARES).fetchall():
        out.setdefault((scope, int(year)), {})[group] = round(float(value), 1)
    return out


def region_shares(con, region: str, year: int) -> dict[str, float]:
    rows = con.execute(
        """SELECT "group", value FROM published_figures WHERE scope = $s
                          AND measure = 'soegetal_share' AND year = $y""",
        {"s": _scope(region), "y": year},
    ).fetchall()
    return {g: round(float(v), 1) for g, v in rows}


def _code() -> str:
    """The code a decision depends on: protection's files and the solver (cells._fingerprint),
    and the decision's own (this file and reports/aggregates.py)."""
    return protection_cache.code_fingerprint(
        __file__, aggregates.__file__, str(SQL_DIR / f"{_ROWS}.sql"), extra=str(_fingerprint())
    )


def _digest(key: bytes, counts: str, groups: str, found: list[Aggregate], small: SmallCell, code: str) -> str:
    material = {
        "counts": counts,
        "groups": groups,
        "aggregates": [[a.key, a.group, a.share, sorted(a.kommuner) if a.kommuner else None] for a in found],
        "small_cell": as_dict(small),
        "code": code,
    }
    return hmac.new(key, protection_cache.canonical(material), hashlib.sha256).hexdigest()


FILE = "aggregates_withheld.json"
FORMAT = 1


def _file(store: protection_cache.ProtectionCache) -> Path:
    """Beside the protection cache's folder and key, in the home's cache."""
    return store.folder.parent / FILE


def _mac(key: bytes, year: int, digest: str, shares: list) -> str:
    return hmac.new(key, protection_cache.canonical([year, digest, shares]), hashlib.sha256).hexdigest()


def _kept(store: protection_cache.ProtectionCache, key: bytes) -> dict[int, tuple[str, set[tuple[str, str]]]]:
    """The decisions kept whose MAC this home's key verifies, per year: (digest, withheld). An
    entry that does not verify (edited, another key, torn, not this code's) is left out."""
    try:
        entries = json.loads(_file(store).read_bytes())["years"]
    except (OSError, ValueError, TypeError, KeyError):
        return {}
    out = {}
    for year, entry in entries.items() if isinstance(entries, dict) else ():
        try:
            digest, shares, mac = entry["inputs"], entry["withheld"], entry["mac"]
            if hmac.compare_digest(str(mac), _mac(key, int(year), str(digest), shares)):
                out[int(year)] = (str(digest), {(str(a), str(g)) for a, g in shares})
        except (TypeError, ValueError, KeyError):
            continue
    return out


def _keep(store: protection_cache.ProtectionCache, key: bytes, decided: dict) -> None:
    """The entries kept with this process's decisions put in, written atomically (a temporary file,
    then os.replace: two reports at once leave one whole file). A home that cannot be written
    costs the next report time, not this one."""
    kept = {**_kept(store, key), **decided}
    years = {}
    for year, (digest, shares) in sorted(kept.items()):
        listed = sorted([a, g] for a, g in shares)
        years[str(year)] = {"inputs": digest, "withheld": listed, "mac": _mac(key, year, digest, listed)}
    path = _file(store)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".part")
    except OSError:
        return
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(protection_cache.canonical({"format": FORMAT, "years": years}))
        os.replace(tmp, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


def _inputs(con) -> tuple[dict[str, set[int]], dict[int, dict[int, dict[str, int]]], dict]:
    """What every year's decision reads from the warehouse: each region's kommuner, each loaded
    kommune's counts by year and group, and the published region shares."""
    regions: dict[str, set[int]] = {}
    for code, region in con.execute("SELECT kommune_code, region FROM kommuner").fetchall():
        regions.setdefault(region, set()).add(int(code))
    counts: dict[int, dict[int, dict[str, int]]] = {}
    for k, y, group, n in con.execute(
        "SELECT kommune_code, year, education_group, sum(applicants)::BIGINT FROM application_shares "
        "WHERE kommune_code <> 0 AND grade = '9+10' AND geography_basis = 'school' GROUP BY ALL"
    ).fetchall():
        counts.setdefault(int(y), {}).setdefault(int(k), {})[group] = int(n)
    return regions, counts, _region_shares(con)


def _digests(con) -> tuple[dict[int, str], str]:
    """Per year, the digest of the rows its cubes are made from; and that of the education groups."""
    rows = {int(y): str(d) for y, d in con.execute(read_sql(_ROWS)).fetchall()}
    return rows, str((con.execute(_GROUPS).fetchone() or ("",))[0])


def decide(
    con: duckdb.DuckDBPyConnection, small: SmallCell, scheme: GroupScheme, store, nationals: dict
) -> dict[int, set[tuple[str, str]]]:
    """Per year with a national or region figure: the (area, group) shares ("Hele landet" or a
    region's name) not printed because, with the loaded kommuner's shown counts, they would
    narrow a hidden cell below the rule. A year whose entry the home keeps (`store`: its
    protection cache; None keeps nothing) is read, not solved; a year solved is kept. The
    protected cubes are loaded only for a year where some printed share is what the loaded
    kommuner add up to."""
    regions, counts, published = per_warehouse(con, "withheld.inputs", lambda: _inputs(con))
    key = store.key() if store is not None else None
    rows: dict[int, str] = {}
    scheme_rows, kept, code = "", {}, ""
    if key is not None:
        # The warehouse's digests, read once per warehouse file in this process (reports/memo.py);
        # the kept file is read every time: another process may have written it since.
        rows, scheme_rows = per_warehouse(con, "withheld.digests", lambda: _digests(con))
        kept, code = _kept(store, key), _code()
    out, solved = {}, {}
    for year, (shares, source) in nationals.items():
        found = [Aggregate("Hele landet", g, v, None) for g, v in sorted(shares.items())] if source else []
        for region in sorted(regions):
            found += [
                Aggregate(region, g, v, frozenset(regions[region]))
                for g, v in sorted(published.get((_scope(region), year), {}).items())
            ]
        if not found or year not in counts:
            continue
        digest = _digest(key, rows.get(year, ""), scheme_rows, found, small, code) if key is not None else ""
        if key is not None and year in kept and kept[year][0] == digest:
            out[year] = kept[year][1]
            continue
        values = {k: build_cube(groups, {}, {}, {}, (), scheme).values for k, groups in counts[year].items()}

        def cubes(year=year):
            return {k: p for (k, _), p in load_published(con, small, None, [year], scheme, store).items()}

        out[year] = withheld(values, cubes, found, small.min_count)
        solved[year] = digest, out[year]
    if key is not None and solved:
        _keep(store, key, solved)
    return out


def aggregates_withheld(
    con: duckdb.DuckDBPyConnection, small: SmallCell, scheme: GroupScheme, store, nationals: dict
) -> dict[int, set[tuple[str, str]]]:
    """What a report does not print, per year (`decide`)."""
    return decide(con, small, scheme, store, nationals)
