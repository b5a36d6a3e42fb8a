"""Whether a small source must be loaded again: the fingerprint of everything it is made from.

A new spring's extract changes no måltal, goal, StatBank table or reference file, yet loading each
again cost a run about a second of its few. So each small source records, in the working
database beside its table, a fingerprint of all it was made from: the content of its files
(shipped in data/ and accepted by the inbox, description files included), every configuration
and reference file in data/config and data/reference, the checked settings, the calendar year
(a published figure for a later year is held back), and the code that
reads and checks it (overgang/, schemas/, intake/, assets/). A run for application years leaves out the
sources whose fingerprint is unchanged and whose table is there (pipelines/run.py); anything
else, or any doubt, loads it. `overgang run --rebuild` starts from an empty working database
and so loads everything.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import sys
from importlib import metadata
from pathlib import Path

import duckdb

from intake.sources.files import SHIPPED, processed_dir
from overgang.pipeline_settings import as_dict
from overgang.settings import DATA_DIR, PROJECT_DIR, Settings
from schemas.published import this_year
from schemas.sources import SOURCES

TABLE = "source_inputs"
REFERENCE = "reference_tables"
# What loading a small source runs (its readers, schemas, the settings' model and the SQL it writes).
CODE = ("overgang", "schemas", "intake", "assets")


def _hash_files(digest, root: Path) -> None:
    if not root.exists():
        digest.update(b"<none>")
        return
    files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
    for path in files:
        digest.update(str(path.relative_to(root)).encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())


# The libraries that read and check a source: an upgrade may parse a file differently.
LIBRARIES = ("pandas", "pandera", "numpy", "openpyxl", "duckdb", "pyyaml", "pydantic")


@functools.cache
def _code() -> bytes:
    digest = hashlib.sha256(sys.version.encode())
    for name in LIBRARIES:
        try:
            digest.update(f"{name} {metadata.version(name)}\0".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{name} -\0".encode())
    for folder in CODE:
        for path in sorted((PROJECT_DIR / folder).rglob("*")):
            if path.is_file() and path.suffix in (".py", ".sql", ".yaml", ".csv", ".json"):
                digest.update(str(path.relative_to(PROJECT_DIR)).encode() + b"\0" + path.read_bytes())
    return digest.digest()


def fingerprint(settings: Settings, asset: str) -> str:
    """Of the asset `asset` (a registry source's name, or REFERENCE for the reference tables)."""
    digest = hashlib.sha256(asset.encode() + b"\0" + _code())
    digest.update(json.dumps(as_dict(settings.pipeline), sort_keys=True, default=str).encode())
    digest.update(f"year {this_year()}".encode())  # a checked figure may not be after today's year
    for folder in (DATA_DIR / "config", DATA_DIR / "reference"):
        _hash_files(digest, folder)
    source = next((s for s in SOURCES if s.name == asset), None)
    if source is not None:
        if source.kind in SHIPPED:
            _hash_files(digest, SHIPPED[source.kind])
        _hash_files(digest, processed_dir(settings, source.kind))
    return as_text(digest.digest())


def as_text(digest: bytes) -> str:
    """The digest in base32 (RFC 4648, lower case, no padding), not hex: a hex digest holds a run
    of ten digits now and then, which the privacy scan of the working database (and any scanner
    of the analysts' own) takes for a CPR number. Base32's digits are 2-7, and a CPR-shaped number
    needs a 0 or 1 as its third digit (overgang.cpr)."""
    return base64.b32encode(digest).decode("ascii").rstrip("=").lower()


COLUMNS = ["asset_table", "fingerprint", "run_id", "loaded_at"]


def _table(con: duckdb.DuckDBPyConnection) -> None:
    """source_inputs as this code writes it: one of another shape (an older or damaged one) is made anew."""
    query = "SELECT column_name FROM duckdb_columns() WHERE table_name = $table ORDER BY column_index"
    columns = [c for (c,) in con.execute(query, {"table": TABLE}).fetchall()]
    if columns and columns != COLUMNS:
        con.execute("DROP TABLE source_inputs")
    con.execute(
        "CREATE TABLE IF NOT EXISTS source_inputs (asset_table VARCHAR PRIMARY KEY, fingerprint VARCHAR NOT NULL, "
        "run_id VARCHAR NOT NULL, loaded_at TIMESTAMP NOT NULL)"
    )


def forget(con: duckdb.DuckDBPyConnection, tables: list[str]) -> None:
    """Before `tables` are written: until `record`, they are not what any recorded inputs made (a run
    killed in between leaves them to be loaded again, even when the inputs go back to the recorded ones)."""
    _table(con)
    con.execute("DELETE FROM source_inputs WHERE list_contains($tables, asset_table)", {"tables": tables})


def record(con: duckdb.DuckDBPyConnection, tables: list[str], print_: str, run_id: str) -> None:
    """After `tables` were written from inputs with fingerprint `print_` (taken before reading them)."""
    _table(con)
    for table in tables:
        con.execute(
            "INSERT OR REPLACE INTO source_inputs VALUES ($table, $print, $run_id, current_localtimestamp())",
            {"table": table, "print": print_, "run_id": run_id},
        )


def unchanged(settings: Settings, tables_of: dict[str, list[str]]) -> set[str]:
    """The assets of `tables_of` (asset -> the tables it writes) whose tables are all in the
    working database, each recorded with the asset's current fingerprint."""
    if not settings.work_db.exists():
        return set()
    try:
        con = duckdb.connect(str(settings.work_db), read_only=True)
    except duckdb.Error:
        return set()  # in doubt, load
    try:
        present = {t for (t,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        if TABLE not in present:
            return set()
        recorded = dict(con.execute("SELECT asset_table, fingerprint FROM source_inputs").fetchall())
    except duckdb.Error:
        return set()  # a table of another shape: in doubt, load
    finally:
        con.close()
    out = set()
    for asset, tables in tables_of.items():
        current = fingerprint(settings, asset)
        if all(t in present and recorded.get(t) == current for t in tables):
            out.add(asset)
    return out
