"""`overgang query` and `overgang shell` fetch only what they show, and Ctrl-C cancels a running
query. Found: `SELECT * FROM range(30000000)` fetched every row to show 1,000 (4.1 GB; under a
memory limit a MemoryError traceback); Ctrl-C during `query` ended in "RuntimeError: Query
interrupted", and in `shell` it did not stop the query at all."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from overgang.settings import PROJECT_DIR
from tests.cli import child_env

pytestmark = pytest.mark.integration

# Long enough to be running when Ctrl-C comes (count(*) over range() DuckDB answers at once).
LONG = "SELECT sum(range % 7) FROM range(10000000000)"
# The address space `overgang query` gets: its imports need some 1 GB of it; fetching 30 M rows took 4 GB.
MEMORY = 2 * 2**30


@pytest.fixture
def home(sample_run, tmp_path):
    shutil.copytree(sample_run.settings.home, tmp_path / "home", symlinks=True)
    return tmp_path


def _start(base, *args: str, memory: int | None = None, **kw) -> subprocess.Popen:
    env = child_env(base)

    def child() -> None:
        # Ctrl-C reaches the command as it does in a terminal (a background job inherits it ignored).
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        if memory:
            import resource

            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    return subprocess.Popen(
        [sys.executable, "-m", "pipelines.cli", *args],
        cwd=PROJECT_DIR,
        env=env,
        text=True,
        preexec_fn=child,
        **{"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, **kw},
    )


def test_a_huge_result_shows_its_first_rows_under_a_memory_limit(home):
    done = _start(home, "query", "SELECT * FROM range(30000000)", memory=MEMORY)
    out, err = done.communicate(timeout=300)
    said = " ".join((out + err).split())
    assert done.returncode == 0 and "Traceback" not in said, said[-2000:]
    assert "│   999 │" in out and "1000 │" not in out
    assert "first 1,000 rows shown; the result has more" in said and "--csv" in said, said[-2000:]


def test_csv_streams_every_row_under_a_memory_limit(home):
    # Fetched whole, these rows need more than the limit leaves (twice the rows that fail so
    # here); wide rows, because the command's cost is per row and the memory per byte: 1.5 M
    # rows of 400 characters, where 12 M one-number rows took three times the CPU.
    rows, pad = 1_500_000, "x" * 400
    with open(home / "out.csv", "w") as out:
        sql = f"SELECT range, repeat('x', {len(pad)}) AS pad FROM range({rows})"
        done = _start(home, "query", "--csv", sql, memory=MEMORY, stdout=out)
        _, err = done.communicate(timeout=300)
    assert done.returncode == 0 and "Traceback" not in err, err[-2000:]
    last = f"{rows - 1},{pad}\n".encode()
    with open(home / "out.csv", "rb") as f:
        assert f.readline() == b"range,pad\n"
        lines = sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))
        f.seek(-len(last), os.SEEK_END)
        assert lines == rows and f.read() == last
    (home / "out.csv").unlink()  # 600 MB


def test_ctrl_c_stops_a_running_query_with_a_plain_message(home):
    child = _start(home, "query", LONG)
    time.sleep(1.5)
    child.send_signal(signal.SIGINT)
    started = time.monotonic()
    out, err = child.communicate(timeout=30)
    said = " ".join((out + err).split())
    assert time.monotonic() - started < 5, "the query went on after Ctrl-C"
    assert child.returncode == 130 and "Traceback" not in said, said[-2000:]
    assert "Interrupted (Ctrl-C)" in said and "Nothing was changed" in said, said


def test_ctrl_c_in_the_shell_cancels_the_query_and_the_prompt_returns(home):
    child = _start(home, "shell", stdin=subprocess.PIPE)
    child.stdin.write(LONG + ";\n")
    child.stdin.flush()
    time.sleep(2.5)
    child.send_signal(signal.SIGINT)
    started = time.monotonic()
    child.stdin.write("SELECT 41 + 1 AS answer;\n.quit\n")
    child.stdin.flush()
    out, err = child.communicate(timeout=60)
    said = out + err
    assert time.monotonic() - started < 5, "the query went on after Ctrl-C"
    assert child.returncode == 0 and "Traceback" not in said, said[-2000:]
    assert "Cancelled (Ctrl-C)" in said and "│     42 │" in out, said[-2000:]
