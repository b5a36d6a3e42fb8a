"""Which fault of the machine an error is: a full disk, a read-only or inaccessible home, a
damaged database file, or an interrupt (Ctrl-C). One classification for every command and for the
failures a Dagster run reports (which arrive as text only): what to say about each kind is in
overgang/home.py (`explain`, the advice) and pipelines/cli.py (the command's true state)."""

from __future__ import annotations

import errno
from collections.abc import Iterator

DISK_FULL = "disk full"
READ_ONLY = "read-only"
NO_PERMISSION = "no permission"
DAMAGED_HISTORY = "damaged run history"
DAMAGED_DUCKDB = "damaged DuckDB file"
INTERRUPTED = "interrupted"

# errno of each kind. EFBIG: a file-size limit (ulimit -f) stops a write as a full disk does.
_ERRNOS = {
    errno.ENOSPC: DISK_FULL,
    errno.EDQUOT: DISK_FULL,
    errno.EFBIG: DISK_FULL,
    errno.EROFS: READ_ONLY,
    errno.EACCES: NO_PERMISSION,
    errno.EPERM: NO_PERMISSION,
}

# The words each kind comes with when only the text is left: an OSError's strerror, SQLite's
# ("database or disk is full", "attempt to write a readonly database") and DuckDB's messages.
_WORDS = (
    (DISK_FULL, ("no space left", "disk is full", "disk full", "file too large", "quota exceeded")),
    (READ_ONLY, ("read-only file system", "readonly database")),
    (NO_PERMISSION, ("permission denied", "operation not permitted")),
)
# A DuckDB file cut short or overwritten: its header, a block's checksum, or a block past the end.
_DAMAGED_DUCKDB = (
    "not a valid duckdb database",
    "could not read enough bytes",
    "corrupt",
    "checksum",
    "the file is not a duckdb",
)


def damaged_history(text: str) -> bool:
    """True when `text` is SQLite's own word for a damaged file (Dagster's run history)."""
    lowered = text.lower()
    # SQLITE_NOTADB ("file is not a database"; before SQLite 3.21 "file is encrypted or is not a
    # database") and SQLITE_CORRUPT (a damaged page: "database disk image is malformed"; a damaged
    # schema: "malformed database schema (runs) - ...").
    return "sqlite" in lowered and any(
        words in lowered for words in ("is not a database", "disk image is malformed", "malformed database schema")
    )


def kind_of_text(text: str) -> str | None:
    """The kind of fault a message names (e.g. a Dagster step's failure), or None."""
    lowered = text.lower()
    for code, kind in _ERRNOS.items():
        if f"[errno {code}]" in lowered:
            return kind
    for kind, words in _WORDS:
        if any(w in lowered for w in words):
            return kind
    if damaged_history(text):
        return DAMAGED_HISTORY
    if any(w in lowered for w in _DAMAGED_DUCKDB):
        return DAMAGED_DUCKDB
    if "interrupted" in lowered and ("query" in lowered or "interrupt error" in lowered):
        return INTERRUPTED
    # A step that Ctrl-C stopped between two queries: Dagster's own word for it.
    if "dagsterexecutioninterruptederror" in lowered or "keyboardinterrupt" in lowered:
        return INTERRUPTED
    return None


def _chain(err: BaseException) -> Iterator[BaseException]:
    """`err` and what it was raised from or while handling (SQLAlchemy wraps sqlite3's error,
    xlsxwriter its OSError in FileCreateError's args), each once."""
    seen: set[int] = set()
    todo = [err]
    while todo:
        e = todo.pop(0)
        if id(e) in seen:
            continue
        seen.add(id(e))
        yield e
        todo += [c for c in (e.__cause__, e.__context__, getattr(e, "orig", None)) if isinstance(c, BaseException)]
        todo += [a for a in getattr(e, "args", ()) if isinstance(a, BaseException)]


def kind_of(err: BaseException) -> str | None:
    """The kind of machine fault behind `err` (or anything it was raised from), or None for a
    fault of the program, which keeps its traceback."""
    import duckdb

    chain = list(_chain(err))
    # DuckDB's own word for a query Ctrl-C stopped in the main thread: "Query interrupted".
    if any(
        isinstance(e, (KeyboardInterrupt, duckdb.InterruptException))
        or (isinstance(e, RuntimeError) and "query interrupted" in str(e).lower())
        for e in chain
    ):
        return INTERRUPTED
    for e in chain:
        if isinstance(e, OSError) and e.errno in _ERRNOS:
            return _ERRNOS[e.errno]
    for e in chain:
        # Only errors of the machine's layer: a ValueError that happens to say "corrupt" is the program's.
        if isinstance(e, (OSError, duckdb.Error)) or type(e).__module__.startswith(("sqlite3", "sqlalchemy")):
            kind = kind_of_text(f"{type(e).__module__} {type(e).__name__}: {e}")
            if kind is not None:
                return kind
    return None


def first_line(err: BaseException) -> str:
    """The error as one line: its class and its first line (SQLAlchemy adds a link on the next)."""
    text = str(err).strip().splitlines()
    return f"{type(err).__name__}: {text[0] if text else ''}".rstrip(": ")
