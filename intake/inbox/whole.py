"""A file is published only as it was when it was taken, and so only once it is whole.

The settle time (`inbox_settle_seconds`) keeps a file still being written out of the inbox, but
a writer that pauses longer leaves a shorter file that is valid as far as it goes. The inbox
ledger keeps each file's size and modification time as it was taken (and its SHA-256); before a
run publishes, each extract it staged is compared with that: grown, shrunk, touched since it was
taken, or staged with other content than was taken, and the run publishes nothing. The year
stays as it was; a file waiting for its run goes to rejected/ with the reason (the year's earlier
extract stays current), and the input folder's file is taken again at the next run.
"""

from __future__ import annotations

from pathlib import Path

from intake.inbox import ledger
from intake.sources.files import inbox_extracts, sidecar
from overgang.cpr import scrub
from overgang.encoding import sha256_file
from overgang.settings import Settings

CHANGED = "changed while it was being read; deliver it again when the export is finished"


def changed(path: Path, taken: dict[str, str] | None, staged_sha256: str) -> bool:
    """Whether the file at `path` is not the one taken (`taken`: its ledger row): the run staged
    other content than was hashed, or the file is not as it was (size, modification time) and its
    content is not either (a file only touched is hashed again and passes). A row from before
    sizes were recorded says nothing (False)."""
    if taken is None or not taken["size"]:
        return False
    # A table and its description are hashed together when taken: only a lone file's hash compares.
    if sidecar(path) is None and taken["sha256"] != staged_sha256:
        return True
    try:
        info = path.stat()  # through the input folder's link: the analyst's file itself
        if (info.st_size, info.st_mtime_ns) == (int(taken["size"]), int(taken["mtime_ns"])):
            return False
        return sha256_file(path) != staged_sha256
    except OSError:
        return True  # gone (removed or replaced) since it was taken


def changed_extracts(settings: Settings, staged: list[tuple[int, str, str]]) -> list[tuple[int, str, str]]:
    """The extracts (`staged`: year, file name, SHA-256 as staged) that are not whole as taken:
    (year, one sentence naming the file, SHA-256 as taken). An extract no longer in its year's
    place was replaced by a newer delivery while the run went on: what was staged is what was
    taken, and the newer one has its own run."""
    places = inbox_extracts(settings)
    taken = ledger.kept(settings)
    found = []
    for year, name, sha in staged:
        path = next((p for p in places.get(year, []) if p.name == name), None)
        row = taken.get(str(path)) if path is not None else None
        if path is not None and row is not None and changed(path, row, sha):
            found.append((year, f"{scrub(name)} ({year}) {CHANGED}.", row["sha256"]))
    return found
