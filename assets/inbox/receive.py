"""The inbox (indbakke): a file dropped there is recognised, checked as a whole, and moved to
``processed/<kind>/`` (extracts: ``processed/applications/<year>/``) or to ``rejected/`` with
``<name>.reason.txt`` beside it. Nothing is deleted: a file it replaces goes to
``processed/superseded/``. ``processed/ledger.csv`` records every file's content hash, so the
same file dropped twice changes nothing.
"""

from __future__ import annotations

import csv
import os
import shutil
import stat
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from assets.inbox.recognise import recognise
from assets.sources.files import ledger_path, ledger_rows, processed_dir, sidecar, without_descriptions
from assets.sources.tables import FileRejected
from overgang.encoding import sha256_file
from overgang.pseudonymise import has_cpr, scrub
from overgang.settings import Settings

LEDGER_COLUMNS = ["received_at", "file", "sha256", "outcome", "kind", "year", "stored_as", "message"]
IGNORED = {"README.md", "ledger.csv"}


@dataclass
class Outcome:
    file: str
    outcome: str  # accepted, duplicate or rejected
    kind: str | None
    year: int | None
    stored_as: Path | None
    message: str
    sha256: str


def _record(settings: Settings, outcome: Outcome) -> None:
    path = ledger_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    new = not path.exists()
    with path.open("a", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        if new:
            writer.writerow(LEDGER_COLUMNS)
        writer.writerow([datetime.now().isoformat(timespec="seconds"), outcome.file, outcome.sha256, outcome.outcome,
                         outcome.kind or "", outcome.year or "", outcome.stored_as or "", outcome.message])


def _loaded_as(settings: Settings, sha256: str) -> Path | None:
    """Where a file with this content is loaded now (None if never, or since replaced)."""
    for row in ledger_rows(settings):
        if row["sha256"] == sha256 and row["outcome"] == "accepted" and Path(row["stored_as"]).exists():
            return Path(row["stored_as"])
    return None


def _free(target: Path) -> Path:
    if not target.exists():
        return target
    return target.with_name(f"{datetime.now():%Y%m%dT%H%M%S%f}_{target.name}")


def _place(source: Path, target: Path, copy: bool) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    (shutil.copy2 if copy else shutil.move)(str(source), str(target))
    return target


def _supersede(settings: Settings, old: Path) -> None:
    """Move a replaced file (and its description) out of the way, never deleting it."""
    folder = settings.inbox_dir / "processed" / "superseded"
    for path in (old, sidecar(old)):
        if path is not None and path.exists():
            _place(path, _free(folder / path.name), copy=False)


def not_a_plain_file(path: Path) -> str | None:
    """Why `path` is not read (a link, device, pipe, socket or folder), or None for a regular file.

    Looked at with lstat, never opened: a link named .csv could point at a system file, and a
    pipe or device would block or never end."""
    mode = path.lstat().st_mode
    for test, what in ((stat.S_ISLNK, "a symbolic link"), (stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe"),
                       (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return what
    return None if stat.S_ISREG(mode) else "not a regular file"


def _refuse_unread(path: Path, settings: Settings, what: str, copy: bool) -> Outcome:
    """Reject a file without reading it. `overgang load` (copy) leaves it where it is; the inbox
    moves the entry itself (a link stays a link) to rejected/."""
    message = (f"{scrub(path.name)} is {what}, not a file; nothing was read. Put a copy of the file itself "
               "(a regular file) into the inbox, or give its real path to overgang load.")
    target = None
    if not copy:
        target = _free(settings.inbox_dir / "rejected" / scrub(path.name))
        target.parent.mkdir(parents=True, exist_ok=True)
        os.rename(path, target)  # rename moves a link or pipe itself, never what it points at
        target.with_name(target.name + ".reason.txt").write_text(f"{message}\n", encoding="utf-8")
    outcome = Outcome(scrub(path.name), "rejected", None, None, target, message, "")
    _record(settings, outcome)
    return outcome


def receive(path: Path, settings: Settings, copy: bool = False) -> Outcome:
    """Take one file: accept it into processed/, or reject it with a reason. `copy` leaves the
    original where it is (``overgang load``); the inbox itself moves files."""
    if (what := not_a_plain_file(path)) is not None:
        return _refuse_unread(path, settings, what, copy)
    if has_cpr(path.name):
        return _refuse_cpr_name(path, settings, copy)
    sha = sha256_file(path)
    meta = sidecar(path)
    already = _loaded_as(settings, sha)
    if already is not None:
        outcome = Outcome(path.name, "duplicate", None, None, already,
                          f"already loaded as {already.relative_to(settings.inbox_dir)}: nothing changes", sha)
        if not copy:
            for p in (path, meta):
                if p is not None:
                    _place(p, _free(settings.inbox_dir / "processed" / "duplicates" / p.name), copy=False)
        _record(settings, outcome)
        return outcome
    try:
        found = recognise(path, settings.published_sum_tolerance_pp)
    except FileRejected as err:
        message = scrub(str(err))
        target = _free(settings.inbox_dir / "rejected" / path.name)
        _place(path, target, copy)
        if meta is not None:
            _place(meta, target.with_name(target.stem + meta.suffix), copy)
        target.with_name(target.name + ".reason.txt").write_text(
            f"{path.name} was not loaded.\n\n{message}\n\nCorrect the file and drop it into the inbox again.\n", encoding="utf-8")
        outcome = Outcome(path.name, "rejected", None, None, target, message, sha)
        _record(settings, outcome)
        return outcome
    if found.kind == "applications":
        folder = processed_dir(settings, "applications") / str(found.year)
        # One extract per year: a newer one for the same year replaces the year as a whole.
        for old in sorted(folder.glob("*")) if folder.is_dir() else []:
            _supersede(settings, old)
    else:
        folder = processed_dir(settings, found.kind)
        if (folder / path.name).exists():
            _supersede(settings, folder / path.name)
    stored = _place(path, folder / path.name, copy)
    if meta is not None:
        _place(meta, folder / meta.name, copy)
    outcome = Outcome(path.name, "accepted", found.kind, found.year, stored, found.detail, sha)
    _record(settings, outcome)
    return outcome


def _refuse_cpr_name(path: Path, settings: Settings, copy: bool) -> Outcome:
    """A file whose name holds a CPR-shaped number: refused before it is read, and kept under a
    name with the number withheld, so the number reaches no ledger, log or table."""
    safe = scrub(path.name)
    message = (f"{safe}: the file name holds a CPR-shaped number (withheld here); nothing was read. Rename the "
               "file without it (e.g. optagelse_2025.csv) and load it again.")
    target = None
    if not copy:  # overgang load leaves the file where it is
        target = _free(settings.inbox_dir / "rejected" / safe)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.rename(path, target)
        target.with_name(target.name + ".reason.txt").write_text(f"{message}\n", encoding="utf-8")
    outcome = Outcome(safe, "rejected", None, None, target, message, "")
    _record(settings, outcome)
    return outcome


def waiting(settings: Settings, settle_seconds: float = 0) -> list[Path]:
    """Files in the inbox to take now: not a description beside its table, not still being
    written (changed in the last `settle_seconds`)."""
    inbox = settings.inbox_dir
    if not inbox.is_dir():
        return []
    now = datetime.now().timestamp()
    # Links, pipes and devices are listed too (lstat, never followed), so that they are rejected
    # with a reason instead of lying there unexplained; folders are the inbox's own structure.
    files = [p for p in sorted(inbox.iterdir()) if not p.is_dir() or p.is_symlink()]
    files = [p for p in files if not p.name.startswith(".") and p.name not in IGNORED and not p.name.endswith(".part")]
    return [p for p in without_descriptions(files) if now - p.lstat().st_mtime >= settle_seconds]
