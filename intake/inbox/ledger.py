"""The inbox ledger (``<inbox>/processed/ledger.csv``): every read and write of it, in one place.

One row per file the inbox took or refused, appended, never changed: when, the file's name, its
SHA-256, the outcome (accepted, received, loaded, duplicate, rejected, failed), kind, year, where
it was put and why, and the stored file's size and modification time as it was taken (so that a
run can tell it changed before it was published: whole.py). Places are stored relative to the
inbox, so a home (or inbox) copied or moved elsewhere keeps its ledger; an older ledger with
absolute paths, or fewer columns, is read as if in the current layout and rewritten so before the
next row is added.

Writers hold the inbox lock (receive.inbox_lock); readers may read at any time. A row is written
whole in one append; a ledger whose last row was cut short (the process killed, the disk full)
gets its line ended before the next row, so that row is never glued onto the torn one.
"""

from __future__ import annotations

import csv
import io
import os
from datetime import datetime
from pathlib import Path
from typing import Protocol

from overgang.settings import Settings

# The ledger's columns. `size` and `mtime_ns`: the file as it was taken (read through a link), so
# that a run can tell it changed before the run read it or before it was published (whole.py).
# Added after the others: a ledger without them is read with them empty.
COLUMNS = [
    "received_at",
    "file",
    "sha256",
    "outcome",
    "kind",
    "year",
    "stored_as",
    "message",
    "size",
    "mtime_ns",
]
NAME = "ledger.csv"  # in <inbox>/processed/
# The inbox's own top folders: every place the ledger names lies under one of them.
INBOX_TOPS = ("processed", "rejected")
# The ledger's words for a file taken and kept in its place (the row that holds its signature).
KEPT = ("accepted", "received", "loaded")


class Entry(Protocol):
    """What a row records about one file (receive.Outcome)."""

    file: str
    outcome: str
    kind: str | None
    year: int | None
    stored_as: Path | None
    message: str
    sha256: str


def ledger_path(settings: Settings) -> Path:
    """The inbox's record of every file received: hash, outcome, where it was put, why."""
    return settings.inbox_dir / "processed" / NAME


def ledger_place(settings: Settings, stored: str) -> str:
    """Where a ledger row's `stored_as` is in this inbox, as an absolute path ('' for none).

    The ledger stores places relative to the inbox, so a home (or inbox) copied or moved elsewhere
    keeps its ledger. A ledger written before that holds absolute paths: one under another inbox
    is taken relative to that inbox's own processed/ or rejected/ folder (the last one above the
    file name: an inbox may itself lie below a folder of either name)."""
    if not stored:
        return ""
    path = Path(stored)
    if not path.is_absolute():
        return str(settings.inbox_dir / path)
    if path.is_relative_to(settings.inbox_dir):
        return stored
    parts = path.parts
    for i in range(len(parts) - 2, 0, -1):
        if parts[i] in INBOX_TOPS:
            return str(settings.inbox_dir.joinpath(*parts[i:]))
    return stored  # not one of the inbox's places: as written


def ledger_text(settings: Settings, place: Path | None) -> str:
    """A place as the ledger stores it: relative to the inbox ('' for none)."""
    if place is None or str(place) == "":
        return ""
    return str(place.relative_to(settings.inbox_dir)) if place.is_relative_to(settings.inbox_dir) else str(place)


def ledger_rows(settings: Settings) -> list[dict[str, str]]:
    """The ledger's rows, each `stored_as` an absolute path in this inbox (`ledger_place`), and
    every column of the current layout present ('' where an older ledger has none)."""
    path = ledger_path(settings)
    if not path.exists():
        return []
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        row.pop(None, None)  # a row longer than its header: nothing of ours
        row["stored_as"] = ledger_place(settings, row.get("stored_as") or "")
        for column in COLUMNS:
            row[column] = row.get(column) or ""
    return rows


def record(settings: Settings, entry: Entry, word: str | None = None, taken: tuple | None = None) -> None:
    """Append one row for `entry` (the caller holds the inbox lock). `word`: the outcome as the
    ledger says it, when not the entry's own; `taken`: the stored file's size and modification time
    as it was taken."""
    path = ledger_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    _migrate(settings)
    line = io.StringIO()
    writer = csv.writer(line)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        size = 0
    if size == 0:  # a new ledger, or one left empty (a full disk, a file made by hand): its header first
        writer.writerow(COLUMNS)
    writer.writerow(
        [
            datetime.now().isoformat(timespec="seconds"),
            entry.file,
            entry.sha256,
            word or entry.outcome,
            entry.kind or "",
            entry.year or "",
            ledger_text(settings, entry.stored_as),
            entry.message,
            *(taken or ("", "")),
        ]
    )
    with path.open("ab") as f:
        if size and not _ends_a_line(path):
            f.write(b"\r\n")  # the torn last row ends here; this one starts on a line of its own
        f.write(line.getvalue().encode("utf-8"))


def _ends_a_line(path: Path) -> bool:
    with path.open("rb") as f:
        f.seek(-1, os.SEEK_END)
        return f.read(1) == b"\n"


def _migrate(settings: Settings) -> None:
    """A ledger of an older layout (fewer columns, absolute paths) rewritten in the current one
    before a row is added, so that every row has the same columns. Atomic: a reader sees the
    old file or the new one."""
    path = ledger_path(settings)
    try:
        with path.open(encoding="utf-8", newline="") as f:
            header = next(csv.reader(f), None)
    except FileNotFoundError:
        return
    if header is None or header == COLUMNS:
        return
    rows = ledger_rows(settings)
    temporary = path.with_name(path.name + ".tmp")
    with temporary.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, COLUMNS)
        writer.writeheader()
        for row in rows:
            place = row["stored_as"]
            writer.writerow({**row, "stored_as": ledger_text(settings, Path(place) if place else None)})
    os.replace(temporary, path)


def loaded_as(settings: Settings, sha256: str) -> Path | None:
    """Where a file with this content is loaded (or waits for its run) now; None if never, or since
    replaced or failed. A place holds what was last taken into it: a correction under the same
    name takes the place of what it corrects, which is then no longer loaded there."""
    taken: set[str] = set()
    for row in reversed(ledger_rows(settings)):
        if row["outcome"] not in KEPT or row["stored_as"] in taken:
            continue
        taken.add(row["stored_as"])
        place = Path(row["stored_as"])
        if row["outcome"] == "loaded" and _correction_waits(place):
            continue  # the year's next run replaces it: what waits is the year's extract from now on
        if row["sha256"] == sha256 and place.exists():
            return place
    return None


def _correction_waits(loaded: Path) -> bool:
    """Whether another extract for the year of this loaded one waits in pending/ for its run (the
    run makes it current in this one's place)."""
    pending = loaded.parent / "pending"
    return pending.is_dir() and any(p.is_file() or p.is_symlink() for p in pending.iterdir())


def received(settings: Settings) -> dict[str, dict[str, str]]:
    """The rows of extracts received and waiting for their run, by place."""
    return {row["stored_as"]: row for row in ledger_rows(settings) if row["outcome"] == "received"}


def kept(settings: Settings) -> dict[str, dict[str, str]]:
    """The last row of each place a file was taken and kept in (its signature as taken), by place."""
    return {row["stored_as"]: row for row in ledger_rows(settings) if row["outcome"] in KEPT}


def accepted_order(settings: Settings) -> dict[str, int]:
    """Position of each accepted file in the ledger (the order files arrived in)."""
    return {row["stored_as"]: i for i, row in enumerate(ledger_rows(settings)) if row["outcome"] == "accepted"}


def last_word(rows: list[dict[str, str]], sha256: str, file: str | None = None) -> dict[str, str] | None:
    """The last of `rows` about this content (and file name, if given): what the inbox last said of it."""
    for row in reversed(rows):
        if row["sha256"] == sha256 and (file is None or row["file"] == file):
            return row
    return None
