"""How an `overgang` command starts and ends: without Python's cyclic garbage collector, and
without the interpreter's teardown.

A command is a short process whose data live in DuckDB, not in Python objects. Python's garbage
collector still walked every object the imports made (Dagster, pandas, plotly: about 270,000)
again and again while the command ran, about 1 s of a new spring's run, to find cyclic garbage
that is only a few MB and does not grow with the rows (Dagster's events and steps: a run at 1 M
rows ends with 190,000 more objects without the collector, and no higher peak memory). So a
command runs with it off; `overgang shell`, which can stay open for hours, turns it on again.

At the end, after `overgang run` or `load`, Python's own shutdown took 1.5 s (0.35 s after `report`): with
Dagster, pandas and plotly loaded, finalising the modules runs the garbage collector over some
270,000 objects, and all that work does is free memory the operating system takes back anyway.
A command that has finished its work (its DuckDB and SQLite connections closed by the code that
opened them, every file written) ends here instead, doing what the shutdown does that matters:
threads that are not daemons are waited for, the `atexit` handlers run (logging's flush,
temporary folders removed), standard output and error are flushed, and the exit status is kept.
"""

from __future__ import annotations

import atexit
import gc
import os
import sys
import threading
from typing import NoReturn

# What Python itself exits with when it cannot flush standard output at shutdown (e.g. a closed pipe).
FLUSH_FAILED = 120


# Optional libraries that pandas and pandera import as soon as they are installed, which no
# command uses, and which cost each command about 0.2 s to import: pyarrow (pandas' Arrow-backed
# types; DuckDB writes the Parquet files itself) and hypothesis (pandera's strategies for making
# test data; a test dependency). Both libraries take their absence as "not installed".
NOT_IMPORTED = ("pyarrow", "hypothesis")


class _NotInstalled:
    """A finder that answers "no such module" for the libraries a command keeps out, as Python
    does for one that is not installed. Not `sys.modules[name] = None`: Cython's import (pandas'
    compiled lib) takes a None found there as the module itself, so pandas believed pyarrow was
    installed and its "string" dtype failed ('NoneType' object has no attribute 'Array')."""

    def __init__(self, names: tuple[str, ...]) -> None:
        self.names = names

    def find_spec(self, fullname: str, path: object = None, target: object = None) -> None:
        if fullname.split(".", 1)[0] in self.names:
            raise ModuleNotFoundError(f"No module named {fullname!r}", name=fullname)
        return None


def start_command(not_imported: tuple[str, ...] = NOT_IMPORTED) -> None:
    """Before anything is imported: the command runs without the cyclic garbage collector, and
    without the optional libraries no command uses (`not_imported`)."""
    gc.disable()
    # One already imported (a test that calls this) is left as it is.
    absent = tuple(name for name in not_imported if name not in sys.modules)
    if absent:
        sys.meta_path.insert(0, _NotInstalled(absent))


def status_of(exit: SystemExit) -> int:
    """The process status `sys.exit(code)` means: None is 0, a number is itself, and anything
    else (a message) is printed to standard error and is 1, as Python does."""
    code = exit.code
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    print(code, file=sys.stderr)
    return 1


def exit_now(status: int) -> NoReturn:
    """Wait for non-daemon threads, run the atexit handlers, flush, and exit with `status`."""
    # As Python's own shutdown does: threading's exit hooks first (an executor's idle workers are
    # told to stop; joined without it, they are waited for for ever), then every non-daemon
    # thread, including one started while the others are waited for.
    threading._shutdown()  # type: ignore[attr-defined]  # private, so not in typeshed's threading
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe, or a stream already closed
            status = status or FLUSH_FAILED
    os._exit(status)
