"""Which printed national and region shares are withheld (``reports/aggregates.py``), decided once
per publish and kept in the warehouse, so a report reads the decision instead of solving it again.

The decision is the same for every report: per year, one integer system of every loaded
kommune's cube with each share the loaded kommuner add up to. On the sample it took 1.3 s of
`overgang report`'s 1.4 s (bench/README.md, rounds 26-27). The run decides it before publishing
and keeps it in the table `aggregates_withheld`: per year, the digest of everything the decision
rests on and the shares withheld. A report uses a year's row only when the digest is what the
warehouse, the settings and the code give now, and its MAC verifies under the home's key (the
protection cache's, ``var/cache/protection.key``); for any other year (an older warehouse, a
setting or the code changed, a table or row edited since, another home) it decides again, as
before. The next run decides again only the years whose digest changed: a new spring, its own year.

What a kept row is trusted for: the same as the counts beside it. The warehouse is written only by
`publish` (assets/warehouse/append.py rests on that too), and a row needs the home's key besides.
Unlike a cached cube's labels, a kept decision is not audited again when read: the audit is the
decision, and repeating it is the 1.3 s this saves.

The digest (SHA-256) covers the year's rows of the three søgetal tables its cubes are made from
(every row, sorted, in SQL), the education groups, the shares that could be printed (area, group,
share, the area's kommuner), the small-cell settings and the code: the files of this decision and
of protection (``reports/cells.py: _fingerprint``). Not a keyed hash: it sits in the internal
warehouse beside the counts it is made of, which anyone who can read it reads anyway.
"""

from __future__ import annotations

import hashlib
import hmac
import json

import duckdb

from overgang import protection_cache
from overgang.groups import GroupScheme
from reports import aggregates
from reports.aggregates import Aggregate, withheld
from reports.cells import _fingerprint, build_cube, load_published
from schemas.sqltext import fill, ident

TABLE = "aggregates_withheld"

# Every row a year's cubes are made from (reports/cells.py: load_published reads a subset of
# these): a row as JSON, so no value can run into the next.
_ROWS = """
WITH r AS (
    SELECT year, to_json({t: 'g', k: kommune_code, b: geography_basis, d: grade, g: education_group, n: applicants}) AS r
    FROM application_shares WHERE kommune_code <> 0
    UNION ALL
    SELECT year, to_json({t: 's', k: kommune_code, b: geography_basis, d: sex, g: education_group, n: applicants})
    FROM application_shares_by_sex WHERE kommune_code <> 0
    UNION ALL
    SELECT year, to_json({t: 'c', k: kommune_code, d: school_institution_number, m: school_name,
                          g: education_group, n: applicants})
    FROM school_application_shares WHERE kommune_code <> 0
)
SELECT year, sha256(string_agg(r::VARCHAR, chr(10) ORDER BY r::VARCHAR)) FROM r GROUP BY year
"""
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
    return protection_cache.code_fingerprint(__file__, aggregates.__file__, extra=str(_fingerprint()))


def _digest(counts: str, groups: str, found: list[Aggregate], small: dict, code: str) -> str:
    material = {
        "counts": counts,
        "groups": groups,
        "aggregates": [[a.key, a.group, a.share, sorted(a.kommuner) if a.kommuner else None] for a in found],
        "small_cell": small,
        "code": code,
    }
    return hashlib.sha256(protection_cache.canonical(material)).hexdigest()


def _mac(key: bytes, year: int, digest: str, shares: str) -> str:
    return hmac.new(key, protection_cache.canonical([year, digest, shares]), hashlib.sha256).hexdigest()


def _shares_text(shares: set[tuple[str, str]]) -> str:
    return json.dumps(sorted(shares), ensure_ascii=False)


def _kept(con, key: bytes | None) -> dict[int, tuple[str, set[tuple[str, str]]]]:
    """The decisions the warehouse keeps whose MAC this home's key verifies, per year: (digest,
    withheld). Empty without the table or the key."""
    if (
        key is None
        or not con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = $t", {"t": TABLE}).fetchone()[0]
    ):
        return {}
    out = {}
    rows = con.execute(fill("SELECT year, inputs, withheld, mac FROM ${t}", t=ident(TABLE))).fetchall()
    for year, digest, shares, mac in rows:
        try:
            if not hmac.compare_digest(str(mac), _mac(key, int(year), str(digest), str(shares))):
                continue  # not written with this home's key: decided again
            out[int(year)] = (str(digest), {(str(a), str(g)) for a, g in json.loads(shares)})
        except (TypeError, ValueError):
            continue
    return out


def decide(
    con: duckdb.DuckDBPyConnection, small: dict, scheme: GroupScheme, store, nationals: dict
) -> dict[int, tuple[str, set[tuple[str, str]]]]:
    """Per year with a national or region figure: the digest of what its decision rests on and
    the (area, group) shares ("Hele landet" or a region's name) not printed because, with the
    loaded kommuner's shown counts, they would narrow a hidden cell below the rule. A year whose
    digest the warehouse keeps is read, not solved. The protected cubes are loaded only for a year
    where some printed share is what the loaded kommuner add up to."""
    regions: dict[str, set[int]] = {}
    for code, region in con.execute("SELECT kommune_code, region FROM kommuner").fetchall():
        regions.setdefault(region, set()).add(int(code))
    counts: dict[int, dict[int, dict[str, int]]] = {}
    for k, y, group, n in con.execute(
        """SELECT kommune_code, year, education_group, sum(applicants)::BIGINT FROM application_shares
           WHERE kommune_code <> 0 AND grade = '9+10' AND geography_basis = 'school' GROUP BY ALL"""
    ).fetchall():
        counts.setdefault(int(y), {}).setdefault(int(k), {})[group] = int(n)
    rows = {int(y): str(d) for y, d in con.execute(_ROWS).fetchall()}
    scheme_rows = str((con.execute(_GROUPS).fetchone() or ("",))[0])
    published = _region_shares(con)
    kept = _kept(con, store.key() if store is not None else None)
    code = _code()
    out = {}
    for year, (shares, source) in nationals.items():
        found = [Aggregate("Hele landet", g, v, None) for g, v in sorted(shares.items())] if source else []
        for region in sorted(regions):
            found += [
                Aggregate(region, g, v, frozenset(regions[region]))
                for g, v in sorted(published.get((_scope(region), year), {}).items())
            ]
        if not found or year not in counts:
            continue
        digest = _digest(rows.get(year, ""), scheme_rows, found, small, code)
        if year in kept and kept[year][0] == digest:
            out[year] = kept[year]
            continue
        values = {k: build_cube(groups, {}, {}, {}, (), scheme).values for k, groups in counts[year].items()}

        def cubes(year=year):
            return {k: p for (k, _), p in load_published(con, small, None, [year], scheme, store).items()}

        out[year] = digest, withheld(values, cubes, found, small["min_count"])
    return out


def aggregates_withheld(
    con: duckdb.DuckDBPyConnection, small: dict, scheme: GroupScheme, store, nationals: dict
) -> dict[int, set[tuple[str, str]]]:
    """`decide`'s withheld shares per year, for a report."""
    return {year: shares for year, (_, shares) in decide(con, small, scheme, store, nationals).items()}


def keep(con: duckdb.DuckDBPyConnection, decided: dict[int, tuple[str, set[tuple[str, str]]]], store) -> None:
    """Write the decisions into the working database (the run, before publishing), each row with
    its MAC under this home's key (the protection cache's, ``overgang/protection_cache.py``): a
    row edited or written without the key is decided again by the report. A year's row is
    replaced only when it changed, so an unchanged year's row stays as published and a new spring
    is still published by appending (assets/warehouse/append.py). Without a key nothing is kept."""
    key = store.key() if store is not None else None
    if key is None:
        return
    con.execute(
        fill(
            "CREATE TABLE IF NOT EXISTS ${t} (year INTEGER, inputs VARCHAR, withheld VARCHAR, mac VARCHAR)",
            t=ident(TABLE),
        )
    )
    kept = _kept(con, key)
    con.execute(fill("DELETE FROM ${t} WHERE NOT list_contains($ys, year)", t=ident(TABLE)), {"ys": sorted(decided)})
    for year, (digest, shares) in sorted(decided.items()):
        if year in kept and kept[year] == (digest, shares):
            continue
        text = _shares_text(shares)
        con.execute(fill("DELETE FROM ${t} WHERE year = $y", t=ident(TABLE)), {"y": year})
        con.execute(
            fill("INSERT INTO ${t} VALUES ($y, $d, $w, $m)", t=ident(TABLE)),
            {"y": year, "d": digest, "w": text, "m": _mac(key, year, digest, text)},
        )
