"""Publishing a new year by appending it to a copy of the published warehouse
(assets/warehouse/append.py), tried as a hostile tester would: the result must be the full copy's
table for table, and anything but rows added must go the full way into a fresh file, so that a
row removed from the working database leaves no trace in the bytes analysts are given."""

from __future__ import annotations

import shutil

import duckdb
import pytest

from assets.warehouse.assets import NOT_PUBLISHED
from schemas.dictionary import SCHEMA
from tests.cli import python_child
from tests.published_files import NEW_YEAR, publish_from, publish_without_new_year, same_published, tables

pytestmark = pytest.mark.integration

MARKER = "MARKER-a-pupil-who-should-not-be-here-7f3a9c"


@pytest.fixture
def homes(sample_run, tmp_path):
    """The sample's working database (every year), one without its newest year, and that one
    published, as before a new spring."""
    version = sample_run.settings.pipeline.storage_compatibility_version
    work = tmp_path / "work.duckdb"
    shutil.copy(sample_run.settings.work_db, work)
    publish_without_new_year(work, tmp_path / "warehouse" / "overgang.duckdb", version)
    return work, tmp_path / "warehouse" / "overgang.duckdb", version


def test_a_new_year_is_appended_and_equals_a_full_copy(homes, tmp_path):
    work, published, version = homes
    meta = publish_from(work, published, version)
    assert meta["method"] == "appended"
    full = tmp_path / "full" / "overgang.duckdb"
    assert publish_from(work, full, version)["method"] == "copied"
    same_published(published, full)
    assert (published.parent / "data_dictionary.md").read_text() == (full.parent / "data_dictionary.md").read_text()
    # Its own connection: the module's default one may hold another test's unfinished result.
    parquet = duckdb.connect()
    for mart in (full.parent / "parquet").glob("*.parquet"):
        a, b = str(published.parent / "parquet" / mart.name), str(mart)
        assert parquet.execute(f"FROM '{a}' EXCEPT ALL FROM '{b}'").fetchall() == []
        assert parquet.execute(f"FROM '{b}' EXCEPT ALL FROM '{a}'").fetchall() == []
    # Nothing the working database keeps to itself came along with the copy.
    with duckdb.connect(str(published), read_only=True) as con:
        assert not set(NOT_PUBLISHED) & set(tables(con))
    # The previous version is the one before the new year, for rollback.
    with duckdb.connect(str(published.with_name("overgang.previous.duckdb")), read_only=True) as con:
        assert con.execute(f"SELECT count(*) FROM applications WHERE year = {NEW_YEAR}").fetchone() == (0,)


def test_a_row_removed_from_a_published_year_leaves_no_trace_in_the_file(homes):
    work, published, version = homes
    # A row that should not have been published, in an earlier year: published, and findable.
    with duckdb.connect(str(work)) as con:
        con.execute(
            "INSERT INTO applications SELECT * REPLACE ($m AS school_name) FROM applications WHERE year = 2019 LIMIT 1",
            {"m": MARKER},
        )
    assert publish_from(work, published, version)["method"] == "copied"  # 2019 changed: not an append
    assert MARKER.encode() in published.read_bytes()
    # The new year alone appends; then the row is taken out of the working database.
    with duckdb.connect(str(work)) as con:
        con.execute("DELETE FROM applications WHERE school_name = $m", {"m": MARKER})
    assert publish_from(work, published, version)["method"] == "copied"
    assert MARKER.encode() not in published.read_bytes()
    with duckdb.connect(str(published), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM applications WHERE school_name = $m", {"m": MARKER}).fetchone() == (0,)


def test_a_published_file_changed_by_hand_is_copied_whole(homes, tmp_path):
    work, published, version = homes
    with duckdb.connect(str(published)) as con:
        con.execute(
            "INSERT INTO applications SELECT * REPLACE ('added by hand' AS school_name) FROM applications LIMIT 1"
        )
    assert publish_from(work, published, version)["method"] == "copied"
    full = tmp_path / "full" / "overgang.duckdb"
    publish_from(work, full, version)
    same_published(published, full)


@pytest.mark.parametrize(
    "change",
    [
        "a table the working database has and the published file has not",
        "a column of another type",
        "a year without a year",
        "a row of a small table changed",
    ],
)
def test_anything_but_added_rows_is_copied_whole(homes, tmp_path, change):
    work, published, version = homes
    with duckdb.connect(str(work)) as con:
        if change.startswith("a table"):
            con.execute("CREATE TABLE new_mart AS SELECT 1 AS x")
        elif change.startswith("a column"):
            con.execute("ALTER TABLE goals ALTER COLUMN deadline_year TYPE INTEGER")
        elif change.startswith("a year without"):
            con.execute(
                "INSERT INTO application_shares SELECT * REPLACE (NULL AS year) FROM application_shares LIMIT 1"
            )
        else:
            con.execute("UPDATE kommuner SET kommune_name = kommune_name || ' (changed)' WHERE kommune_code = 169")
    assert publish_from(work, published, version)["method"] == "copied"
    full = tmp_path / "full" / "overgang.duckdb"
    publish_from(work, full, version)
    same_published(published, full)


def test_another_storage_version_is_copied_whole(homes):
    work, published, version = homes
    other = "v1.2.0" if version != "v1.2.0" else "v1.1.0"
    assert publish_from(work, published, other)["method"] == "copied"
    with duckdb.connect() as con:
        con.execute(f"ATTACH '{published}' AS p (READ_ONLY)")
        tag = con.execute("SELECT tags['storage_version'] FROM duckdb_databases() WHERE database_name = 'p'")
        assert tag.fetchone() == (f"{other}+",)


def test_a_view_the_code_no_longer_makes_does_not_stay(homes):
    work, published, version = homes
    with duckdb.connect(str(published)) as con:
        con.execute(f"CREATE VIEW {SCHEMA}.an_old_view AS SELECT 1 AS x")
    assert publish_from(work, published, version)["method"] == "appended"
    with duckdb.connect(str(published), read_only=True) as con:
        views = {v for (v,) in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}
    assert "an_old_view" not in views and "application_shares" in views


KILLED_AFTER_APPEND = """
    import os
    from pathlib import Path
    import duckdb
    import assets.warehouse.assets as warehouse
    def die(con):
        os._exit(9)  # as kill -9: the copy is appended to, the published file not yet replaced
    warehouse.create_views = die
    with duckdb.connect(os.environ["WORK"]) as con:
        warehouse.publish(con, Path(os.environ["PUBLISHED"]), os.environ["VERSION"])
"""


def test_killed_while_appending_the_published_file_is_untouched(homes):
    work, published, version = homes
    before = published.read_bytes()
    done = python_child(KILLED_AFTER_APPEND, timeout=300, WORK=str(work), PUBLISHED=str(published), VERSION=version)
    assert done.returncode == 9, done.stderr
    assert published.read_bytes() == before
    assert published.with_name("overgang.new.duckdb").exists()  # left by the killed publish
    assert publish_from(work, published, version)["method"] == "appended"
    assert not published.with_name("overgang.new.duckdb").exists()
    with duckdb.connect(str(published), read_only=True) as con:
        assert con.execute(f"SELECT count(*) > 0 FROM applications WHERE year = {NEW_YEAR}").fetchone() == (True,)
