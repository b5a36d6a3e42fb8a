"""Hostile test: publishing in one transaction (assets/warehouse/assets.py publish) when the
disk fills mid-copy. The disk is "full" for the publishing process only: a file-size limit
(RLIMIT_FSIZE, SIGXFSZ ignored) makes every write past it fail with EFBIG, as ENOSPC would.

Promise: the published warehouse stays the previous one, whole; the run's connection is usable
(its transaction rolled back, the new file detached); once there is room a publish works."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest
import yaml
from dagster import instance_for_test

from assets.warehouse.assets import sane
from overgang.settings import PROJECT_DIR, Settings
from pipelines.run import execute_main_job, failure_messages
from tests.cli import child_env
from tests.conftest import TEST_KEY
from tests.corpus import TWO_ROWS
from tests.extracts import write_extract

pytestmark = pytest.mark.integration

# One child imports publish (with Dagster: about 2 s of CPU) once, for the whole module; for each
# line "WORK PUBLISHED VERSION LIMIT" read from its standard input it forks a process of its own,
# in which the disk fills (the file-size limit is that process's alone), waits for it, and says
# "done". What the forked process prints (its "failed:", "usable:", "published after") precedes it.
FULL = textwrap.dedent(
    """
    import os, resource, signal, sys
    from pathlib import Path
    import duckdb
    from assets.warehouse.assets import publish

    def fill_the_disk(work, published, version, limit):
        con = duckdb.connect(str(work))
        con.execute("UPDATE publication SET run_id = 'disk-full'")
        con.execute("CHECKPOINT")
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        hard = resource.getrlimit(resource.RLIMIT_FSIZE)[1]
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
        try:
            publish(con, published, version)
            print("published", flush=True)
        except Exception as err:
            print("failed:", type(err).__name__, str(err)[:200], flush=True)
        resource.setrlimit(resource.RLIMIT_FSIZE, (hard, hard))  # room again
        print("usable:", con.execute("SELECT count(*) FROM publication").fetchone()[0], flush=True)
        con.execute("UPDATE publication SET run_id = 'after-the-full-disk'")
        publish(con, published, version)
        print("published after", flush=True)

    for line in sys.stdin:
        work, published, version, limit = line.split()
        pid = os.fork()
        if pid == 0:
            status = 1
            try:
                fill_the_disk(Path(work), Path(published), version, int(limit))
                status = 0
            finally:
                sys.stdout.flush()
                os._exit(status)
        _, status = os.waitpid(pid, 0)
        print("done", os.waitstatus_to_exitcode(status), flush=True)
    """
)


@pytest.fixture(scope="module")
def disk_filler():
    """The child that forks a publisher per full disk (FULL); its lines for each request."""
    child = subprocess.Popen(
        [sys.executable, "-c", FULL],
        cwd=PROJECT_DIR,
        env=child_env(),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )

    def fill(*args: str) -> tuple[str, int]:
        child.stdin.write(" ".join(args) + "\n")
        child.stdin.flush()
        said = []
        while (line := child.stdout.readline()) and not line.startswith("done "):
            said.append(line)
        assert line, f"the child ended: {child.stderr.read()[-3000:]}"
        return "".join(said), int(line.split()[1])

    yield fill
    child.stdin.close()
    child.wait(timeout=60)


@pytest.fixture(scope="module")
def published_once(tmp_path_factory) -> Path:
    """A home in which one year (two rows) was run and published, once for the module."""
    root = tmp_path_factory.mktemp("published_once")
    settings = Settings(
        home=root / "home", input_dir=root / "input", pipeline=Settings.load().pipeline, inbox=root / "inbox"
    )
    write_extract(settings.input_dir / "optagelse_2024.csv", TWO_ROWS)
    (settings.home / "dagster").mkdir(parents=True)
    storage = yaml.safe_load((PROJECT_DIR / "dagster.yaml").read_text())["storage"]
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("OVERGANG_CPR_KEY", TEST_KEY)
        with instance_for_test(temp_dir=str(settings.home / "dagster"), overrides={"storage": storage}) as instance:
            result = execute_main_job(settings, instance, years=(2024, 2024))
    assert result.success, failure_messages(result, settings)
    return settings.home


@pytest.fixture
def published_home(published_once, tmp_path):
    """The module's published home, copied: each full disk starts from the same publication."""
    shutil.copytree(published_once, tmp_path / "home", symlinks=True)
    return Settings(
        home=tmp_path / "home",
        input_dir=tmp_path / "input",
        pipeline=Settings.load().pipeline,
        inbox=tmp_path / "inbox",
    )


@pytest.mark.parametrize("share", [0.001, 0.02, 0.1, 0.5, 0.9])
def test_a_disk_that_fills_mid_publish_leaves_the_published_warehouse_whole(published_home, disk_filler, share):
    settings = published_home
    published = settings.warehouse
    with duckdb.connect(str(published), read_only=True) as con:
        before = con.execute("SELECT run_id FROM publication").fetchone()[0]
    limit = int(published.stat().st_size * share)
    said, status = disk_filler(
        str(settings.work_db), str(published), settings.pipeline.storage_compatibility_version, str(limit)
    )
    assert status == 0, said
    assert "failed:" in said, said
    assert "usable: 1" in said, said
    assert "published after" in said, said
    assert sane(published) is None
    with duckdb.connect(str(published), read_only=True) as con:
        assert con.execute("SELECT run_id FROM publication").fetchone()[0] == "after-the-full-disk"
    with duckdb.connect(str(published.with_name("overgang.previous.duckdb")), read_only=True) as con:
        assert con.execute("SELECT run_id FROM publication").fetchone()[0] == before
    assert not published.with_name("overgang.new.duckdb").exists()
