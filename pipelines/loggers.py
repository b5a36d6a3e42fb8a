"""A quiet progress log for analysts: one line per finished step and the assets' own messages.

Dagster's console logger prints every framework event with stack traces; `overgang run` uses
this one instead and prints what stopped a run itself, in plain words.
"""

from __future__ import annotations

import logging

from dagster import logger
from rich.console import Console

_console = Console(stderr=True, highlight=False, soft_wrap=True)


class ProgressHandler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        meta = getattr(record, "dagster_meta", None)
        if not meta:
            return
        step = meta.get("step_key") or ""
        event = meta.get("dagster_event")
        if event is None:
            if record.levelno >= logging.INFO:
                colour = "yellow" if record.levelno >= logging.WARNING else "dim"
                _console.print(f"  [{colour}]{step}: {meta['orig_message']}[/]")
        elif event.event_type_value == "STEP_SUCCESS":
            _console.print(f"[green]✓[/] {step}")
        elif event.event_type_value == "STEP_FAILURE":
            _console.print(f"[red]✗[/] {step}")


@logger(config_schema=None, description="Compact progress for the `overgang` command line.")
def progress(_init_context) -> logging.Logger:
    log = logging.getLogger("overgang.progress")
    log.setLevel(logging.DEBUG)
    log.propagate = False
    if not log.handlers:
        log.addHandler(ProgressHandler())
    return log
