"""The publication set: what may leave the municipality, kept apart from the internal warehouse.

The internal warehouse (``var/warehouse/overgang.duckdb``) holds pupil-level rows and
unsuppressed søgetal for the municipality's own analysts. The publication set
(``var/publication/``) holds only the protected cells of every kommune and year
(``reports/cells.py``): counts and shares with small cells hidden and marked exactly as in the
council reports, as a DuckDB file with views, as Parquet, and beside each report an .xlsx
workbook of its tables. It is written only after every cube passes the disclosure audit
(``overgang/suppression.check``).
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import duckdb
import pandas as pd

from overgang.exchange import exchange
from overgang.groups import GroupScheme
from overgang.pipeline_settings import SmallCell
from overgang.protection_cache import ProtectionCache
from overgang.suppression import check
from reports.cells import load_published, read_scheme, share_pct
from reports.groups import known_group
from schemas.sqltext import SQL, fill, ident, literal

# In the set's folder: the run id of the warehouse it was made from (as Parquet's, assets.py).
PUBLICATION_MARK = ".publication"
# In the folder of a set made from generated (synthetic) data.
SYNTHETIC_MARK = "SYNTHETIC"
SYNTHETIC_NOTE = "\nMADE FROM SYNTHETIC (GENERATED) DATA: not real pupils, not for publication as facts.\n"

README = """Overgang: publication set (offentliggørelsessæt)

Only protected figures: counts of 0-4 are hidden ("<5"); further cells are hidden where they
could otherwise be worked out ("x", always 5 or more); "<20" marks a row with fewer than 20
pupils. Shares are percentages with one decimal. The same cells are hidden in every council
report. Every hidden cell has passed an audit by integer linear programming: a reader who
combines everything here can narrow it to no fewer than four possible values.

Files: overgang_publication.duckdb (views soegetal, soegetal_split), parquet/*.parquet.
The internal warehouse (../warehouse/overgang.duckdb) is NOT for publication.
"""

# A group counted apart, in the views' English; another is named by its Danish label.
APART = {"TIENDE": "9th graders applying to 10th grade"}


def groups_text(scheme: GroupScheme) -> str:
    """'EUD, GYM, FGU, STU, OEVRIGT, OEVRIGE (= FGU+STU+OEVRIGT), n (leavers, the denominator),
    TIENDE (...)': the education groups of data/config/education_groups.csv, as the cells hold them."""
    return ", ".join(
        [
            *scheme.detail,
            *(f"{t} (= {'+'.join(members)})" for t, members in scheme.sums),
            "n (leavers, the denominator)",
            *(
                f"{g} ({APART.get(g) or known_group(scheme, g).label_da}, not in the denominator)"
                for g in scheme.uncounted
            ),
        ]
    )


def views(scheme: GroupScheme) -> dict[str, tuple[str, str]]:
    return {
        "soegetal": (
            "Søgetal per kommune, year and education group (1st priority, 9th+10th grade, schools in the kommune), "
            "protected: applicants and share_pct are NULL where mark is '<5' (0-4), 'x' (hidden to protect "
            f"another cell, 5 or more) or '<20'. Groups: {groups_text(scheme)}.",
            "SELECT kommune_code, kommune_name, year, education_group, applicants, share_pct, mark FROM cells "
            "WHERE part = 'groups'",
        ),
        "soegetal_split": SPLIT_VIEW,
    }


VIEWS = ("soegetal", "soegetal_split")
SPLIT_VIEW = (
    "Søgetal by 9th/10th grade, sex and school (part = grade, sex, school; a pooled row "
    "'pool' holds the schools too small to show alone), protected like soegetal. A split is "
    "missing for a kommune and year when it could not be shown without revealing a small cell.",
    "SELECT kommune_code, kommune_name, year, part, row_key, row_name, education_group, applicants, "
    "share_pct, mark FROM cells WHERE part <> 'groups'",
)


def publication_rows(
    con: duckdb.DuckDBPyConnection,
    small: SmallCell,
    scheme: GroupScheme | None = None,
    store: ProtectionCache | None = None,
) -> pd.DataFrame:
    """Every protected cell of every kommune and year, one row each; the groups as the warehouse's
    education groups say (`scheme`, read here when not given). `store`: the home's protection
    cache, or None."""
    scheme = scheme or read_scheme(con)
    names = dict(con.execute("SELECT kommune_code, kommune_name FROM kommuner").fetchall())
    rows = []
    for (k, y), pub in sorted(load_published(con, small, scheme=scheme, store=store).items()):
        check(pub.cube, pub.labels)
        base = {"kommune_code": k, "kommune_name": names.get(k), "year": y}
        for group in [*scheme.detail, *(t for t, _ in scheme.sums), "n"]:
            cell = f"g/{group}"
            rows.append(
                {
                    **base,
                    "part": "groups",
                    "row_key": None,
                    "row_name": None,
                    "education_group": group,
                    "applicants": pub.count(cell),
                    "share_pct": pub.share(cell, "g/n") if group != "n" else None,
                    "mark": pub.label(cell),
                }
            )
        for group in scheme.uncounted:
            rows.append(
                {
                    **base,
                    "part": "groups",
                    "row_key": None,
                    "row_name": None,
                    "education_group": group,
                    "applicants": pub.count(f"t/{group}"),
                    "share_pct": None,
                    "mark": pub.label(f"t/{group}"),
                }
            )
        for kind in ("grade", "sex", "school"):
            for key in pub.split_rows(kind):
                row_key = key.split(":", 1)[1]
                for group in [*scheme.targets, "n"]:
                    cell = f"{key}/{group}"
                    rows.append(
                        {
                            **base,
                            "part": kind,
                            "row_key": row_key,
                            "row_name": pub.school_names.get(key, row_key),
                            "education_group": group,
                            "applicants": pub.count(cell),
                            "share_pct": pub.share(cell, f"{key}/n") if group != "n" else None,
                            "mark": pub.label(cell),
                        }
                    )
    # Without extracts (public figures only) there are no cells to publish: an empty set, not an error.
    columns = ["kommune_code", "kommune_name", "year", "part", "row_key", "row_name", "education_group"]
    frame = pd.DataFrame(rows, columns=[*columns, "applicants", "share_pct", "mark"])
    frame["applicants"] = frame["applicants"].astype("Int64")
    frame["share_pct"] = frame["share_pct"].astype("Float64")
    return frame


def write_publication_set(
    warehouse: Path, folder: Path, small: SmallCell, storage_version: str, store: ProtectionCache | None = None
) -> dict:
    """Build the publication set from the internal warehouse into `folder`, replacing it whole.
    `store`: the home's protection cache (never inside `folder`), or None."""
    started = time.perf_counter()
    with duckdb.connect(str(warehouse), read_only=True) as con:
        scheme = read_scheme(con)
        frame = publication_rows(con, small, scheme, store)
        has_run = con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'publication'").fetchall()[0][0]
        run_id, synthetic = (
            con.execute("SELECT max(run_id), bool_or(synthetic_data) FROM publication").fetchall()[0]
            if has_run
            else (None, False)
        )
    write_cells(frame, scheme, folder, storage_version, run_id, bool(synthetic))
    return {
        "path": str(folder),
        "cells": len(frame),
        "hidden": int(frame["mark"].notna().sum()),
        "seconds": round(time.perf_counter() - started, 2),
    }


def write_cells(
    frame: pd.DataFrame,
    scheme: GroupScheme,
    folder: Path,
    storage_version: str,
    run_id: str | None,
    synthetic: bool,
    readme: str = README,
) -> None:
    """Write protected cells (`frame`, publication_rows' columns) as a publication set into
    `folder`, replacing it whole: built beside it and renamed into place, the set before kept as
    `.previous`. Used for a kommune's set and for the national set (assets/national/)."""
    new = folder.with_name(folder.name + ".new")
    shutil.rmtree(new, ignore_errors=True)
    (new / "parquet").mkdir(parents=True)
    db = new / "overgang_publication.duckdb"
    with duckdb.connect() as con:
        # The file name is a value ($path); ATTACH takes no parameter for its options.
        con.execute(
            fill("ATTACH $path AS pub (STORAGE_VERSION ${version})", version=literal(storage_version)),
            {"path": str(db)},
        )
        con.execute("USE pub")
        con.register("frame", frame)
        con.execute("CREATE TABLE cells AS SELECT * FROM frame")
        con.execute(
            "COMMENT ON TABLE cells IS 'Protected cells of every kommune and year: publishable. See the views.'"
        )
        for name, (text, sql) in views(scheme).items():
            con.execute(fill("CREATE VIEW ${name} AS ${sql}", name=ident(name), sql=SQL(sql)))
            con.execute(fill("COMMENT ON VIEW ${name} IS ${text}", name=ident(name), text=literal(text)))
            con.execute(
                fill("COPY (FROM ${name}) TO $path (FORMAT parquet)", name=ident(name)),
                {"path": str(new / "parquet" / (name + ".parquet"))},
            )
        con.execute("USE memory")
        con.execute("DETACH pub")
    (new / "README.txt").write_text(readme + (SYNTHETIC_NOTE if synthetic else ""), encoding="utf-8")
    if synthetic:
        # A set made from generated data says so to whoever combines it (the national set does).
        (new / SYNTHETIC_MARK).write_text("synthetic\n", encoding="utf-8")
    # The run of the warehouse this set was made from: rollback (rollback.py) matches it.
    if run_id is not None:
        (new / PUBLICATION_MARK).write_text(str(run_id), encoding="utf-8")
    # The set before is kept as `.previous`, as the warehouse's is, so that a rollback can put
    # back the set that belongs to the previous warehouse.
    old = folder.with_name(folder.name + ".previous")
    shutil.rmtree(old, ignore_errors=True)
    # The new set and the one in place exchanged in one step (overgang/exchange.py): a process
    # killed here leaves one whole set in place, never none. Where the system cannot, two renames.
    if folder.exists() and exchange(new, folder):
        new.rename(old)
        return
    if folder.exists():
        folder.rename(old)
    new.rename(folder)


__all__ = ["publication_rows", "share_pct", "write_cells", "write_publication_set"]
