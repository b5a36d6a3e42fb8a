"""The `overgang` command as an analyst runs it, with its own home and inbox and nothing inherited
from the developer's OVERGANG_* or DAGSTER_* settings: in this process through Click's CliRunner
(`overgang`: the default, no Dagster import paid again), or in a child process (`overgang_process`:
only where the test is about processes: kill -9, locks, signals, exit codes of the process itself,
import-time budgets, commands at once)."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import textwrap
import time
import traceback
from pathlib import Path

from overgang.settings import PROJECT_DIR

# The settings every test runs with unless it says otherwise; one place, read by tests/conftest.py
# (this process) and child_env (every child). `overgang load` of a file written a moment ago waits
# until it is inbox_settle_seconds (10 s) old: the tests write their files a moment before, and
# only tests/test_inbox_settle.py is about that wait (it takes the file's value back).
TEST_ENV = {"OVERGANG_INBOX_SETTLE_SECONDS": "0"}
# What a child must not inherit from the developer's shell (or from make: MAKEFLAGS and friends).
NOT_INHERITED = ("OVERGANG_", "DAGSTER_")


def child_env(tmp_path: Path | None = None, *, strip: tuple[str, ...] = NOT_INHERITED, **env: str) -> dict[str, str]:
    """The environment of a child process: this one without `strip`ped variables, with TEST_ENV,
    OVERGANG_HOME=tmp_path/home and OVERGANG_INBOX=tmp_path/inbox (when `tmp_path` is given), the
    project importable, and `env` over all of it."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(strip)} | TEST_ENV
    clean["PYTHONPATH"] = str(PROJECT_DIR)
    if tmp_path is not None:
        clean |= {"OVERGANG_HOME": str(tmp_path / "home"), "OVERGANG_INBOX": str(tmp_path / "inbox")}
    return clean | env


def python_child(code: str, timeout: int = 120, **env: str) -> subprocess.CompletedProcess:
    """`python -c CODE` (dedented) in a child process with child_env(**env), text output."""
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=child_env(**env),
    )


def overgang_process(tmp_path: Path, *args: str, timeout: int = 600, **env: str) -> subprocess.CompletedProcess:
    """`overgang ARGS` in a child process (the installed command's entry), text output."""
    return subprocess.run(
        [sys.executable, "-m", "pipelines.cli", *args],
        cwd=PROJECT_DIR,
        env=child_env(tmp_path, **env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def overgang(
    tmp_path: Path | None,
    *args: str,
    timeout: int = 600,
    input: str | bytes | None = None,
    environ: dict[str, str] | None = None,
    **env: str,
) -> subprocess.CompletedProcess:
    """`overgang ARGS` in this process (pipelines.cli.main through Click's CliRunner), with the
    environment, working folder, exit status and output a child would have: an exception the
    command lets through is printed to standard error as Python prints it, so a test that no
    traceback is shown sees it. `input` is its standard input; `environ` its whole environment
    (a child's, from child_env), else child_env(tmp_path, **env). `timeout` is kept for the
    callers; it does not apply here."""
    from click.testing import CliRunner

    from pipelines.cli import main

    wanted = environ if environ is not None else child_env(tmp_path, **env)
    saved = dict(os.environ)
    try:
        # The command changes os.environ (DAGSTER_HOME, OVERGANG_INPUT_DIR): put back afterwards.
        os.environ.clear()
        os.environ.update(wanted)
        with contextlib.chdir(PROJECT_DIR):
            result = CliRunner().invoke(main, list(args), input=input, catch_exceptions=True)
    finally:
        os.environ.clear()
        os.environ.update(saved)
        # What the command's process end does (atexit, pipelines/storage.py): the run history's
        # SQLite engines closed, so the next command opens the files as they are then (a folder
        # moved aside meanwhile is not reached through a pooled connection), as a new process does.
        if "pipelines.storage" in sys.modules:
            sys.modules["pipelines.storage"]._close_engines()
    stderr = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        stderr += "".join(traceback.format_exception(result.exception))
    return subprocess.CompletedProcess(["overgang", *args], result.exit_code, result.stdout, stderr)


def settled(path: Path) -> Path:
    """`path` as if written a minute ago: past any settle time, also the file's own 10 s."""
    past = time.time() - 60
    os.utime(path, (past, past))
    return path
