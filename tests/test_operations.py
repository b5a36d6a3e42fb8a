"""Running unattended: yearly partitions, safe publishing, schedules, sensors, analyst access."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from dagster import SkipReason, build_schedule_context, build_sensor_context, instance_for_test

from assets.resources import ProjectSettings
from overgang.generator import generate
from overgang.settings import PROJECT_DIR, SAMPLE_DIR, Settings
from pipelines.run import execute_main_job, failure_messages
from pipelines.schedules import spring_applications, statbank_refresh
from pipelines.sensors import changed_extracts
from schemas.warehouse import VIEWS
from tests.cli import overgang
from tests.conftest import TEST_KEY, run_pipeline


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def two_years(tmp_path_factory) -> Path:
    """A larger synthetic input (two years, three times the sample), so a run takes a moment."""
    folder = tmp_path_factory.mktemp("input")
    generate(folder, scale=3, years=(2023, 2024))
    return folder


@pytest.fixture(scope="module")
def published_two_years(two_years, tmp_path_factory) -> Path:
    """A home (and inbox) in which two_years was run and published once: run once for the
    module, copied by each test that starts from it (`_copy_of`)."""
    root = tmp_path_factory.mktemp("two_years_home")
    run_pipeline_with_key(root / "home", two_years)
    return root


def _copy_of(root: Path, tmp_path: Path) -> Path:
    """tmp_path/home and tmp_path/inbox as the module's run left them in `root`."""
    shutil.copytree(root / "home", tmp_path / "home", symlinks=True)
    if (root / "inbox").exists():
        shutil.copytree(root / "inbox", tmp_path / "inbox", symlinks=True)
    return tmp_path / "home"


def _cli(home: Path, *args: str) -> subprocess.Popen:
    env = {**os.environ, "OVERGANG_HOME": str(home), "OVERGANG_CPR_KEY": TEST_KEY, "PYTHONUNBUFFERED": "1"}
    env.pop("DAGSTER_HOME", None)
    return subprocess.Popen(
        [sys.executable, "-m", "pipelines.cli", "run", *args],
        cwd=PROJECT_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_backfill_of_one_year_touches_only_that_year(sample_run, tmp_path):
    home = tmp_path / "home"
    shutil.copytree(sample_run.settings.home / "work", home / "work")
    settings = Settings(home=home, input_dir=SAMPLE_DIR, pipeline=Settings.load().pipeline)
    (home / "dagster").mkdir(parents=True)
    with instance_for_test(temp_dir=str(home / "dagster")) as instance:
        result = execute_main_job(settings, instance, years=(2024, 2024))
    assert result.success, failure_messages(result)
    partitions = {(e.asset_key.to_user_string(), e.partition) for e in result.get_asset_materialization_events()}
    assert ("applications", "2024") in partitions and ("application_shares", "2024") in partitions
    assert {p for _, p in partitions if p is not None} == {"2024"}
    first_run = sample_run.result.run_id
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        runs = dict(con.execute("SELECT year, run_id FROM year_loads").fetchall())
        eud = con.execute("""SELECT year, round(share_pct, 1) FROM application_shares WHERE kommune_code = 169
                             AND education_group = 'EUD' AND grade = '9+10' AND geography_basis = 'school'
                             AND year IN (2023, 2024) ORDER BY year""").fetchall()
    assert runs[2024] == result.run_id
    assert all(runs[y] == first_run for y in runs if y != 2024)
    assert eud == [(2023, 16.1), (2024, 23.7)]


@pytest.mark.integration
def test_run_while_an_analyst_holds_the_warehouse_open(published_two_years, two_years, tmp_path):
    home = _copy_of(published_two_years, tmp_path)
    warehouse = home / "warehouse" / "overgang.duckdb"
    before = _published_run(warehouse)
    # A separate process opens the published file read-only and keeps reading it during the run,
    # until the test says the run has ended (a line on its standard input): not a fixed 15 s of
    # reads, which outlasted the run by seconds of waiting (or ended before a slower run did).
    reader = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"""
import duckdb, select, sys
con = duckdb.connect({str(warehouse)!r}, read_only=True)
print("open", flush=True)
runs, reads = set(), 0
while True:
    runs.add(con.execute("SELECT run_id FROM publication").fetchone()[0])
    con.execute("SELECT sum(applicants) FROM analyst.application_shares").fetchone()
    reads += 1
    if select.select([sys.stdin], [], [], 0.1)[0]:
        break
runs.add(con.execute("SELECT run_id FROM publication").fetchone()[0])
print(reads, sorted(runs), flush=True)
""",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert reader.stdout.readline().strip() == "open"
    second = run_pipeline_with_key(home, two_years)
    out, err = reader.communicate("the run has ended\n", timeout=60)
    assert second.result.success and reader.returncode == 0, err
    reads, runs = out.strip().split(" ", 1)
    assert int(reads) > 10, f"the reader read {reads} times: not throughout the run"
    assert runs == str([before])  # the reader kept its snapshot throughout, and after the run
    assert _published_run(second.settings.warehouse) == second.result.run_id
    assert second.settings.warehouse.with_name("overgang.previous.duckdb").exists()


@pytest.mark.integration
def test_killed_run_leaves_published_warehouse_unchanged(published_two_years, two_years, tmp_path):
    home = _copy_of(published_two_years, tmp_path)
    published = home / "warehouse" / "overgang.duckdb"
    digest = _sha(published)

    run = _cli(home, "--input", str(two_years), "--year", "2024")
    for line in run.stdout:  # kill -9 right after the extract is staged, mid-run
        if "optagelse_2024.csv:" in line:
            os.kill(run.pid, signal.SIGKILL)
            break
    run.wait(timeout=60)
    assert run.returncode == -signal.SIGKILL
    assert _sha(published) == digest

    # 2024 is half-built in the working database: publishing anything else is refused ...
    # (the command in this process from here: only the kill is about a process)
    other = overgang(tmp_path, "run", "--input", str(two_years), "--year", "2023", OVERGANG_CPR_KEY=TEST_KEY)
    output = other.stdout + other.stderr
    assert other.returncode == 1, output[-2000:]
    assert "years 2024 were left half-built" in output and "published warehouse is unchanged" in output
    assert _sha(published) == digest
    # ... until the year is rebuilt.
    rerun = overgang(tmp_path, "run", "--input", str(two_years), "--year", "2024", OVERGANG_CPR_KEY=TEST_KEY)
    assert rerun.returncode == 0, (rerun.stdout + rerun.stderr)[-2000:]
    assert _sha(published) != digest


def run_pipeline_with_key(home: Path, input_dir: Path):
    os.environ["OVERGANG_CPR_KEY"] = TEST_KEY
    try:
        run = run_pipeline(home, input_dir)
    finally:
        del os.environ["OVERGANG_CPR_KEY"]
    assert run.result.success, failure_messages(run.result)
    return run


def _published_run(path: Path) -> str:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute("SELECT run_id FROM publication").fetchone()[0]


def test_spring_schedule_requests_this_years_partition():
    context = build_schedule_context(scheduled_execution_time=datetime(2026, 3, 20, 6, 0))
    request = spring_applications(context)
    assert request.partition_key == "2026" and request.run_key == "spring-2026"
    monthly = statbank_refresh(build_schedule_context(scheduled_execution_time=datetime(2026, 4, 2, 7, 0)))
    assert monthly.run_key == "statbank-2026-04"


def test_sensor_requests_runs_for_new_and_changed_years(tmp_path):
    inbox = tmp_path / "inbox"
    shutil.copytree(SAMPLE_DIR, inbox)
    project = ProjectSettings(home=str(tmp_path / "home"), input_dir=str(inbox), inbox_dir=str(tmp_path / "dropbox"))
    first = changed_extracts(build_sensor_context(resources={"project": project}))
    assert sorted(r.partition_key for r in first.run_requests) == [str(y) for y in range(2015, 2026)]
    again = changed_extracts(build_sensor_context(resources={"project": project}, cursor=first.cursor))
    assert isinstance(again, SkipReason)
    with (inbox / "optagelse_2024.csv").open("a", encoding="utf-8") as f:
        f.write("\n")  # a corrected file for 2024
    past = time.time() - 60  # past the settle time: the copy has finished
    os.utime(inbox / "optagelse_2024.csv", (past, past))
    third = changed_extracts(build_sensor_context(resources={"project": project}, cursor=first.cursor))
    assert [r.partition_key for r in third.run_requests] == ["2024"]


def test_dictionary_covers_every_column_of_every_view(sample_run):
    with duckdb.connect(str(sample_run.settings.warehouse), read_only=True) as con:
        views = dict(
            con.execute("SELECT view_name, comment FROM duckdb_views() WHERE schema_name = 'analyst'").fetchall()
        )
        columns = con.execute(
            "SELECT table_name, column_name, comment FROM duckdb_columns() WHERE schema_name = 'analyst'"
        ).fetchall()
        from schemas.dictionary import DERIVED, dictionary_markdown

        generated = dictionary_markdown(con)
    assert set(views) == set(VIEWS) | set(DERIVED) and all(views.values())
    assert columns and all(comment for _, _, comment in columns)
    assert {(t, c) for t, c, _ in columns} == {(v, c) for v, s in VIEWS.items() for c in s.columns} | {
        (v, c) for v, (*_, cs) in DERIVED.items() for c in cs
    }
    for table, column, _ in columns:
        assert f"`{column}`" in generated.split(f"## analyst.{table}\n", 1)[1].split("\n## ", 1)[0]
    # The committed copy for newcomers is the generated one.
    assert (PROJECT_DIR / "docs" / "data_dictionary.md").read_text(encoding="utf-8") == generated
    parquet = sorted(p.name for p in (sample_run.settings.warehouse.parent / "parquet").glob("*.parquet"))
    assert "application_shares.parquet" in parquet and len(parquet) == 6


def test_query_command_reads_the_published_warehouse(sample_home, tmp_path):
    out = overgang(
        tmp_path,
        "query",
        "--csv",
        "SELECT year, round(share_pct, 1) AS eud FROM analyst.application_shares WHERE kommune_code = 169 "
        "AND education_group = 'EUD' AND grade = '9+10' AND geography_basis = 'school' AND year IN (2023, 2024) "
        "ORDER BY year",
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["year,eud", "2023,16.1", "2024,23.7"]
    bad = overgang(tmp_path, "query", "DELETE FROM main.goals")
    assert bad.returncode == 1 and "read-only" in bad.stderr.lower(), bad.stderr
    assert "Traceback" not in bad.stderr, bad.stderr
