"""The input folder, taken in through the inbox.

The files of the input folder (``input_dir``, ``overgang run --input FOLDER``) are recognised
by content, checked, hashed and filed by the inbox's own ``receive``, exactly as a file dropped
into the inbox, but copied: the analyst's originals are never moved, changed or deleted. The
inbox keeps the copy (``processed/``, ``rejected/`` with its reason) and the ledger row, so the
pipeline reads extracts from one place only, the inbox (``intake/sources/files.py:
inbox_extracts``).

``processed/input_files.json`` keeps, for every original taken, its size, modification time and
content hash. A file whose size and modification time are unchanged is not hashed or read again:
what the ledger says about its hash stands (loaded, waiting for its run, a duplicate, or refused
with a reason, which is given again). So an unchanged file in the input folder never replaces a
correction loaded through the inbox later, and a national extract is not hashed at every look.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from intake.inbox.ledger import last_word, ledger_rows
from intake.inbox.receive import Outcome, files_in, inbox_lock, take
from intake.sources.files import inbox_extracts, own_sources, sidecar
from intake.sources.tables import FileRejected
from overgang.cpr import has_cpr, scrub
from overgang.encoding import sha256_file
from overgang.pseudonymise import is_shipped_sample
from overgang.settings import SAMPLE_DIR, Settings

RECORD = "input_files.json"
# The ledger's word for a content the inbox holds (or held and replaced on purpose): not taken again.
TAKEN = {"accepted", "received", "loaded", "duplicate"}
# In place of a hash: a link, pipe or device, or a name holding a CPR-shaped number (refused unread).
UNREAD = "unread"


def record_path(settings: Settings) -> Path:
    return settings.inbox_dir / "processed" / RECORD


def read_record(settings: Settings) -> dict[str, list]:
    """Original path -> [size, mtime_ns, (description's size, mtime_ns,) sha256] as last taken."""
    path = record_path(settings)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return {}


def _write_record(settings: Settings, record: dict[str, list]) -> None:
    path = record_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(record, indent=1, sort_keys=True), encoding="utf-8")
    os.replace(temporary, path)


def signature(path: Path) -> list[int]:
    """Size and modification time of a file and of its description (a table and its description
    are one): looked at with lstat, never opened."""
    info = path.lstat()
    found = [info.st_size, info.st_mtime_ns]
    meta = sidecar(path)
    if meta is not None:
        found += [meta.lstat().st_size, meta.lstat().st_mtime_ns]
    return found


def import_folder(
    settings: Settings,
    folder: Path,
    retry_failed: bool = True,
    settle_seconds: float = 0,
    known: dict[str, list] | None = None,
) -> list[Outcome]:
    """Take every file of `folder` that is new or changed since it was last taken, as the inbox
    takes a file, leaving the original where it is. Returns what happened to each file looked at
    (an unchanged file already taken is not looked at; an unchanged refused one is refused again
    with its recorded reason).

    `retry_failed`: take again an unchanged extract whose run failed (``overgang run`` retries;
    the sensor does not, or a failing file would start a run at every tick). `settle_seconds`:
    leave a file changed more recently than this for later (still being copied). `known`: sizes,
    times and hashes from elsewhere (the sensor's cursor before this record existed)."""
    outcomes = []
    with inbox_lock(settings):
        record = {**(known or {}), **read_record(settings)}
        rows = ledger_rows(settings)
        now = time.time()
        for path in files_in(folder):
            try:
                seen = signature(path)
            except OSError:
                continue  # removed while we looked: next time
            if now - max(seen[1::2]) / 1e9 < settle_seconds:
                continue
            # Keyed by the name with any CPR-shaped number withheld: the record holds no such number.
            key = str(path.parent / scrub(path.name))
            before = record.get(key)
            sha = before[-1] if before and before[:-1] == seen else None
            if sha == UNREAD:  # refused unread before and unchanged: said again, not recorded again
                last = last_word(rows, "", scrub(path.name))
                message = last["message"] if last else f"{scrub(path.name)}: refused unread (see the inbox ledger)"
                outcomes.append(Outcome.rejected(scrub(path.name), message))
                continue
            if sha:
                last = last_word(rows, sha)
                if last is not None and (
                    last["outcome"] in TAKEN or (last["outcome"] == "failed" and not retry_failed)
                ):
                    continue
                if last is not None and last["outcome"] == "rejected":
                    stored = Path(last["stored_as"]) if last["stored_as"] else None
                    outcomes.append(Outcome.rejected(path.name, last["message"], stored_as=stored, sha256=sha))
                    continue
            outcome = take(path, settings, copy=True, sha256=sha, link=True)
            outcomes.append(outcome)
            if outcome.outcome != "waiting":
                record[key] = [*seen, outcome.sha256 or UNREAD]
        _write_record(settings, record)
    return outcomes


def own_extracts(settings: Settings) -> dict[int, list[Path]]:
    """The inbox's extracts that are not the shipped synthetic sample (a copy counts as the sample)."""
    found = {}
    for year, paths in inbox_extracts(settings).items():
        real = [p for p in paths if not is_shipped_sample(p)]
        if real:
            found[year] = real
    return found


def import_input(settings: Settings, retry_failed: bool = True, settle_seconds: float = 0, known=None) -> list[Outcome]:
    """The input folder through the inbox (`import_folder`). The shipped sample is the input folder
    when none is given: it is taken only into a home that holds none of the analyst's own data,
    so the synthetic sample is never loaded beside real files."""
    folder = settings.input_dir
    if has_cpr(str(folder)):
        # The folder's path would be stored (the record of what was taken, the inbox's links).
        raise FileRejected(
            f"The input folder's path holds a CPR number ({scrub(str(folder))}): nothing was read. "
            "Rename the folder, or copy the files to one whose path holds none, and run again."
        )
    if folder == SAMPLE_DIR and (own_extracts(settings) or own_sources(settings)):
        return []
    if not folder.is_dir():
        if inbox_extracts(settings) or own_sources(settings):
            return []  # everything comes through the inbox
        raise FileRejected(
            f"The input folder {folder} does not exist. Set OVERGANG_INPUT_DIR or input_dir "
            "in data/config/pipeline.yaml to the folder holding the Optagelse.dk files."
        )
    return import_folder(settings, folder, retry_failed, settle_seconds, known)


def refused(outcomes: list[Outcome]) -> str | None:
    """One message for the input folder's files that were not taken, or None."""
    problems = [o for o in outcomes if o.outcome in ("rejected", "waiting")]
    if not problems:
        return None
    return f"{len(problems)} file(s) of the input folder not loaded (the originals are untouched):\n" + "\n".join(
        f"- {o.message if o.outcome == 'rejected' else o.file + ': ' + o.message}" for o in problems
    )


def from_folder(settings: Settings, folder: Path) -> set[str]:
    """Content hashes of the files last taken from `folder` (the input folder, or the sample's)."""
    return {v[-1] for k, v in read_record(settings).items() if str(Path(k).parent) == str(folder)}


def extracts(settings: Settings) -> dict[int, list[Path]]:
    """The extracts of each application year, all from the inbox, after the input folder has been
    taken in; FileRejected naming each file of the input folder that was refused (file, line, rule).

    An unchanged extract whose run failed is not taken again here: a run (the sensor's restore run
    too) rebuilds its year from the extract that stayed current. `overgang run` takes it again
    before it starts the run: the analyst asks for it."""
    problem = refused(import_input(settings, retry_failed=False))
    if problem:
        raise FileRejected(problem)
    if settings.input_dir == SAMPLE_DIR:
        if own_extracts(settings) or own_sources(settings):
            # This home holds the analyst's own data: the synthetic sample is never loaded beside it.
            return own_extracts(settings)
        return inbox_extracts(settings)
    # Another input folder: the sample as an earlier run on the sample took it in is left out. A
    # copy of it in this input folder, or loaded by hand (`overgang load`), is the analyst's doing:
    # it is loaded, and the run refuses to mix it with real years.
    ours, sample = from_folder(settings, settings.input_dir), from_folder(settings, SAMPLE_DIR)
    found = {}
    for year, paths in inbox_extracts(settings).items():
        kept = [p for p in paths if not is_shipped_sample(p) or (sha := sha256_file(p)) in ours or sha not in sample]
        if kept:
            found[year] = kept
    return found
