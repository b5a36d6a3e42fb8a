"""Clearing out ``rejected/``: refused files are kept with their reasons until the analyst has
read them, and then pile up (10,000 refused files leave 15,000 entries). ``overgang
clean-rejected --older-than DAYS`` removes each refused file with its reason and description once
the refusal is that old; nothing outside ``rejected/`` is touched, and a link is removed itself,
never what it points at."""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from intake.inbox.receive import inbox_lock
from overgang.settings import Settings

REASON = ".reason.txt"
DESCRIPTIONS = (".yaml", ".yml")


@dataclass
class Refusal:
    """One refused file (or a reason left alone) and what belongs to it, by the reason's age."""

    entries: list[Path]
    refused_at: float  # the reason file's modification time: when it was refused
    size: int = 0  # bytes, a link counted as itself

    def __post_init__(self) -> None:
        self.size = sum(_size(p) for p in self.entries)


def _size(path: Path) -> int:
    if path.is_dir() and not path.is_symlink():
        return sum(p.lstat().st_size for p in path.rglob("*"))
    return path.lstat().st_size


class NotCleaned(RuntimeError):
    pass


def refusals(folder: Path) -> list[Refusal]:
    """The entries of `folder` grouped by refusal: `<name>.reason.txt`, `<name>` and its
    description `<stem>.yaml` (unless that has a reason of its own); an entry without a reason is
    its own group, aged by itself. Looked at with lstat only."""
    entries = {p.name: p for p in folder.iterdir()} if folder.is_dir() else {}
    groups = []
    taken: set[str] = set()
    for name in sorted(n for n in entries if n.endswith(REASON)):
        base = name.removesuffix(REASON)
        members = [entries[name]]
        if base in entries and base not in taken:
            members.append(entries[base])
        for suffix in DESCRIPTIONS:
            meta = Path(base).stem + suffix
            if meta != base and meta in entries and meta + REASON not in entries and meta not in taken:
                members.append(entries[meta])
        taken.update(p.name for p in members)
        groups.append(Refusal(members, entries[name].lstat().st_mtime))
    for name in sorted(set(entries) - taken):
        groups.append(Refusal([entries[name]], entries[name].lstat().st_mtime))
    return groups


def clean_rejected(settings: Settings, older_than_days: float, dry_run: bool = False) -> list[Refusal]:
    """Remove the refusals of the inbox's rejected/ older than `older_than_days` (0: all), under
    the inbox lock (the sensor files nothing meanwhile); returns what was (or, `dry_run`, would be)
    removed."""
    folder = settings.inbox_dir / "rejected"
    if folder.is_symlink() or (folder.exists() and not folder.resolve().is_relative_to(settings.inbox_dir.resolve())):
        # Removing "every file in rejected/" must never empty a folder it points elsewhere.
        raise NotCleaned(
            f"{folder} is a link to {folder.resolve()}, not the inbox's own folder: nothing was removed. "
            "Make rejected/ a plain folder inside the inbox (move the link away) and run the command again."
        )
    cutoff = time.time() - older_than_days * 86400
    with inbox_lock(settings):
        old = [g for g in refusals(folder) if g.refused_at <= cutoff]
        if not dry_run:
            for group in old:
                for path in group.entries:
                    if path.is_dir() and not path.is_symlink():
                        shutil.rmtree(path)
                    else:
                        path.unlink(missing_ok=True)
    return old
