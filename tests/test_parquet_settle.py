"""A publish killed between its last two renames (parquet -> parquet.previous, parquet.new ->
parquet) left the published warehouse without its Parquet folder until the next publish. Now the
folder is put back when the next run starts (or the next publish), and only when parquet.new is
marked as exported from the publication in place (assets/warehouse/assets.py: settle_parquet)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest

from assets.warehouse.assets import PARQUET_MARK, publish, settle_parquet
from overgang.settings import PROJECT_DIR
from schemas.dictionary import SCHEMA
from tests.cli import child_env

pytestmark = pytest.mark.integration

# Publishes once, dying (as with kill -9: no cleanup at all) at the moment parquet.new is to be
# renamed to parquet, i.e. after parquet was moved to parquet.previous.
KILLED_BETWEEN_RENAMES = textwrap.dedent(
    """
    import os, sys, pathlib
    from pathlib import Path
    import duckdb
    from assets.warehouse.assets import publish
    real = pathlib.Path.rename
    def rename(self, target):
        if self.name == "parquet.new" and Path(target).name == "parquet":
            os._exit(9)
        return real(self, target)
    pathlib.Path.rename = rename
    work, published, version = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    con = duckdb.connect(str(work))
    con.execute("UPDATE publication SET run_id = 'the-killed-publish'")
    publish(con, published, version)
    """
)


@pytest.fixture
def published_copy(sample_run, tmp_path):
    (tmp_path / "work").mkdir()
    shutil.copy(sample_run.settings.work_db, tmp_path / "work" / "overgang.duckdb")
    work, published = tmp_path / "work" / "overgang.duckdb", tmp_path / "warehouse" / "overgang.duckdb"
    with duckdb.connect(str(work)) as con:
        publish(con, published, sample_run.settings.pipeline.storage_compatibility_version)
    return work, published, sample_run.settings.pipeline.storage_compatibility_version


def _kill_between_renames(work: Path, published: Path, version: str) -> None:
    env = child_env()
    done = subprocess.run(
        [sys.executable, "-c", KILLED_BETWEEN_RENAMES, str(work), str(published), version],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 9, done.stderr


def test_the_parquet_folder_comes_back_with_the_publication_in_place(published_copy):
    work, published, version = published_copy
    folder = published.parent
    _kill_between_renames(work, published, version)
    with duckdb.connect(str(published), read_only=True) as con:
        assert con.execute("SELECT run_id FROM publication").fetchone() == ("the-killed-publish",)
    assert not (folder / "parquet").exists() and (folder / "parquet.new").is_dir()
    assert settle_parquet(published)
    assert (folder / "parquet" / PARQUET_MARK).read_text(encoding="utf-8") == "the-killed-publish"
    with duckdb.connect(str(published), read_only=True) as con:
        published_rows = con.execute(f"SELECT count(*) FROM {SCHEMA}.application_shares").fetchone()[0]
    # Its own connection: the module's default one may hold another test's unfinished result.
    with duckdb.connect() as con:
        rows = con.sql(f"SELECT count(*) FROM '{folder / 'parquet' / 'application_shares.parquet'}'").fetchall()[0][0]
    assert rows == published_rows > 0
    assert not settle_parquet(published)  # settled once; nothing more to do


def test_a_parquet_folder_of_another_publication_is_not_put_in_place(published_copy):
    # parquet/ gone, and parquet.new left by a publish killed before it replaced the warehouse:
    # its files are not the published warehouse's, so they stay where they are.
    work, published, version = published_copy
    folder = published.parent
    (folder / "parquet").rename(folder / "parquet.gone")
    shutil.copytree(folder / "parquet.gone", folder / "parquet.new")
    (folder / "parquet.new" / PARQUET_MARK).write_text("a-publish-that-never-replaced-the-file", encoding="utf-8")
    assert not settle_parquet(published)
    assert not (folder / "parquet").exists()
    (folder / "parquet.new" / PARQUET_MARK).unlink()  # and one with no mark at all
    assert not settle_parquet(published)


def test_the_next_publish_after_the_kill_is_whole(published_copy):
    work, published, version = published_copy
    _kill_between_renames(work, published, version)
    with duckdb.connect(str(work)) as con:
        con.execute("UPDATE publication SET run_id = 'the-next-publish'")
        publish(con, published, version)
    folder = published.parent
    assert (folder / "parquet" / PARQUET_MARK).read_text(encoding="utf-8") == "the-next-publish"
    # The killed publish's folder became parquet, then parquet.previous: nothing is lost.
    assert (folder / "parquet.previous" / PARQUET_MARK).read_text(encoding="utf-8") == "the-killed-publish"
