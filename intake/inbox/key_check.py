"""The CPR key, checked before a run starts (README: "the key is checked before the run starts").

The run's extracts are the ones it will read (`intake.extracts`, after the input folder is taken
in). When one of them needs a key and none is configured (or the key is refused), no run is
started: each extract waiting in ``pending/`` for that run moves to ``rejected/`` with the reason,
as a failed run's would, so a later run (another or no ``--input``) is not blocked by it. The
answer is one plain message: which files, what is wrong, what was published, what to do.
"""

from __future__ import annotations

from intake.inbox.intake import extracts
from intake.inbox.receive import fail_pending, pending_extracts
from overgang.pseudonymise import MissingKey, is_shipped_sample, load_key
from overgang.settings import Settings

NOT_STARTED = "not loaded, and no run was started"


def key_refusal(settings: Settings, years: tuple[int, int] | None = None) -> str | None:
    """None when the run's extracts can be pseudonymised; else the message to give, after moving
    each waiting extract that needs the key to rejected/ with its reason."""
    span = range(years[0], years[1] + 1) if years else None
    files = [p for year, paths in extracts(settings).items() if span is None or year in span for p in paths]
    if not files:
        return None
    try:
        load_key(files, settings.key_source, settings.home)
        return None
    except MissingKey as err:
        reason = str(err)
    waiting = [
        y for y, p in pending_extracts(settings).items() if (span is None or y in span) and not is_shipped_sample(p)
    ]
    moved = fail_pending(settings, waiting, reason.splitlines()[0], cause=NOT_STARTED) if waiting else []
    lines = [reason]
    for o in moved:
        lines.append(
            f"{o.file} was moved to {o.stored_as}, with the reason beside it. Once the key is set, run "
            "again with the same --input, or load the file (overgang load FILE)."
        )
    if settings.warehouse.exists():
        lines.append(f"Nothing was published: the published warehouse ({settings.warehouse}) is as it was.")
    else:
        lines.append("Nothing was published: this home has no warehouse yet.")
    return "\n".join(lines)
