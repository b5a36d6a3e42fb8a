"""The Overgang home (OVERGANG_HOME): one run at a time in it, and what to say when the machine
under it fails. Plain Python, no Dagster: `overgang load --no-run`, `rollback` and the error
messages of every command need these without paying for Dagster's import."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from overgang.faults import (
    DAMAGED_DUCKDB,
    DAMAGED_HISTORY,
    DISK_FULL,
    NO_PERMISSION,
    READ_ONLY,
    damaged_history,
    kind_of_text,
)
from overgang.settings import Settings

__all__ = ["RunLocked", "damaged_history", "explain", "lock_holder", "run_lock"]


class RunLocked(RuntimeError):
    """Another run holds this home's lock; the message names it."""


def _holder(path: Path) -> str:
    try:
        info = json.loads(path.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        info = {}
    if not info:
        return "another run"
    return (
        f"run {info.get('run_id', '?')} ({info.get('job', '?')}, process {info.get('pid', '?')} on {info.get('host', '?')}, "
        f"started {info.get('started', '?')})"
    )


@contextmanager
def run_lock(home: Path, run_id: str, job_name: str, wait: bool = False) -> Iterator[None]:
    """One run at a time per OVERGANG_HOME: an exclusive lock on ``<home>/run.lock`` naming the
    holder's run id. The operating system releases it when the holder dies (kill -9 included), so
    it never goes stale. Without `wait`, a second run stops at once with RunLocked saying who holds it."""
    home.mkdir(parents=True, exist_ok=True)
    path = home / "run.lock"
    handle = path.open("a+", encoding="utf-8")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if not wait:
                raise RunLocked(
                    f"Another run is using {home}: {_holder(path)}. Nothing was started; wait until it has "
                    "finished (or use --wait) and run again."
                ) from None
            fcntl.flock(handle, fcntl.LOCK_EX)
        handle.seek(0)
        handle.truncate()
        handle.write(
            json.dumps(
                {
                    "run_id": run_id,
                    "job": job_name,
                    "pid": os.getpid(),
                    "host": socket.gethostname(),
                    "started": datetime.now().isoformat(timespec="seconds"),
                }
            )
        )
        handle.flush()
        yield
    finally:
        handle.close()  # closing releases the lock


def lock_holder(home: Path) -> str | None:
    """Who holds the home's run lock now (None when nobody does)."""
    path = home / "run.lock"
    if not path.exists():
        return None
    with path.open("a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return _holder(path)
        fcntl.flock(handle, fcntl.LOCK_UN)
    return None


def damaged_sqlite_files(settings: Settings) -> list[Path]:
    """Dagster's SQLite files under the home that SQLite cannot read (a damaged header or page)."""
    import sqlite3

    home = Path(os.environ.get("DAGSTER_HOME") or settings.dagster_home)
    damaged = []
    for path in sorted(home.rglob("*.db")) if home.is_dir() else []:
        try:
            with contextlib.closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)) as con:
                if con.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                    damaged.append(path)
        except sqlite3.OperationalError:
            continue  # locked, or not readable by this user: not damaged
        except sqlite3.DatabaseError:
            damaged.append(path)
    return damaged


def _top_folder(settings: Settings, path: Path) -> Path:
    """The folder of Dagster's home that holds `path` (history, schedules): moved aside whole."""
    home = Path(os.environ.get("DAGSTER_HOME") or settings.dagster_home)
    parts = path.relative_to(home).parts
    return home / parts[0] if len(parts) > 1 else path.parent


def explain(text: str, settings: Settings | None = None) -> str:
    """Advice for failures that come from the machine, not the data: a full disk, a read-only or
    inaccessible home, a damaged database file (overgang/faults.py says which `text` names)."""
    home = f" ({settings.home})" if settings else ""
    kind = kind_of_text(text)
    if kind == DISK_FULL:
        return (
            text + f" → The disk holding OVERGANG_HOME{home} is full. Free space (the working database and one "
            "more copy of the warehouse must fit) and run again."
        )
    if kind == READ_ONLY:
        return (
            text + f" → OVERGANG_HOME{home} is on a read-only file system. Mount it writable, or set "
            "OVERGANG_HOME to a writable folder, and run again."
        )
    if kind == NO_PERMISSION:
        return (
            text + f" → This user may not write in OVERGANG_HOME{home}. Fix its permissions or set OVERGANG_HOME "
            "to a folder this user owns, and run again."
        )
    if kind == DAMAGED_HISTORY:
        # The folder of the damaged file: the run history, or the schedules and sensors' ticks
        # (dagster/schedules), which fail with the same words and are not mended by moving the
        # history aside.
        folders: list[Path | str] = (
            sorted({_top_folder(settings, p) for p in damaged_sqlite_files(settings)}) if settings else []
        )
        if not folders:
            folders = [settings.dagster_home / "history"] if settings else ["the home's dagster/history folder"]
        where = ", ".join(str(f) for f in folders)
        return (
            text
            + f" → A file of Dagster's run history ({where}) is damaged. Move "
            + ("that folder" if len(folders) == 1 else "those folders")
            + " aside (it holds only the record of past runs and sensor ticks; the warehouse, the inbox and the "
            "reports are not in it) and run again."
        )
    if kind == DAMAGED_DUCKDB:
        return text + " → " + _damaged_duckdb_advice(text, settings)
    return text


def _damaged_duckdb_advice(text: str, settings: Settings | None) -> str:
    """Which DuckDB file is damaged, when the message names it, and what mends that one."""
    if settings is not None and str(settings.work_db) in text:
        return f"The working database {settings.work_db} is damaged: rebuild it with `overgang run --rebuild`."
    if settings is not None and str(settings.warehouse) in text:
        return (
            f"The published warehouse {settings.warehouse} is damaged: `overgang rollback` puts the previous "
            "version back (or `overgang run` publishes it again from the working database)."
        )
    return (
        "A DuckDB file is damaged. The working database: rebuild it with `overgang run --rebuild`. "
        "The published warehouse: `overgang rollback` puts the previous version back."
    )
