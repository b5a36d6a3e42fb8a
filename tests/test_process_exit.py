"""`overgang` ends without Python's teardown (overgang/process.py): nothing a normal exit does
that matters may be lost. Each test is a child process that does the thing a fast exit could
cut short, then checks it was not."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from overgang.settings import PROJECT_DIR


def _child(code: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=PROJECT_DIR,
        capture_output=True,
        timeout=120,
        **kwargs,
    )


def test_output_larger_than_any_pipe_buffer_arrives_whole():
    # 8 MB through a pipe: a buffered tail left unflushed would be lost by os._exit.
    done = _child(
        """
        import sys
        from overgang.process import exit_now
        for i in range(400_000):
            print(f"{i:019d}")
        sys.stderr.write("tail-of-stderr")
        exit_now(0)
        """
    )
    lines = done.stdout.decode().splitlines()
    assert done.returncode == 0
    assert len(lines) == 400_000 and lines[-1] == f"{399_999:019d}"
    assert done.stderr.decode().endswith("tail-of-stderr")


def test_atexit_handlers_and_a_working_thread_finish_before_the_exit(tmp_path):
    # A temporary folder removed at exit, a handler that writes a file, and a non-daemon thread
    # still writing when the command ends: each must have done its work.
    done = _child(
        f"""
        import atexit, pathlib, tempfile, threading, time
        from overgang.process import exit_now
        out = pathlib.Path({str(tmp_path)!r})
        kept = tempfile.TemporaryDirectory(dir=out)
        (out / "where").write_text(kept.name)
        atexit.register(lambda: (out / "atexit").write_text("ran"))
        def slow():
            time.sleep(0.5)
            (out / "thread").write_text("done")
        threading.Thread(target=slow).start()
        exit_now(0)
        """
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "atexit").read_text() == "ran"
    assert (tmp_path / "thread").read_text() == "done"
    assert not (tmp_path / (tmp_path / "where").read_text()).exists()


@pytest.mark.parametrize(
    ("code", "status", "stderr"),
    [("None", 0, ""), ("0", 0, ""), ("3", 3, ""), ("'a message'", 1, "a message")],
)
def test_the_exit_status_is_what_sys_exit_would_give(code, status, stderr):
    done = _child(
        f"""
        from overgang.process import exit_now, status_of
        exit_now(status_of(SystemExit({code})))
        """
    )
    assert done.returncode == status
    assert done.stderr.decode().strip() == stderr


def test_output_that_cannot_be_flushed_is_not_reported_as_success():
    # The reader went away before the buffered output was flushed: Python itself exits 120 when
    # it cannot flush at shutdown; so does exit_now (standard output here is a buffered pipe
    # whose reader has gone, so the write is kept and only the flush fails).
    done = _child(
        """
        import io, os, sys
        from overgang.process import exit_now
        read, write = os.pipe()
        os.close(read)
        sys.stdout = io.TextIOWrapper(io.BufferedWriter(io.FileIO(write, "w"), 1 << 16))
        sys.stdout.write("x" * 100)
        exit_now(0)
        """
    )
    assert done.returncode == 120


def test_the_command_keeps_its_status_and_messages(tmp_path):
    # The real command, through `python -m pipelines.cli` (what tests/cli.py and the benches run):
    # a refusal is status 1 with its message, help is status 0 with all of its text.
    from tests.cli import overgang_process

    refused = overgang_process(tmp_path, "query", "COPY (SELECT 1) TO 'x.csv'")
    assert refused.returncode == 1
    assert "Error" in refused.stderr or "error" in refused.stderr.lower()
    helped = overgang_process(tmp_path, "--help")
    assert helped.returncode == 0 and "dictionary" in helped.stdout and "søgetal" in helped.stdout


def test_a_command_runs_without_the_optional_libraries_no_command_uses():
    # start_command marks pyarrow and hypothesis absent before anything imports them: pandas,
    # pandera and the whole pipeline import without them, and what the commands do with pandas
    # (nullable columns handed to DuckDB and back, as the publication set does) still works.
    done = _child(
        """
        import sys
        from overgang.process import NOT_IMPORTED, start_command
        start_command()
        import pandas as pd
        import pandera.pandas
        import pipelines.definitions
        import duckdb
        frame = pd.DataFrame({"n": pd.array([1, None], dtype="Int64"), "s": pd.array([0.5, None], dtype="Float64")})
        con = duckdb.connect()
        con.register("frame", frame)
        back = con.execute("SELECT n, s, n * 2 AS m FROM frame").df()
        print(sorted(n for n in NOT_IMPORTED if sys.modules.get(n) is not None), back["m"].tolist()[0])
        """
    )
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    assert done.stdout.decode().split() == ["[]", "2"]


def test_generate_writes_the_sample_without_pyarrow(tmp_path):
    # The generator wrote its CSV files with pyarrow, which the commands now keep out: the
    # command itself still writes the shipped sample byte for byte (its manifest).
    done = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "generate", str(tmp_path / "optagelse"), "--sample"],
        cwd=PROJECT_DIR,
        capture_output=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    sample = PROJECT_DIR / "data" / "sample"
    assert (tmp_path / "manifest.csv").read_bytes() == (sample / "manifest.csv").read_bytes()
