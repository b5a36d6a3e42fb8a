"""Hostile test: publishing in one transaction (assets/warehouse/assets.py publish) when the
disk fills mid-copy. The disk is "full" for the publishing process only: a file-size limit
(RLIMIT_FSIZE, SIGXFSZ ignored) makes every write past it fail with EFBIG, as ENOSPC would.

Promise: the published warehouse stays the previous one, whole; the run's connection is usable
(its transaction rolled back, the new file detached); once there is room a publish works."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import duckdb
import pytest
import yaml
from dagster import instance_for_test

from assets.warehouse.assets import sane
from overgang.settings import PROJECT_DIR, Settings
from pipelines.run import execute_main_job, failure_messages
from tests.cli import child_env
from tests.corpus import TWO_ROWS
from tests.extracts import write_extract

pytestmark = pytest.mark.integration

FULL = textwrap.dedent(
    """
    import resource, signal, sys
    from pathlib import Path
    import duckdb
    from assets.warehouse.assets import publish
    work, published, version, limit = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    con = duckdb.connect(str(work))
    con.execute("UPDATE publication SET run_id = 'disk-full'")
    con.execute("CHECKPOINT")
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    hard = resource.getrlimit(resource.RLIMIT_FSIZE)[1]
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
    try:
        publish(con, published, version)
        print("published")
    except Exception as err:
        print("failed:", type(err).__name__, str(err)[:200])
    resource.setrlimit(resource.RLIMIT_FSIZE, (hard, hard))  # room again
    print("usable:", con.execute("SELECT count(*) FROM publication").fetchone()[0])
    con.execute("UPDATE publication SET run_id = 'after-the-full-disk'")
    publish(con, published, version)
    print("published after")
    """
)


@pytest.fixture
def published_home(tmp_path, keyed):
    settings = Settings(
        home=tmp_path / "home",
        input_dir=tmp_path / "input",
        pipeline=Settings.load().pipeline,
        inbox=tmp_path / "inbox",
    )
    write_extract(settings.input_dir / "optagelse_2024.csv", TWO_ROWS)
    (settings.home / "dagster").mkdir(parents=True)
    storage = yaml.safe_load((PROJECT_DIR / "dagster.yaml").read_text())["storage"]
    with instance_for_test(temp_dir=str(settings.home / "dagster"), overrides={"storage": storage}) as instance:
        result = execute_main_job(settings, instance, years=(2024, 2024))
    assert result.success, failure_messages(result, settings)
    return settings


@pytest.mark.parametrize("share", [0.001, 0.02, 0.1, 0.5, 0.9])
def test_a_disk_that_fills_mid_publish_leaves_the_published_warehouse_whole(published_home, share):
    settings = published_home
    published = settings.warehouse
    with duckdb.connect(str(published), read_only=True) as con:
        before = con.execute("SELECT run_id FROM publication").fetchone()[0]
    limit = int(published.stat().st_size * share)
    env = child_env()
    child = subprocess.run(
        [
            sys.executable,
            "-c",
            FULL,
            str(settings.work_db),
            str(published),
            settings.pipeline.storage_compatibility_version,
            str(limit),
        ],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    said = child.stdout + child.stderr[-3000:]
    assert "failed:" in child.stdout, said
    assert "usable: 1" in child.stdout, said
    assert "published after" in child.stdout, said
    assert sane(published) is None
    with duckdb.connect(str(published), read_only=True) as con:
        assert con.execute("SELECT run_id FROM publication").fetchone()[0] == "after-the-full-disk"
    with duckdb.connect(str(published.with_name("overgang.previous.duckdb")), read_only=True) as con:
        assert con.execute("SELECT run_id FROM publication").fetchone()[0] == before
    assert not published.with_name("overgang.new.duckdb").exists()
