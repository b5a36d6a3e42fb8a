"""Hostile tests of this round's one DuckDB connection per run (assets/resources.py: WorkDatabase)
and publish through it (assets/warehouse/assets.py: publish: ATTACH, COPY FROM DATABASE, DETACH,
os.replace).

Promises attacked: a failed step leaves no open transaction for the next one; the next run in
the same process works; the published warehouse is never half-written, whenever the process is
killed (kill -9)."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest
from dagster import build_init_resource_context

from assets.resources import WorkDatabase
from assets.warehouse.assets import NOT_PUBLISHED, publish, sane
from overgang.settings import PROJECT_DIR
from tests.cli import child_env


def _in_run(path: Path) -> WorkDatabase:
    """The run's resource as Dagster sets it up (a context outside any run: no tenant)."""
    db = WorkDatabase(database=str(path))
    db.setup_for_execution(build_init_resource_context())
    return db


def test_a_step_failing_inside_begin_leaves_nothing_open_for_the_next_step(tmp_path):
    """Attack: a step opens a transaction on the run's connection, writes, and fails before
    COMMIT or ROLLBACK; the next step of the same run writes the same table. Promise: a failed
    step leaves no open transaction (its writes are gone, the next step neither conflicts nor
    sees them). Found nothing: pins it."""
    db = _in_run(tmp_path / "work.duckdb")
    try:
        with db.get_connection() as con:
            con.execute("CREATE TABLE t (k INTEGER PRIMARY KEY)")
            con.execute("INSERT INTO t VALUES (1)")
        with pytest.raises(RuntimeError):
            with db.get_connection() as con:
                con.execute("BEGIN")
                con.execute("INSERT INTO t VALUES (2)")
                con.execute("CREATE TABLE half (k INTEGER)")
                raise RuntimeError("the step fails mid-transaction")
        with db.get_connection() as con:
            con.execute("INSERT INTO t VALUES (2)")  # no conflict with the failed step's row
            con.execute("CREATE TABLE half (k INTEGER)")  # nor with its table
            assert con.execute("SELECT list(k ORDER BY k) FROM t").fetchone() == ([1, 2],)
    finally:
        db.teardown_after_execution(None)
    with duckdb.connect(str(tmp_path / "work.duckdb"), read_only=True) as con:
        assert con.execute("SELECT list(k ORDER BY k) FROM t").fetchone() == ([1, 2],)


def test_a_step_failing_inside_a_failed_statement_of_a_transaction(tmp_path):
    """Attack: the failing statement is itself inside the transaction (DuckDB then marks the
    transaction aborted: every later statement on that cursor fails until ROLLBACK). Promise:
    the next step's cursor is not that one. Found nothing: pins it."""
    db = _in_run(tmp_path / "work.duckdb")
    try:
        with db.get_connection() as con:
            con.execute("CREATE TABLE t (k INTEGER PRIMARY KEY)")
        with pytest.raises(duckdb.ConstraintException):
            with db.get_connection() as con:
                con.execute("BEGIN")
                con.execute("INSERT INTO t VALUES (1), (1)")
        with db.get_connection() as con:
            con.execute("INSERT INTO t VALUES (1)")
            assert con.execute("SELECT count(*) FROM t").fetchone() == (1,)
    finally:
        db.teardown_after_execution(None)


def test_a_second_run_in_the_same_process_opens_the_file_again(tmp_path):
    """Attack: two runs in one process (`overgang load`: main job then sources job) with the same
    resource, the first ending by a failure after its connection was opened. Promise: the next
    run works, and between the runs the file is not held open (another process may write it)."""
    path = tmp_path / "work.duckdb"
    db = _in_run(path)
    with pytest.raises(RuntimeError):
        with db.get_connection() as con:
            con.execute("CREATE TABLE t AS SELECT 1 AS k")
            raise RuntimeError("a step fails")
    db.teardown_after_execution(None)
    # Between runs: another process can open the file for writing.
    done = subprocess.run(
        [sys.executable, "-c", f"import duckdb; duckdb.connect({str(path)!r}).execute('INSERT INTO t VALUES (2)')"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    db.setup_for_execution(build_init_resource_context())
    try:
        with db.get_connection() as con:
            assert con.execute("SELECT list(k ORDER BY k) FROM t").fetchone() == ([1, 2],)
    finally:
        db.teardown_after_execution(None)


# --- kill -9 during publish -------------------------------------------------------------------

# One child imports publish (with Dagster: about 2 s of CPU) once; for each line read from its
# standard input it forks a publisher, a process of its own that the test kills with SIGKILL,
# and says "reaped" once that process is gone. A publisher opens its own DuckDB connection after
# the fork (the child holds none) and writes "<round> <pid>" before each publish.
PUBLISHERS = textwrap.dedent(
    """
    import os
    import sys
    from pathlib import Path
    import duckdb
    from assets.warehouse.assets import publish
    work, published, version = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]

    def publisher():
        con = duckdb.connect(str(work))
        for i in range(1000):
            con.execute("UPDATE publication SET run_id = $r", {"r": f"killed-{i}"})
            con.execute("CHECKPOINT")
            print(i, os.getpid(), flush=True)
            publish(con.cursor(), published, version)

    for _ in sys.stdin:
        pid = os.fork()
        if pid == 0:
            try:
                publisher()
            finally:
                os._exit(1)
        os.waitpid(pid, 0)
        print("reaped", flush=True)
    """
)


@pytest.fixture(scope="module")
def published_copy(sample_run, tmp_path_factory):
    """A copy of the sample run's working and published databases."""
    root = tmp_path_factory.mktemp("killed")
    (root / "work").mkdir()
    (root / "warehouse").mkdir()
    shutil.copy(sample_run.settings.work_db, root / "work" / "overgang.duckdb")
    shutil.copy(sample_run.settings.warehouse, root / "warehouse" / "overgang.duckdb")
    return root, sample_run.settings.pipeline.storage_compatibility_version


@pytest.mark.hostile
@pytest.mark.integration
def test_kill_9_at_any_moment_of_publish_leaves_a_sane_published_warehouse(published_copy):
    """Attack: `kill -9` of a process publishing through its open connection, at random moments
    (during ATTACH, COPY FROM DATABASE, DETACH, the views, the Parquet files, the renames), again
    and again, then a publish in a new process over whatever the killed ones left (a half-written
    .new.duckdb and its .wal, parquet.new, previous.duckdb.tmp). Promise: the published file is
    always a sane warehouse (it opens, holds its publication row and applications) and the next
    publish works."""
    root, version = published_copy
    work, published = root / "work" / "overgang.duckdb", root / "warehouse" / "overgang.duckdb"
    env = child_env()
    # How long one publish takes here: kills land across the whole of it.
    started = time.perf_counter()
    with duckdb.connect(str(work)) as con:
        publish(con, published, version)
    seconds = time.perf_counter() - started
    rng = random.Random(20261201)
    seen = set()
    publishers = subprocess.Popen(
        [sys.executable, "-c", PUBLISHERS, str(work), str(published), version],
        cwd=PROJECT_DIR,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for attempt in range(12):
            publishers.stdin.write("publish\n")
            publishers.stdin.flush()
            first, pid = publishers.stdout.readline().split() or ("", "")
            assert first == "0", f"attempt {attempt}: no publisher started: {publishers.stderr.read()[-2000:]}"
            time.sleep(rng.uniform(0, 2.5 * seconds))
            os.kill(int(pid), signal.SIGKILL)
            while (line := publishers.stdout.readline()) and line.strip() != "reaped":
                pass  # the rounds the publisher finished before the kill
            assert line, f"attempt {attempt}: {publishers.stderr.read()[-2000:]}"
            problem = sane(published)
            assert problem is None, f"attempt {attempt}: published warehouse not sane after kill -9: {problem}"
            with duckdb.connect(str(published), read_only=True) as con:
                seen.add(con.execute("SELECT run_id FROM publication").fetchone()[0])
                assert con.execute("SELECT count(*) FROM applications").fetchone()[0] > 0
    finally:
        publishers.stdin.close()
        publishers.wait(timeout=60)
    with duckdb.connect(str(work)) as con:
        con.execute("UPDATE publication SET run_id = 'after-the-kills'")
        metadata = publish(con, published, version)
    assert metadata["previous"].endswith(".duckdb")
    with duckdb.connect(str(published), read_only=True) as con:
        assert con.execute("SELECT run_id FROM publication").fetchone() == ("after-the-kills",)
    assert sane(published.with_name("overgang.previous.duckdb")) is None
    assert (published.parent / "parquet").is_dir()


@pytest.mark.integration
def test_runs_in_one_process_after_a_failed_run(tmp_path, keyed):
    """Attack: in one process (as `overgang load` runs the main job, then the sources job) a main
    run, a main run that fails (an extract whose every row is bad: its blocking check stops the
    run after steps used the run's connection), the sources job, and a main run again. Promise:
    the failed run publishes nothing and leaves nothing open (no "Unique file handle conflict",
    no open transaction); every later run works and publishes."""
    from dagster import instance_for_test

    from overgang.settings import SAMPLE_DIR, Settings
    from pipelines.run import execute_main_job, execute_sources_job

    given = tmp_path / "given"
    given.mkdir()
    shutil.copy(SAMPLE_DIR / "optagelse_2024.csv", given)
    home = tmp_path / "home"
    settings = Settings(home=home, input_dir=given, pipeline=Settings.load().pipeline, inbox=tmp_path / "inbox")
    (home / "dagster").mkdir(parents=True)

    def published_by() -> str:
        assert sane(settings.warehouse) is None
        with duckdb.connect(str(settings.warehouse), read_only=True) as con:
            return con.execute("SELECT run_id FROM publication").fetchone()[0]

    with instance_for_test(temp_dir=str(home / "dagster")) as instance:
        first = execute_main_job(settings, instance)
        assert first.success
        assert published_by() == first.run_id
        lines = (SAMPLE_DIR / "optagelse_2023.csv").read_text(encoding="utf-8").splitlines()
        bad = [lines[0]] + [";".join(["x"] * (lines[0].count(";") + 1)) for _ in lines[1:200]]
        (given / "optagelse_2023.csv").write_text("\n".join(bad) + "\n", encoding="utf-8")
        failed = execute_main_job(settings, instance)
        assert not failed.success
        assert published_by() == first.run_id
        (given / "optagelse_2023.csv").unlink()
        sources = execute_sources_job(settings, instance)
        assert sources.success
        assert published_by() == sources.run_id
        again = execute_main_job(settings, instance)
        assert again.success
        assert published_by() == again.run_id


# --- tables kept out of the published warehouse ----------------------------------------------


@pytest.mark.integration
def test_a_table_kept_out_of_the_warehouse_leaves_no_bytes_in_the_published_file(sample_run, tmp_path):
    """Attack: read the published warehouse's bytes, not its catalog. publish copies the whole
    working database (COPY FROM DATABASE) and then drops the tables that stay out
    (NOT_PUBLISHED: staging_applications, year_keys with the CPR key's fingerprint, ...). A
    dropped table's blocks are freed, not wiped: DuckDB writes a large insert's row groups
    straight into the file, so the rows of a big staging table stay in the published file.
    Promise: the working tables that stay out of the published warehouse are not in it.
    Broke (the canary rows were in the published file's bytes). Fixed: publish copies the
    structure (COPY FROM DATABASE ... (SCHEMA)) and then only the published tables' rows
    (assets/warehouse/assets.py); the rest of the warehouse is as before (checked here)."""
    root = tmp_path
    (root / "work").mkdir()
    (root / "warehouse").mkdir()
    work, published = root / "work" / "overgang.duckdb", root / "warehouse" / "overgang.duckdb"
    shutil.copy(sample_run.settings.work_db, work)
    with duckdb.connect(str(work)) as con:
        # A staging table the size of a real year's extracts (a few hundred thousand rows), and
        # a recognisable key fingerprint: neither may reach the published file in any form.
        con.execute(
            "INSERT INTO staging_applications (file_year, source_file, cpr_status, school_name) "
            "SELECT 2099, 'canary.csv', 'ok', 'STAGING-CANARY-' || range FROM range(300000)"
        )
        con.execute("INSERT INTO year_keys VALUES (2099, 'FINGERPRINT-CANARY-0123456789abcdef', false)")
        con.execute("CHECKPOINT")
        publish(con, published, sample_run.settings.pipeline.storage_compatibility_version)
    data = published.read_bytes()
    assert b"STAGING-CANARY" not in data
    assert b"FINGERPRINT-CANARY" not in data
    # Everything else is there as before: every other table with its rows, comments and constraints.
    with duckdb.connect(str(work), read_only=True) as w, duckdb.connect(str(published), read_only=True) as p:

        def catalog(con, db):
            return {
                (s, t): (comment, con.execute(f'SELECT count(*) FROM "{db}"."{s}"."{t}"').fetchone()[0])
                for s, t, comment in con.execute(
                    "SELECT schema_name, table_name, comment FROM duckdb_tables() WHERE NOT internal"
                ).fetchall()
            }

        def constraints(con):
            return sorted(
                con.execute(
                    "SELECT table_name, constraint_type, constraint_text FROM duckdb_constraints() "
                    "WHERE schema_name = 'main'"
                ).fetchall()
            )

        kept = {k: v for k, v in catalog(w, "overgang").items() if k[1] not in NOT_PUBLISHED}
        assert catalog(p, "overgang") == kept
        assert constraints(p) == [c for c in constraints(w) if c[0] not in NOT_PUBLISHED]
