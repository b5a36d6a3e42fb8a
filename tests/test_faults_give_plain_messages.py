"""A fault of the machine ends a command with a plain message: what happened, the true state of
the published warehouse and what to do, never a traceback (README "What happens when a run
fails", 8). Found with tracebacks: a full disk during `load`/`run` (Dagster's event log: SQLite
"database or disk is full"), `report` on a full disk (OSError ENOSPC) and on a read-only home
(xlsxwriter FileCreateError), `query`/`report` on a truncated published warehouse (IOException,
no word of `overgang rollback`).

The disk is a small tmpfs where this machine lets the tests mount one (root), else a file-size
limit (RLIMIT_FSIZE, SIGXFSZ ignored: a write past it fails with EFBIG as with ENOSPC). A
read-only home needs a read-only mount: chmod does not stop root."""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pytest
import sqlalchemy.exc
import xlsxwriter.exceptions

from overgang import faults
from overgang.settings import PROJECT_DIR, SAMPLE_DIR
from tests.cli import child_env, overgang, settled
from tests.conftest import TEST_KEY


def _mount(*args: str) -> bool:
    return subprocess.run(["mount", *args], capture_output=True).returncode == 0


@contextmanager
def _tmpfs(folder: Path, size_mb: int):
    """A file system of `size_mb` at `folder`, or None where mounting is not allowed."""
    folder.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0 or not _mount("-t", "tmpfs", "-o", f"size={size_mb}m", "tmpfs", str(folder)):
        yield None
        return
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def _fill(folder: Path, leave_kb: int) -> None:
    """Fill the file system of `folder` up to `leave_kb` free."""
    free = shutil.disk_usage(folder).free // 1024
    with open(folder / "filler", "wb") as f:
        f.truncate(0)
        chunk = b"\0" * 1024 * 1024
        left = (free - leave_kb) * 1024
        while left > 0:
            left -= f.write(chunk[: min(len(chunk), left)])


# `overgang ARGS` with a file-size limit, as a full disk would stop it.
LIMITED = (
    "import resource, runpy, signal, sys\n"
    "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
    "limit = int(sys.argv[1])\n"
    "resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))\n"
    "sys.argv = ['overgang', *sys.argv[2:]]\n"
    "runpy.run_module('pipelines.cli', run_name='__main__')\n"
)


def _limited(base: Path, limit: int, *args: str) -> subprocess.CompletedProcess:
    env = child_env(base, OVERGANG_CPR_KEY=TEST_KEY)
    return subprocess.run(
        [sys.executable, "-c", LIMITED, str(limit), *args],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _plain(done: subprocess.CompletedProcess) -> str:
    said = done.stdout + done.stderr
    assert "Traceback" not in said, said[-3000:]
    assert done.returncode == 1, said[-3000:]
    return " ".join(said.split())  # the console wraps long lines


@pytest.fixture
def published(sample_run, tmp_path) -> Path:
    """The sample's published home (each test works on a copy of it)."""
    return sample_run.settings.home


def _copy_home(home: Path, base: Path) -> Path:
    shutil.copytree(home, base / "home", symlinks=True)
    return base / "home" / "warehouse" / "overgang.duckdb"


def _changed_extract(folder: Path) -> Path:
    """The sample's 2025 extract less its last line: a new version of a published year."""
    source = SAMPLE_DIR / "optagelse_2025.csv"
    lines = source.read_bytes().rstrip(b"\r\n").split(b"\n")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "optagelse_2025.csv"
    path.write_bytes(b"\n".join(lines[:-1]) + b"\n")
    return settled(path)


@pytest.mark.integration
@pytest.mark.parametrize("command", ["run", "load"])
@pytest.mark.parametrize("free_kb", [64, 3000])
def test_a_full_disk_during_run_or_load_says_nothing_was_published(published, tmp_path, command, free_kb):
    base = tmp_path / "disk"
    args = ["run", "--rebuild"] if command == "run" else ["load", str(_changed_extract(tmp_path / "new"))]
    with _tmpfs(base, 64) as disk:
        warehouse = _copy_home(published, base)
        before = _digest(warehouse)
        if disk is not None:
            _fill(disk, free_kb)
            done = overgang(base, *args, OVERGANG_CPR_KEY=TEST_KEY)
        else:  # no mount here: a file may not grow past the limit
            done = _limited(base, free_kb * 1024, *args)
        said = _plain(done)
        assert "is full" in said and "Free space" in said, said
        assert "Nothing was published: the published warehouse" in said and "is as it was" in said, said
        assert _digest(warehouse) == before


@pytest.mark.integration
def test_report_on_a_full_disk_says_so_and_leaves_no_half_file(published, tmp_path):
    base = tmp_path / "disk"
    with _tmpfs(base, 64) as disk:
        _copy_home(published, base)
        reports = base / "home" / "reports"
        shutil.rmtree(reports)
        reports.mkdir()
        if disk is not None:
            _fill(disk, 100)
            done = overgang(base, "report")
        else:
            done = _limited(base, 100 * 1024, "report")
        said = _plain(done)
        assert "is full" in said and "The report" in said and "was not written" in said, said
        assert "Nothing was changed" in said, said
        assert not [p.name for p in reports.iterdir() if ".tmp" in p.name]


@pytest.mark.integration
def test_report_on_a_read_only_home_says_so(published, tmp_path):
    source, home = tmp_path / "source", tmp_path / "ro"
    _copy_home(published, source)
    home.mkdir()
    if os.geteuid() != 0 or not _mount("--bind", str(source), str(home)):
        pytest.skip("a read-only home needs a read-only mount (root): chmod does not stop root")
    try:
        if not _mount("-o", "remount,bind,ro", str(home)):
            pytest.skip("this machine does not remount a bind mount read-only")
        said = _plain(overgang(home, "report"))
    finally:
        subprocess.run(["umount", "-l", str(home)], check=False)
    assert "read-only file system" in said.lower() and "OVERGANG_HOME" in said, said
    assert "was not written" in said, said


@pytest.mark.integration
@pytest.mark.parametrize("share", [0.05, 0.3, 0.6])
@pytest.mark.parametrize("command", [["query", "SELECT count(*) FROM applications"], ["report"]])
def test_a_truncated_published_warehouse_points_to_rollback(published, tmp_path, command, share):
    warehouse = _copy_home(published, tmp_path)
    with open(warehouse, "r+b") as f:
        f.truncate(int(warehouse.stat().st_size * share))
    said = _plain(overgang(tmp_path, *command))
    assert "overgang rollback" in said and "damaged" in said, said


# The class, not the examples: each spelling the machine gives a fault in, as the commands meet it.
KINDS = [
    (OSError(errno.ENOSPC, "No space left on device"), faults.DISK_FULL),
    (OSError(errno.EDQUOT, "Disk quota exceeded"), faults.DISK_FULL),
    (OSError(errno.EFBIG, "File too large"), faults.DISK_FULL),
    (
        sqlalchemy.exc.OperationalError("COMMIT", {}, sqlite3.OperationalError("database or disk is full")),
        faults.DISK_FULL,
    ),
    (duckdb.IOException('IO Error: Could not write file "x": No space left on device'), faults.DISK_FULL),
    (OSError(errno.EROFS, "Read-only file system"), faults.READ_ONLY),
    (xlsxwriter.exceptions.FileCreateError(OSError(errno.EROFS, "Read-only file system")), faults.READ_ONLY),
    (xlsxwriter.exceptions.FileCreateError(PermissionError(errno.EACCES, "Permission denied")), faults.NO_PERMISSION),
    (sqlite3.OperationalError("attempt to write a readonly database"), faults.READ_ONLY),
    (duckdb.IOException('IO Error: Could not read enough bytes from file "w.duckdb"'), faults.DAMAGED_DUCKDB),
    (duckdb.InvalidInputException("The file is not a valid DuckDB database file!"), faults.DAMAGED_DUCKDB),
    (sqlite3.DatabaseError("file is not a database"), faults.DAMAGED_HISTORY),
    (KeyboardInterrupt(), faults.INTERRUPTED),
    (RuntimeError("Query interrupted"), faults.INTERRUPTED),
    (duckdb.InterruptException("INTERRUPT Error: Interrupted!"), faults.INTERRUPTED),
    (ValueError("the file is corrupt"), None),  # the program's own: keeps its traceback
]


@pytest.mark.parametrize(("error", "kind"), KINDS, ids=[f"{type(e).__name__}-{k}" for e, k in KINDS])
def test_every_spelling_of_a_fault_is_known(error, kind):
    wrapped = RuntimeError("a step failed")
    wrapped.__cause__ = error
    assert faults.kind_of(error) == kind
    if kind is not None:
        assert faults.kind_of(wrapped) == kind  # raised from it, as Dagster and SQLAlchemy do


@pytest.mark.parametrize(
    "step_failure",
    [
        "applications: RuntimeError: Query interrupted",
        "applications_year_not_smaller: dagster._core.errors.DagsterExecutionInterruptedError",
        "council_report: KeyboardInterrupt",
    ],
)
def test_a_step_that_ctrl_c_stopped_is_an_interruption(step_failure):
    """`overgang run` reads its failed steps' messages: Ctrl-C between two queries of a step ends
    it with Dagster's own error, inside a query with DuckDB's; both are exit status 130."""
    assert faults.kind_of_text(step_failure) == faults.INTERRUPTED
