"""What a report reads that is the same for every kommune of one published warehouse, read once
per process and kept for the next report of the same warehouse file.

A test session or a script renders hundreds of reports from one warehouse, each on a connection
of its own (``render_report``); without this each report ran the same warehouse-wide queries again
(every year's rows hashed for the withheld-shares decision, every kommune's counts, ...).

An entry is used only while the warehouse is the same file with the same bytes on disk: its path,
inode, size and modification time (and those of its write-ahead log) and the run id the connection
itself reads. A publish replaces the file (another inode and run id); an edit through a writable
connection changes its size or time. Only a read-only connection to a file keeps anything (the
published warehouse, as reports read it). One entry per name: the memory held is one warehouse's
worth, never a history.
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Callable, Hashable
from typing import TypeVar

import duckdb

T = TypeVar("T")

_KEPT: dict[Hashable, tuple[tuple, object]] = {}


def _stat(path: str) -> tuple[int, int, int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns


# Each open connection's key, worked out at its first use: a read-only connection sees the same
# warehouse as long as it is open (no one can write the file while it holds it). Weak: a
# connection let go is closed as before, its file free for a writer.
_KEYS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def warehouse_key(con) -> tuple | None:
    """Which warehouse file `con` reads, as it was on disk at the connection's first use here;
    None for one that is not a file or not read-only."""
    try:
        return _KEYS[con]
    except (KeyError, TypeError):
        pass
    key = _key(con)
    try:
        _KEYS[con] = key
    except TypeError:
        pass  # an object that cannot be weakly referred to: worked out again next time
    return key


def _key(con) -> tuple | None:
    path, readonly = con.execute(
        "SELECT path, readonly FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchone() or (None, False)
    if not path or not readonly:
        # A writable connection may hold changes not yet on disk (a run building its tables in a
        # transaction): what it reads is never kept.
        return None
    found = _stat(path)
    if found is None:
        return None
    try:
        # Read through the connection, not from the file: a file replaced since the connection
        # was opened has another run id than what this connection sees, so its entry never matches.
        run = con.execute("SELECT run_id FROM publication").fetchone()
    except duckdb.Error:
        run = None
    return os.path.realpath(path), found, _stat(path + ".wal"), run


def per_warehouse(con, name: Hashable, compute: Callable[[], T]) -> T:
    """`compute()` for the warehouse `con` reads, kept under `name` while that warehouse is unchanged.
    The value is shared by every later caller: it must not be changed by them."""
    key = warehouse_key(con)
    if key is None:
        return compute()
    kept = _KEPT.get(name)
    if kept is not None and kept[0] == key:
        return kept[1]  # type: ignore[return-value]
    value = compute()
    _KEPT[name] = key, value
    return value
