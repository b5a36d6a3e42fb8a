"""The inbox (indbakke): a file dropped there is recognised, checked as a whole, and moved to
``processed/<kind>/`` or to ``rejected/`` with ``<name>.reason.txt`` beside it. Nothing is
deleted: a file it replaces goes to ``processed/superseded/``. The inbox ledger (ledger.py) records
every file's content hash, so the same file dropped twice changes nothing.

An extract becomes its year's current extract only when a run has loaded it: it waits in
``processed/applications/<year>/pending/`` (ledger: ``received``); the run that publishes it moves
it up and the year's earlier extract to ``superseded/`` (``loaded``); a run that fails moves it to
``rejected/`` with the run's reason (``failed``) and the earlier extract stays current.

Every file is taken in its own error boundary, under a lock (two ``overgang load`` of one file at
once: the second is a duplicate): whatever goes wrong with one file is a rejection with a reason,
never an exception that stops the files beside it.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import stat
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from intake.inbox import ledger
from intake.inbox.ledger import ledger_text, loaded_as, received
from intake.inbox.ledger import record as _record  # the ledger's one writer, under the name its call sites had
from intake.inbox.recognise import recognise
from intake.sources.files import processed_dir, sidecar, without_descriptions
from intake.sources.tables import FileRejected
from overgang.cpr import has_cpr, scrub
from overgang.encoding import sha256_file
from overgang.settings import Settings

IGNORED = {"README.md", ledger.NAME}


@dataclass
class Outcome:
    file: str
    outcome: str  # accepted, duplicate, rejected, or waiting (still being written: left in the inbox)
    kind: str | None
    year: int | None
    stored_as: Path | None
    message: str
    sha256: str

    # One constructor per outcome, named for it: what each carries is stated here once.
    @classmethod
    def accepted(
        cls, file: str, kind: str | None, year: int | None, stored_as: Path, message: str, sha256: str
    ) -> Outcome:
        return cls(file, "accepted", kind, year, stored_as, message, sha256)

    @classmethod
    def duplicate(cls, file: str, stored_as: Path, message: str, sha256: str) -> Outcome:
        return cls(file, "duplicate", None, None, stored_as, message, sha256)

    @classmethod
    def waiting(cls, file: str, message: str, sha256: str) -> Outcome:
        """Still being written: left in the inbox, tried again later."""
        return cls(file, "waiting", None, None, None, message, sha256)

    @classmethod
    def rejected(
        cls,
        file: str,
        message: str,
        *,
        stored_as: Path | None = None,
        sha256: str = "",
        kind: str | None = None,
        year: int | None = None,
    ) -> Outcome:
        """`stored_as`: where the file was kept (rejected/, its reason file), if it was moved."""
        return cls(file, "rejected", kind, year, stored_as, message, sha256)

    @classmethod
    def loaded(cls, file: str, year: int, stored_as: Path, message: str, sha256: str) -> Outcome:
        """A received extract whose run published it."""
        return cls(file, "loaded", "applications", year, stored_as, message, sha256)

    @classmethod
    def failed(cls, file: str, year: int, stored_as: Path, message: str, sha256: str) -> Outcome:
        """A received extract whose run failed."""
        return cls(file, "failed", "applications", year, stored_as, message, sha256)


def _taken(stored: Path) -> tuple[int, int]:
    """Size and modification time of a stored file as it is read (through its link, if any)."""
    info = stored.stat()
    return info.st_size, info.st_mtime_ns


@contextmanager
def inbox_lock(settings: Settings):
    """One taker of files at a time per inbox (the sensor, `overgang load`, a second `load`)."""
    settings.inbox_dir.mkdir(parents=True, exist_ok=True)
    with (settings.inbox_dir / ".receive.lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _reject(
    settings: Settings, path: Path, meta: Path | None, message: str, sha: str, copy: bool, link: bool = False
) -> Outcome:
    target = _free(settings.inbox_dir / "rejected" / path.name)
    if not link:  # a file of the input folder stays there: only the reason is kept
        _place(path, target, copy)
        if meta is not None:
            _place(meta, target.with_name(target.stem + meta.suffix), copy)
    reason = target.with_name(target.name + ".reason.txt")
    reason.parent.mkdir(parents=True, exist_ok=True)
    again = (
        f"Correct it in the input folder ({scrub(str(path.parent))})"
        if link
        else "Correct the file and drop it into the inbox again"
    )
    reason.write_text(f"{path.name} was not loaded.\n\n{message}\n\n{again}.\n", encoding="utf-8")
    outcome = Outcome.rejected(path.name, message, stored_as=reason if link else target, sha256=sha)
    _record(settings, outcome)
    return outcome


def _free(target: Path) -> Path:
    if not target.exists() and not target.is_symlink():
        return target
    return target.with_name(f"{datetime.now():%Y%m%dT%H%M%S%f}_{target.name}")


def _place(source: Path, target: Path, copy: bool, link: bool = False) -> Path:
    """Move, copy, or (`link`: a file of the input folder) point a symbolic link at the original,
    so that no second copy of an extract, CPR numbers and all, is made."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if link:
        target.symlink_to(source.resolve())
    else:
        (shutil.copy2 if copy else shutil.move)(str(source), str(target))
    return target


def _supersede(settings: Settings, old: Path) -> None:
    """Move a replaced file (and its description) out of the way, never deleting it."""
    folder = settings.inbox_dir / "processed" / "superseded"
    for path in (old, sidecar(old)):
        if path is not None and (path.exists() or path.is_symlink()):
            _place(path, _free(folder / path.name), copy=False)


def not_a_plain_file(path: Path) -> str | None:
    """Why `path` is not read (a link, device, pipe, socket or folder), or None for a regular file.

    Looked at with lstat, never opened: a link named .csv could point at a system file, and a
    pipe or device would block or never end."""
    mode = path.lstat().st_mode
    for test, what in (
        (stat.S_ISLNK, "a symbolic link"),
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISFIFO, "a named pipe"),
        (stat.S_ISCHR, "a device"),
        (stat.S_ISBLK, "a device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return what
    return None if stat.S_ISREG(mode) else "not a regular file"


def _refuse_unread(path: Path, settings: Settings, what: str, copy: bool) -> Outcome:
    """Reject a file without reading it. `overgang load` (copy) leaves it where it is; the inbox
    moves the entry itself (a link stays a link) to rejected/."""
    message = (
        f"{scrub(path.name)} is {what}, not a file; nothing was read. Put a copy of the file itself "
        "(a regular file) into the inbox, or give its real path to overgang load."
    )
    target = None
    if not copy:
        target = _free(settings.inbox_dir / "rejected" / scrub(path.name))
        target.parent.mkdir(parents=True, exist_ok=True)
        os.rename(path, target)  # rename moves a link or pipe itself, never what it points at
        target.with_name(target.name + ".reason.txt").write_text(f"{message}\n", encoding="utf-8")
    outcome = Outcome.rejected(scrub(path.name), message, stored_as=target)
    _record(settings, outcome)
    return outcome


def _signature(path: Path) -> tuple[int, int]:
    info = path.lstat()  # a link is never followed (it is refused unread)
    return info.st_size, info.st_mtime_ns


def receive(path: Path, settings: Settings, copy: bool = False) -> Outcome:
    """Take one file: accept it into processed/, or reject it with a reason. `copy` leaves the
    original where it is (``overgang load``); the inbox itself moves files. Nothing raised by one
    file escapes: it becomes the file's rejection."""
    with inbox_lock(settings):
        return take(path, settings, copy)


def take(path: Path, settings: Settings, copy: bool, sha256: str | None = None, link: bool = False) -> Outcome:
    """`receive` for a caller that holds the inbox lock already (the input folder's import).
    `sha256`: the content hash when the caller knows it (size and modification time unchanged
    since it was hashed), so the file is not hashed again. `link`: the file stays where it is and
    the inbox keeps a symbolic link to it (the input folder), a rejected one only its reason."""
    try:
        return _receive(path, settings, copy or link, sha256, link)
    except Exception as err:  # the error boundary: one file's problem never stops the others
        from overgang.faults import DISK_FULL, READ_ONLY, kind_of
        from overgang.home import explain

        detail = scrub(str(err).strip().splitlines()[0][:300]) if str(err).strip() else ""
        what = f"{type(err).__name__}{': ' + detail if detail else ''}"
        if kind_of(err) in (DISK_FULL, READ_ONLY):  # the home's fault, not the file's
            message = f"{path.name}: the file could not be taken in. {explain(what, settings)}"
        else:
            message = (
                f"{path.name}: the file could not be taken in ({what}). "
                "Check that it is a complete export; if it is, report this message."
            )
        try:
            return _reject(settings, path, sidecar(path), message, "", copy or link, link)
        except OSError as again:
            return Outcome.rejected(
                path.name,
                f"{message} It could not be moved to rejected/ either ({again.strerror}): it is left where it is.",
            )


def _receive(path: Path, settings: Settings, copy: bool, known_sha: str | None = None, link: bool = False) -> Outcome:
    # Looked at before anything follows the path or reads the file (stat, hash, recognise).
    if (what := not_a_plain_file(path)) is not None:
        return _refuse_unread(path, settings, what, copy)
    if has_cpr(path.name):
        return _refuse_cpr_name(path, settings, copy)
    before = _signature(path)
    meta = sidecar(path)
    # A table and its description are one: the same table with a corrected description (another
    # area, unit or denominator) is new, not a duplicate.
    sha = known_sha or (
        sha256_file(path)
        if meta is None
        else hashlib.sha256((sha256_file(path) + sha256_file(meta)).encode()).hexdigest()
    )
    already = loaded_as(settings, sha)
    if already is not None:
        waits = already.parent.name == "pending"
        outcome = Outcome.duplicate(
            path.name,
            already,
            f"already {'received (its run has not finished)' if waits else 'loaded'} as "
            f"{ledger_text(settings, already)}: nothing changes",
            sha,
        )
        if not copy:
            for p in (path, meta):
                if p is not None:
                    _place(p, _free(settings.inbox_dir / "processed" / "duplicates" / p.name), copy=False)
        _record(settings, outcome)
        return outcome
    try:
        found = recognise(path, settings.pipeline.published_sum_tolerance_pp, settings.pipeline.intake)
    except FileRejected as err:
        return _reject(settings, path, meta, scrub(str(err)), sha, copy, link)
    if _signature(path) != before:
        # Still being copied or written: taken at a line boundary it would pass as a short file.
        return Outcome.waiting(
            path.name,
            "the file changed while it was read (still being copied?): left in place, tried again later",
            sha,
        )
    if (
        found.kind == "applications"
        and found.year is not None  # an extract is always recognised with its year
        and link
        and (other := _same_year_in_folder(settings, path, found.year))
    ):
        return _two_of_a_year(settings, path, found.year, sha, *other)
    if found.kind == "applications":
        # Not current yet: the extract waits for its run; the run that publishes it makes it current.
        folder = processed_dir(settings, "applications") / str(found.year) / "pending"
        for old in sorted(folder.glob("*")) if folder.is_dir() else []:
            _supersede(settings, old)  # an earlier extract for the year still waiting: this one replaces it
    else:
        folder = processed_dir(settings, found.kind)
        if (folder / path.name).exists() or (folder / path.name).is_symlink():
            _supersede(settings, folder / path.name)
    stored = _place(path, folder / path.name, copy, link)
    if meta is not None:
        _place(meta, folder / meta.name, copy, link)
    # The file as it was hashed, for the run to compare with: a copy as it is (its original unchanged
    # while it was copied), a moved or linked file (the same file) as it was when hashed.
    taken = _taken(stored) if copy and not link and _signature(path) == before else before
    outcome = Outcome.accepted(path.name, found.kind, found.year, stored, found.detail, sha)
    _record(settings, outcome, "received" if found.kind == "applications" else "accepted", taken)
    return outcome


def _same_year_in_folder(settings: Settings, path: Path, year: int) -> tuple[Path, str] | None:
    """Another file of `path`'s folder (the input folder) that is `year`'s extract, current or
    waiting for its run, and still there; with what it is. The inbox keeps a link to each."""
    folder = path.resolve().parent
    year_dir = processed_dir(settings, "applications") / str(year)
    for place, state in ((year_dir / "pending", "waits for its run"), (year_dir, "is the year's loaded extract")):
        for link in sorted(place.iterdir()) if place.is_dir() else []:
            if not link.is_symlink():
                continue
            target = link.resolve()
            if target.parent == folder and target != path.resolve() and target.is_file():
                return target, state
    return None


def _two_of_a_year(settings: Settings, path: Path, year: int, sha: str, other: Path, state: str) -> Outcome:
    """Two extracts of one year in the input folder: which one is meant is the analyst's call, not
    the alphabet's. The one taken first keeps its place, this one is not taken, and the run is
    refused until one is moved out. No ledger row: nothing is wrong with the file itself, and it is
    looked at again at the next run (the reason file is rewritten in place, never piled up)."""
    message = (
        f"{path.name} and {other.name} in the input folder {scrub(str(path.parent))} are both Optagelse.dk "
        f"extracts for {year} (by their application dates), and one extract a year is loaded: Overgang does not "
        f"guess which one you mean. {other.name} {state}; {path.name} was not taken. Keep only the {year} extract "
        "you mean in the folder (move the other one out of it) and run again."
    )
    reason = settings.inbox_dir / "rejected" / f"{path.name}.reason.txt"
    reason.parent.mkdir(parents=True, exist_ok=True)
    reason.write_text(f"{path.name} was not loaded.\n\n{message}\n", encoding="utf-8")
    return Outcome.rejected(path.name, message, stored_as=reason, sha256=sha, kind="applications", year=year)


def _refuse_cpr_name(path: Path, settings: Settings, copy: bool) -> Outcome:
    """A file whose name holds a CPR-shaped number: refused before it is read, and kept under a
    name with the number withheld, so the number reaches no ledger, log or table."""
    safe = scrub(path.name)
    message = (
        f"{safe}: the file name holds a CPR-shaped number (withheld here); nothing was read. Rename the "
        "file without it (e.g. optagelse_2025.csv) and load it again."
    )
    target = None
    if not copy:  # overgang load leaves the file where it is
        target = _free(settings.inbox_dir / "rejected" / safe)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.rename(path, target)
        target.with_name(target.name + ".reason.txt").write_text(f"{message}\n", encoding="utf-8")
    outcome = Outcome.rejected(safe, message, stored_as=target)
    _record(settings, outcome)
    return outcome


def pending_extracts(settings: Settings) -> dict[int, Path]:
    """Extracts received but not yet loaded by a successful run, by year."""
    root = processed_dir(settings, "applications")
    found = {}
    for folder in sorted(root.glob("*/pending")) if root.is_dir() else []:
        files = sorted((p for p in folder.iterdir() if p.is_file()), key=lambda p: p.stat().st_mtime)
        if files and folder.parent.name.isdigit():
            found[int(folder.parent.name)] = files[-1]
    return found


def promote(settings: Settings, published: dict[int, set[str]]) -> list[Outcome]:
    """Make each pending extract whose content (SHA-256) is now published for its year the year's
    current extract; the one it replaces moves to superseded/. Called right after publishing."""
    done = []
    with inbox_lock(settings):
        waiting_rows = received(settings)
        for year, path in pending_extracts(settings).items():
            row = waiting_rows.get(str(path))
            if row is None or row["sha256"] not in published.get(year, set()):
                continue
            folder = path.parent.parent
            for old in sorted(p for p in folder.iterdir() if p.is_file() or p.is_symlink()):
                _supersede(settings, old)
            stored = _place(path, folder / path.name, copy=False)
            outcome = Outcome.loaded(
                path.name,
                year,
                stored,
                f"Optagelse.dk extract for {year}, published",
                row["sha256"],
            )
            _record(settings, outcome, taken=(row["size"], row["mtime_ns"]))  # moved, not changed
            done.append(outcome)
    return done


def fail_pending(
    settings: Settings,
    years: list[int] | None,
    reason: str,
    sha256: set[str] | None = None,
    cause: str = "the run that was to load it failed",
) -> list[Outcome]:
    """Move pending extracts of `years` (or with these contents) to rejected/ with the run's reason:
    the year's current extract stays current, and the file can be loaded again once fixed. `cause`
    says why it was not loaded (a failed run, or a run refused before it started)."""
    done = []
    with inbox_lock(settings):
        waiting_rows = received(settings)
        for year, path in pending_extracts(settings).items():
            sha = waiting_rows.get(str(path), {}).get("sha256", "")
            if (years is not None and year not in years) or (sha256 is not None and sha not in sha256):
                continue
            current = [p.name for p in path.parent.parent.iterdir() if p.is_file()]
            stays = (
                f"The extract loaded before ({', '.join(current)}) stays current."
                if current
                else "No earlier extract is loaded for the year."
            )
            message = scrub(
                f"{path.name}: {cause}: {' '.join(reason.split())} {stays} "
                "Correct the cause and load the file again (overgang load FILE)."
            )
            target = _free(settings.inbox_dir / "rejected" / path.name)
            _place(path, target, copy=False)
            target.with_name(target.name + ".reason.txt").write_text(
                f"{path.name} was not loaded.\n\n{message}\n", encoding="utf-8"
            )
            outcome = Outcome.failed(path.name, year, target, message, sha)
            _record(settings, outcome)
            done.append(outcome)
    return done


def waiting(settings: Settings, settle_seconds: float = 0) -> list[Path]:
    """Files in the inbox to take now: not a description beside its table, not still being
    written (changed in the last `settle_seconds`)."""
    inbox = settings.inbox_dir
    if not inbox.is_dir():
        return []
    now = datetime.now().timestamp()
    return [p for p in files_in(inbox) if now - p.lstat().st_mtime >= settle_seconds]


def files_in(folder: Path) -> list[Path]:
    """The files of a folder the inbox takes (the inbox itself, or the input folder): not hidden,
    not a partial download, not a description beside its table."""
    # Links, pipes and devices are listed too (lstat, never followed), so that they are rejected
    # with a reason instead of lying there unexplained; folders are the inbox's own structure.
    files = [p for p in sorted(folder.iterdir()) if not p.is_dir() or p.is_symlink()]
    files = [p for p in files if not p.name.startswith(".") and p.name not in IGNORED and not p.name.endswith(".part")]
    return without_descriptions(files)


def wait_until_settled(path: Path, settle_seconds: float, timeout: float = 3600, report=None) -> bool:
    """Wait until `path` has not changed (size, modification time) for `settle_seconds`: a file
    still being copied is not read at a line boundary. False when it kept changing until `timeout`."""
    waited_from = time.monotonic()
    told = False
    while True:
        size, mtime = _signature(path)
        quiet = time.time() - mtime / 1e9
        if quiet >= settle_seconds:
            return True
        if time.monotonic() - waited_from > timeout:
            return False
        if report and not told:
            report(
                f"{path.name} changed {quiet:.0f} s ago: waiting until it has not changed for {settle_seconds:.0f} s …"
            )
            told = True
        time.sleep(min(1.0, settle_seconds - quiet + 0.05))
