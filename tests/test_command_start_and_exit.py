"""Attack on how an `overgang` command starts and ends (overgang/process.py): without the cyclic
garbage collector, and ending with `exit_now` instead of Python's teardown.

Two breaks:

* `overgang report --all` renders one report per municipality. Each report's plotly figures are
  cyclic garbage (a trace points at its figure and back), which only the collector frees: with
  it off, every report left about 2.8 MB behind (20 reports of the sample: 57 MB, 37,000
  objects; the 98 municipalities of a country: ~280 MB), so memory grew with the data.
* `exit_now` joined the non-daemon threads without first running what Python runs before it
  joins them (threading's own exit hooks): an executor's idle workers (concurrent.futures, whose
  hook tells them to stop) were waited for for ever: the command hung where Python exits.

What holds (pinned here): the command's status and message for a refusal, output through a pipe
that is closed early (`| head`), the whole of a large `--csv` output.
"""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from overgang.settings import PROJECT_DIR
from tests.cli import child_env, overgang_process, python_child


def test_an_executor_left_running_does_not_hang_the_exit():
    # Python's own shutdown tells the executor's idle workers to stop (threading's exit hook), then
    # joins them; exit_now must do the same, not wait for them for ever.
    try:
        done = python_child(
            """
            from concurrent.futures import ThreadPoolExecutor
            from overgang.process import exit_now
            pool = ThreadPoolExecutor(2)
            print(pool.submit(lambda: 41 + 1).result())
            exit_now(0)
            """,
            timeout=20,
        )
    except subprocess.TimeoutExpired:
        pytest.fail("exit_now waited for ever for an idle executor's workers")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "42"


def test_a_thread_started_while_the_exit_waits_is_waited_for_too(tmp_path):
    # A thread that starts another one as it ends: Python waits for both.
    done = python_child(
        f"""
        import pathlib, threading, time
        from overgang.process import exit_now
        out = pathlib.Path({str(tmp_path)!r})
        def second():
            time.sleep(0.5)
            (out / "second").write_text("done")
        def first():
            time.sleep(0.3)
            threading.Thread(target=second).start()
        threading.Thread(target=first).start()
        exit_now(0)
        """
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "second").read_text() == "done"


@pytest.mark.hostile
@pytest.mark.integration
def test_report_all_does_not_grow_with_the_municipalities(sample_run, tmp_path):
    # The command's own start (start_command: the collector off), then `overgang report --all`
    # three times: the third may not hold more objects than the second (before the fix: +37,000
    # objects and +57 MB a pass over the sample's 20 municipalities, about 1,800 a report). Five
    # of the 20 are enough to see that (+9,000 a pass against the 5,000 allowed) at a quarter of
    # the reports: --all is given the first five of its own list, the rest of the command as it is.
    home = tmp_path / "home"
    shutil.copytree(sample_run.settings.warehouse.parent, home / "warehouse")
    done = python_child(
        """
        from overgang.process import start_command
        start_command()
        import gc
        import reports.overview
        from pipelines.cli import main
        every = reports.overview.kommuner_with_data
        reports.overview.kommuner_with_data = lambda con, year: every(con, year)[:5]
        for _ in range(3):
            try:
                main(["report", "--all"], standalone_mode=False)
            except SystemExit as e:
                assert not e.code, e.code
            print(len(gc.get_objects()), flush=True)
        """,
        timeout=600,
        OVERGANG_HOME=str(home),
        OVERGANG_INBOX=str(tmp_path / "inbox"),
    )
    assert done.returncode == 0, done.stderr
    counts = [int(line) for line in done.stdout.split()]
    assert counts[2] - counts[1] < 5_000, counts


@pytest.mark.integration
def test_query_output_through_a_closed_pipe_and_whole_csv(sample_run, tmp_path):
    # `overgang query --csv ... | head -1`: no traceback, and the whole output when read to the end.
    home = tmp_path / "home"
    shutil.copytree(sample_run.settings.warehouse.parent, home / "warehouse")
    sql = "SELECT range AS n, repeat('x', 50) AS pad FROM range(200000)"
    whole = overgang_process(tmp_path, "query", "--csv", sql)  # through the fast end: nothing lost
    assert whole.returncode == 0, whole.stderr
    lines = whole.stdout.splitlines()
    assert len(lines) == 200_001 and lines[-1].startswith("199999")

    env = child_env(tmp_path, OVERGANG_HOME=str(home))
    piped = subprocess.run(
        f'{sys.executable} -m pipelines.cli query --csv "{sql}" | head -1; echo status=${{PIPESTATUS[0]}}',
        shell=True,
        executable="/bin/bash",
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert piped.stdout.splitlines()[0] == "n,pad"
    assert "Traceback" not in piped.stderr, piped.stderr
    refused = overgang_process(tmp_path, "query", "SELECT * FROM no_such_table")
    assert refused.returncode == 1 and "Traceback" not in refused.stderr and refused.stderr.strip()
