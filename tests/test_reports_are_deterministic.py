"""Hostile test of this round's deterministic report aggregates (any_value replaced): the same
warehouse gives the same report, byte for byte, whatever Python's string hashing (set and dict
order of strings) and whatever DuckDB's thread count (the order parallel aggregation sees rows)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from overgang.settings import PROJECT_DIR
from tests.cli import child_env

RENDER = textwrap.dedent(
    """
    import hashlib, sys
    from datetime import datetime
    import duckdb
    from overgang.settings import Settings
    from reports.data import load_report_data
    from reports.render import render_html
    settings = Settings.load()
    con = duckdb.connect(sys.argv[1], read_only=True, config={"threads": int(sys.argv[2])})
    for k in (101, 147, 169):
        data = load_report_data(con, k, 2024, settings)
        page = render_html(data, datetime(2026, 1, 1, 12, 0))
        print(k, hashlib.sha256(page.encode()).hexdigest())
    """
)


@pytest.mark.integration
def test_the_same_warehouse_renders_the_same_reports(sample_run):
    """Attack: render three kommuner's reports in fresh processes with different PYTHONHASHSEED
    and DuckDB thread counts. Promise (this round: any_value replaced by deterministic
    aggregates): the pages are identical. Found nothing: pins it."""
    outputs = set()
    for seed, threads in (("1", "1"), ("2", "4"), ("12345", "2")):
        env = child_env(
            PYTHONHASHSEED=seed,
            OVERGANG_HOME=str(sample_run.settings.home),
            OVERGANG_INPUT_DIR=str(sample_run.settings.input_dir),
        )
        done = subprocess.run(
            [sys.executable, "-c", RENDER, str(sample_run.settings.warehouse), threads],
            cwd=PROJECT_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        outputs.add(done.stdout)
    assert len(outputs) == 1, outputs
