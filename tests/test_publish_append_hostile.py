"""Hostile tests of publishing by appending (assets/warehouse/append.py, publish()): each test
tries to break one promise and fails when the promise is broken."""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import duckdb
import pytest

from tests.cli import python_child
from tests.published_files import (
    NEW_YEAR,
    publish_from,
    publish_without_new_year,
    same_published,
)

pytestmark = [pytest.mark.integration, pytest.mark.hostile]

MARKER = "MARKER-hostile-append-5e1d0b77c2"
M64 = (1 << 64) - 1
K = 0xD6E8FEB86659FD93


def _murmur(x: int, k: int = K) -> int:
    """DuckDB's 64-bit mix of one value."""
    x ^= x >> 32
    x = (x * k) & M64
    x ^= x >> 32
    x = (x * k) & M64
    return x ^ (x >> 32)


def _unmurmur(h: int) -> int:
    """The value `_murmur` mixed into `h`: the xor-shifts undo themselves, so the inverse is the
    same mix with K's inverse modulo 2**64."""
    return _murmur(h, pow(K, -1, 1 << 64))


def _mix(a: int) -> int:
    a ^= a >> 32
    return (a * K) & M64


def _count_2019(published: Path, condition: str) -> int:
    """Rows of 2019's søgetal in the published file that meet `condition` (SQL)."""
    with duckdb.connect(str(published), read_only=True) as con:
        return con.execute(f"SELECT count(*) FROM application_shares WHERE year = 2019 AND {condition}").fetchone()[0]


def _run(path: Path, sql: list[str]) -> None:
    with duckdb.connect(str(path)) as con:
        for s in sql:
            con.execute(s, {"m": MARKER}) if "$m" in s else con.execute(s)


@pytest.fixture(scope="module")
def prepared(sample_run, tmp_path_factory):
    """Made once per module, copied by each test: the sample's working database (every year); it
    without its newest year, published the full way; and the working database published the full
    way (what an append of the new year must equal). Publish does not write to the working
    database (it attaches the new file and writes there), so a test whose working database is
    left as the sample's compares with this one full copy instead of publishing its own."""
    root = tmp_path_factory.mktemp("prepared")
    version = sample_run.settings.pipeline.storage_compatibility_version
    work = root / "work.duckdb"
    shutil.copy(sample_run.settings.work_db, work)
    publish_without_new_year(work, root / "warehouse" / "overgang.duckdb", version)
    full = root / "full" / "overgang.duckdb"
    assert publish_from(work, full, version)["method"] == "copied"
    return root, full


@pytest.fixture(scope="module")
def _before_states(sample_run, prepared, tmp_path_factory) -> dict:
    """The working database with a list of `before` statements run, and it (without its newest
    year) published the full way: made once per module for each list (several tests start from
    the same one), copied by each test."""
    version = sample_run.settings.pipeline.storage_compatibility_version
    root, _ = prepared
    states: dict[tuple[str, ...], Path] = {(): root}

    def state(before: list[str]) -> Path:
        if tuple(before) not in states:
            folder = tmp_path_factory.mktemp("before")
            work = folder / "work.duckdb"
            shutil.copy(root / "work.duckdb", work)
            _run(work, before)
            publish_without_new_year(work, folder / "warehouse" / "overgang.duckdb", version)
            states[tuple(before)] = folder
        return states[tuple(before)]

    return state


@pytest.fixture
def stage(sample_run, _before_states, tmp_path):
    """stage(before, after): `before` run on the working database, which (without its newest year)
    is then published the full way; `after` run on the working database (every year). Returns
    (work, published, version). The state after `before` is made once per module and copied."""
    version = sample_run.settings.pipeline.storage_compatibility_version

    def make(before: list[str], after: list[str], control: bool = False):
        state = _before_states(before)
        work = tmp_path / "work.duckdb"
        shutil.copy(state / "work.duckdb", work)
        published = tmp_path / "warehouse" / "overgang.duckdb"
        shutil.copytree(state / "warehouse", published.parent)
        if control:  # positive control: the marker is findable in the published file's bytes
            assert MARKER.encode() in published.read_bytes()
        _run(work, after)
        return work, published, version

    return make


def _full(work: Path, tmp_path: Path, version: str) -> Path:
    full = tmp_path / "full" / "overgang.duckdb"
    shutil.rmtree(full.parent, ignore_errors=True)
    assert publish_from(work, full, version)["method"] == "copied"
    return full


ROW2019 = "FROM applications WHERE year = 2019 ORDER BY pupil_id, priority LIMIT 1"

# (before, after, the marker must be gone from the published file's bytes)
SCENARIOS = {
    "old year row replaced, new year added": (
        [f"INSERT INTO applications SELECT * REPLACE ($m AS school_name) {ROW2019}"],
        ["UPDATE applications SET school_name = 'clean' WHERE school_name = $m"],
        True,
    ),
    "row moved from 2019 to 2020": (
        [f"INSERT INTO applications SELECT * REPLACE ($m AS school_name) {ROW2019}"],
        ["UPDATE applications SET year = 2020 WHERE school_name = $m"],
        False,
    ),
    "row moved from 2019 to the new year": (
        [f"INSERT INTO applications SELECT * REPLACE ($m AS school_name) {ROW2019}"],
        [f"UPDATE applications SET year = {NEW_YEAR} WHERE school_name = $m"],
        False,
    ),
    "row twice in published, once in work": (
        [f"INSERT INTO applications SELECT * REPLACE ($m AS school_name) {ROW2019}"] * 2,
        [
            "DELETE FROM applications WHERE school_name = $m",
            f"INSERT INTO applications SELECT * REPLACE ($m AS school_name) {ROW2019}",
        ],
        False,
    ),
    "row once in published, twice in work": (
        [f"INSERT INTO applications SELECT * REPLACE ($m AS school_name) {ROW2019}"],
        ["INSERT INTO applications SELECT * FROM applications WHERE school_name = $m"],
        False,
    ),
    "NULL year row removed": (
        [f"INSERT INTO applications SELECT * REPLACE ($m AS school_name, NULL AS year) {ROW2019}"],
        ["DELETE FROM applications WHERE school_name = $m"],
        True,
    ),
    "table without year, same count replaced": (
        ["UPDATE kommuner SET kommune_name = $m WHERE kommune_code = 169"],
        ["UPDATE kommuner SET kommune_name = 'clean' WHERE kommune_code = 169"],
        True,
    ),
    "float one ulp": (
        [
            "UPDATE application_shares SET share_pct = 0.1 WHERE rowid = (SELECT min(rowid) FROM application_shares "
            "WHERE year = 2019)"
        ],
        ["UPDATE application_shares SET share_pct = nextafter(0.1, 1.0) WHERE share_pct = 0.1 AND year = 2019"],
        False,
    ),
    "quarantine row replaced": (
        ["UPDATE quarantine SET message = $m"],
        ["UPDATE quarantine SET message = 'clean'"],
        True,
    ),
    "table in another schema": (
        ["CREATE SCHEMA extra", "CREATE TABLE extra.t AS SELECT 2019::SMALLINT AS year, $m AS s"],
        ["UPDATE extra.t SET s = 'clean'", f"INSERT INTO extra.t VALUES ({NEW_YEAR}, 'new')"],
        True,
    ),
    "table in another schema, no year": (
        ["CREATE SCHEMA extra", "CREATE TABLE extra.t AS SELECT 1 AS k, $m AS s"],
        ["UPDATE extra.t SET s = 'clean'"],
        True,
    ),
    "file_ledger row (file_year) replaced": (
        ["UPDATE file_ledger SET quarantined_by_rule = $m WHERE file_year = 2019"],
        ["UPDATE file_ledger SET quarantined_by_rule = 'clean' WHERE file_year = 2019"],
        True,
    ),
}


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_removed_or_replaced_rows_leave_no_trace(stage, tmp_path, name):
    before, after, gone = SCENARIOS[name]
    work, published, version = stage(before, after, control=any("$m" in s for s in before))
    meta = publish_from(work, published, version)
    if gone:
        assert MARKER.encode() not in published.read_bytes(), meta["method"]
    same_published(published, _full(work, tmp_path, version))


def test_negative_zero_in_an_old_year_is_published(stage, tmp_path):
    """hash(0.0) = hash(-0.0): a year's fingerprint does not see the sign change."""
    pick = "WHERE rowid = (SELECT min(rowid) FROM application_shares WHERE year = 2019 AND share_pct = 0)"
    # (An UPDATE to -0.0 stores 0.0 here: the row is taken out and put back with the sign.)
    work, published, version = stage(
        [],
        [
            f"CREATE TEMP TABLE picked AS SELECT * REPLACE ('-0.0'::DOUBLE AS share_pct) FROM application_shares {pick}",
            f"DELETE FROM application_shares {pick}",
            "INSERT INTO application_shares SELECT * FROM picked",
        ],
    )
    with duckdb.connect(str(work), read_only=True) as con:
        control = "SELECT count(*) FROM application_shares WHERE year = 2019 AND signbit(share_pct) AND share_pct = 0"
        assert con.execute(control).fetchone() == (1,)
    meta = publish_from(work, published, version)
    signs = _count_2019(published, "share_pct::VARCHAR = '-0.0'")
    assert signs == 1, f"published 0.0 where the working database has -0.0 (method {meta['method']})"


def test_nocase_column_in_a_table_without_year_leaks_the_old_value(stage, tmp_path):
    """EXCEPT ALL compares under the column's collation: 'MARKER' and 'marker' are one row to it."""
    work, published, version = stage(
        ["CREATE TABLE notes (k INTEGER, s VARCHAR COLLATE NOCASE)", "INSERT INTO notes VALUES (1, $m)"],
        ["UPDATE notes SET s = lower(s)"],
        control=True,
    )
    meta = publish_from(work, published, version)
    with duckdb.connect(str(published), read_only=True) as con:
        assert con.execute("SELECT s FROM notes").fetchall() == [(MARKER.lower(),)], meta["method"]
    assert MARKER.encode() not in published.read_bytes()


def test_crafted_hash_collision_keeps_a_replaced_row(stage, tmp_path):
    """sum(hash(row)) is no proof of equal rows: DuckDB's hash is an invertible 64-bit mix, so a
    row can be made with the same hash as another. The row with the marker, replaced in work by a
    clean row whose last column (source_line, BIGINT) is chosen to collide, is not seen to change."""
    work, published, version = stage(
        [f"INSERT INTO applications SELECT * REPLACE ($m AS school_name) {ROW2019}"], [], control=True
    )
    with duckdb.connect(str(work)) as con:
        cols = [
            c
            for (c,) in con.execute(
                "SELECT column_name FROM duckdb_columns() WHERE table_name = 'applications' ORDER BY column_index"
            ).fetchall()
        ]
        assert cols[-1] == "source_line"
        quoted = ", ".join(f'"{c}"' for c in cols)
        prefix = ", ".join(f'"{c}"' for c in cols[:-1])
        target = con.execute(
            f"SELECT hash({quoted}) FROM applications WHERE school_name = $m", {"m": MARKER}
        ).fetchone()[0]
        con.execute("UPDATE applications SET school_name = 'clean-row' WHERE school_name = $m", {"m": MARKER})
        head = con.execute(f"SELECT hash({prefix}) FROM applications WHERE school_name = 'clean-row'").fetchone()[0]
        x = _unmurmur(target ^ _mix(head))
        x = x - (1 << 64) if x >= 1 << 63 else x
        con.execute("UPDATE applications SET source_line = $x WHERE school_name = 'clean-row'", {"x": x})
        assert (
            con.execute(f"SELECT hash({quoted}) FROM applications WHERE school_name = 'clean-row'").fetchone()[0]
            == target
        )
    meta = publish_from(work, published, version)
    assert MARKER.encode() not in published.read_bytes(), f"the replaced row is still published ({meta['method']})"


def test_null_and_a_colliding_double_are_one_fingerprint(stage, tmp_path):
    """hash(NULL) equals hash(x) for one DOUBLE x: NULL in published, x in work, is not seen."""
    null_hash = duckdb.connect().execute("SELECT hash(NULL::DOUBLE)").fetchone()[0]
    import struct

    x = struct.unpack("<d", struct.pack("<Q", _unmurmur(null_hash)))[0]
    assert duckdb.connect().execute("SELECT hash($x::DOUBLE)", {"x": x}).fetchone()[0] == null_hash
    pick = "WHERE rowid = (SELECT min(rowid) FROM application_shares WHERE year = 2019)"
    work, published, version = stage(
        [f"UPDATE application_shares SET share_pct = NULL {pick}"],
        [f"UPDATE application_shares SET share_pct = {x!r} WHERE year = 2019 AND share_pct IS NULL"],
    )
    meta = publish_from(work, published, version)
    nulls = _count_2019(published, "share_pct IS NULL")
    assert nulls == 0, f"a NULL stayed published where work has {x!r} (method {meta['method']})"


HAND = {
    "view in main": "CREATE VIEW main.hand_view AS SELECT '" + MARKER + "' AS s",
    "macro": "CREATE MACRO hand_macro() AS '" + MARKER + "'",
    "sequence": "CREATE SEQUENCE hand_seq",
    "type": "CREATE TYPE hand_type AS ENUM ('" + MARKER + "')",
    "index": "CREATE INDEX hand_index ON kommuner (kommune_code)",
    "table comment": "COMMENT ON TABLE kommuner IS '" + MARKER + "'",
    "column comment": "COMMENT ON COLUMN kommuner.kommune_name IS '" + MARKER + "'",
    "table in another schema": "CREATE SCHEMA hand; CREATE TABLE hand.t AS SELECT '" + MARKER + "' AS s",
    "table in main": "CREATE TABLE hand_t AS SELECT '" + MARKER + "' AS s",
}


@pytest.mark.parametrize("what", list(HAND))
def test_objects_added_by_hand_to_the_published_file_do_not_stay(stage, prepared, what):
    work, published, version = stage([], [])
    with duckdb.connect(str(published)) as con:
        con.execute(HAND[what])
    meta = publish_from(work, published, version)
    same_published(published, prepared[1])
    if "'" in HAND[what]:
        assert MARKER.encode() not in published.read_bytes(), meta["method"]


def test_a_comment_changed_in_work_is_published(stage, tmp_path):
    work, published, version = stage([], ["COMMENT ON TABLE kommuner IS 'the kommuner, commented'"])
    publish_from(work, published, version)
    full = _full(work, tmp_path, version)
    with duckdb.connect(str(full), read_only=True) as con:
        assert con.execute("SELECT comment FROM duckdb_tables() WHERE table_name = 'kommuner'").fetchone() == (
            "the kommuner, commented",
        )
    same_published(published, full)


def test_a_wal_beside_the_published_file(stage, prepared):
    """The published file with an unfinished change in its WAL (a hand edit, a killed reader-writer):
    after publishing, the file analysts open must be what work publishes, not the old WAL replayed."""
    work, published, version = stage([], [])
    con = duckdb.connect(str(published))
    con.execute("PRAGMA disable_checkpoint_on_shutdown")
    con.execute("INSERT INTO kommuner SELECT * REPLACE ($m AS kommune_name) FROM kommuner LIMIT 1", {"m": MARKER})
    con.close()
    wal = Path(str(published) + ".wal")
    assert wal.exists()
    meta = publish_from(work, published, version)
    same_published(published, prepared[1])
    leftover = wal.read_bytes() if wal.exists() else b""
    assert MARKER.encode() not in published.read_bytes() + leftover, meta["method"]


def test_a_truncated_published_file_is_copied_whole(stage, prepared):
    work, published, version = stage([], [])
    data = published.read_bytes()
    published.write_bytes(data[: len(data) // 2])
    meta = publish_from(work, published, version)
    assert meta["method"] == "copied"
    same_published(published, prepared[1])


# One child process imports the publishing code once, then forks one process per moment: each
# fork is the process as it stood after the imports, killed (os._exit(9)) at its own moment while
# it publishes its own copy of the prepared folder. (A fresh interpreter per moment cost 7-10 s.)
KILL = textwrap.dedent(
    """
    import json, os, shutil, traceback
    from pathlib import Path
    import duckdb
    import assets.warehouse.assets as warehouse
    version, point = os.environ["VERSION"], None
    class Work:
        def __init__(self, con):
            self.con = con
        def execute(self, sql, *a):
            if point.startswith("sql:") and point[4:] in sql:
                os._exit(9)
            r = self.con.execute(sql, *a)
            if point.startswith("after-sql:") and point[10:] in sql:
                os._exit(9)
            return r
        def __getattr__(self, name):
            return getattr(self.con, name)
    calls = {}
    def killer(real, name):
        def f(*a, **k):
            # "replace" is the first call (previous kept), "replace#2" the second (the rename
            # that publishes), in this process.
            calls[name] = calls.get(name, 0) + 1
            if point in (name, f"{name}#{calls[name]}"):
                os._exit(9)
            return real(*a, **k)
        return f
    shutil.copyfile = killer(shutil.copyfile, "copyfile")
    os.link = killer(os.link, "link")
    os.replace = killer(os.replace, "replace")
    warehouse.export_parquet = killer(warehouse.export_parquet, "export_parquet")
    codes = {}
    for name, folder in json.loads(os.environ["MOMENTS"]).items():
        pid = os.fork()
        if pid == 0:
            point = name
            try:
                with duckdb.connect(str(Path(folder) / "work.duckdb")) as con:
                    warehouse.publish(Work(con), Path(folder) / "warehouse" / "overgang.duckdb", version)
            except BaseException:
                traceback.print_exc()
                os._exit(1)
            os._exit(0)  # published without being killed: the moment was never reached
        codes[name] = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    print(json.dumps(codes))
    """
)

POINTS = [
    "copyfile",
    "after-sql:ATTACH",
    "after-sql:INSERT INTO",
    "sql:COMMIT",
    "after-sql:COMMIT",
    "export_parquet",
    "link",
    "replace",
    "replace#2",  # the moment of publishing itself (os.replace of the new file over the published one)
]


@pytest.fixture(scope="module")
def killed(sample_run, prepared, tmp_path_factory):
    """Each moment's folder (a copy of the prepared one) after a publish killed at that moment,
    and the exit code of the process that was killed."""
    root, _ = prepared
    moments = {}
    for i, point in enumerate(POINTS):
        folder = tmp_path_factory.mktemp(f"killed{i}")
        shutil.copy(root / "work.duckdb", folder / "work.duckdb")
        shutil.copytree(root / "warehouse", folder / "warehouse")
        moments[point] = str(folder)
    version = sample_run.settings.pipeline.storage_compatibility_version
    done = python_child(KILL, timeout=600, VERSION=version, MOMENTS=json.dumps(moments))
    assert done.returncode == 0, done.stderr
    codes = json.loads(done.stdout.strip().splitlines()[-1])
    return {point: (Path(moments[point]), codes[point], done.stderr) for point in POINTS}


@pytest.mark.parametrize("point", POINTS)
def test_kill_9_while_appending(killed, prepared, sample_run, point):
    folder, code, stderr = killed[point]
    work, published = folder / "work.duckdb", folder / "warehouse" / "overgang.duckdb"
    version = sample_run.settings.pipeline.storage_compatibility_version
    assert code == 9, stderr
    assert published.read_bytes() == (prepared[0] / "warehouse" / "overgang.duckdb").read_bytes()
    if point == "replace#2":  # killed after the previous version was kept: at the rename that publishes
        assert published.with_name("overgang.previous.duckdb").exists()
    publish_from(work, published, version)
    same_published(published, prepared[1])
    assert not list(published.parent.glob("*.new.duckdb*"))


def test_rows_made_to_collide_without_the_salt_are_told_apart(stage, tmp_path):
    """The fingerprint's own row hash (append.row_hash) can be made to collide too when it is
    known in advance: a clean row whose last column is chosen to give the marker row's hash. The
    salt, new for each publish, tells them apart."""
    from assets.warehouse.append import row_hash

    work, published, version = stage(
        [f"INSERT INTO applications SELECT * REPLACE ($m AS school_name) {ROW2019}"], [], control=True
    )
    with duckdb.connect(str(work)) as con:
        columns = con.execute(
            "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = 'applications' "
            "ORDER BY column_index"
        ).fetchall()
        assert columns[-1] == ("source_line", "BIGINT")
        whole = row_hash(columns)
        head = whole.rsplit(", ", 1)[0]
        target = con.execute(f"SELECT hash({whole}) FROM applications WHERE school_name = $m", {"m": MARKER})
        target = target.fetchone()[0]
        con.execute("UPDATE applications SET school_name = 'clean-row' WHERE school_name = $m", {"m": MARKER})
        first = con.execute(f"SELECT hash({head}) FROM applications WHERE school_name = 'clean-row'").fetchone()[0]
        x = _unmurmur(target ^ _mix(first))
        x = x - (1 << 64) if x >= 1 << 63 else x
        con.execute("UPDATE applications SET source_line = $x WHERE school_name = 'clean-row'", {"x": x})
        # Without the salt the clean row is the marker row's hash: the rows would be one fingerprint.
        made = con.execute(f"SELECT hash({whole}) FROM applications WHERE school_name = 'clean-row'").fetchone()[0]
        assert made == target
    meta = publish_from(work, published, version)
    assert MARKER.encode() not in published.read_bytes(), f"the replaced row is still published ({meta['method']})"
