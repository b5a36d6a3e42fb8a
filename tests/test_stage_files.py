"""Staging a run's extracts a row group at a time (ingest.stage_files) gives exactly what staging
them one by one gave (ingest.stage_file), also when a file needs the full pre-pass halfway, and
on a refused file leaves nothing of the open transaction staged."""

from __future__ import annotations

import duckdb
import pytest

from intake.applications import ingest
from intake.applications.ingest import ROW_GROUP_ROWS, FileRejected, stage_file, stage_files
from intake.sql import ensure_work_schema
from tests.extracts import row, write_extract

KEY = b"k" * 32


def _files(tmp_path):
    rows = [row(CPR=f"{d:02d}0108-{d:04d}", Prioritet=str(d % 3 + 1)) for d in range(1, 25)]
    return [
        (2023, write_extract(tmp_path / "in" / "optagelse_2023.csv", rows, encoding="cp1252")),
        # UTF-8 with a blank line and a line of too many fields: the quick pre-pass cannot tell,
        # so the file is read a second time (its first rows removed from the open transaction).
        (
            2024,
            write_extract(
                tmp_path / "in" / "optagelse_2024.csv",
                rows[:20] + [row(CPR="020208-4321", Uddannelse="hhx")],
                raw_lines={4: "", 9: "1;2;3;4;5;6;7;8;9;10;11;12;13;14;15;16;17;18;19;20"},
            ),
        ),
        # A CPR number in the school's name: withheld, as one by one.
        (2025, write_extract(tmp_path / "in" / "optagelse_2025.csv", [*rows, row(**{"Skolens navn": "0101081234"})])),
        # Windows-1252 with an en dash (not Latin-1): read from a UTF-8 copy in memory.
        (
            2021,
            write_extract(
                tmp_path / "in" / "optagelse_2021.csv", [*rows, row(**{"Skolens navn": "Syd – Skolen"})], "cp1252"
            ),
        ),
    ]


TABLES = {
    "staging_applications": "SELECT * FROM staging_applications ORDER BY row_id",
    "quarantine": "SELECT * EXCLUDE (quarantined_at) FROM quarantine ORDER BY ALL",
    "ingested_files": "SELECT * EXCLUDE (loaded_at) FROM ingested_files ORDER BY ALL",
    "file_ledger": "SELECT * FROM file_ledger ORDER BY ALL",
}


def _tables(con) -> dict[str, list[tuple]]:
    return {name: con.execute(sql).fetchall() for name, sql in TABLES.items()}


@pytest.mark.parametrize("row_group", [ROW_GROUP_ROWS, 30])
def test_stages_what_one_file_at_a_time_staged(tmp_path, monkeypatch, row_group):
    # 30 rows: a commit after the second file (24 + 21 rows), the rest in a second transaction.
    monkeypatch.setattr(ingest, "ROW_GROUP_ROWS", row_group)
    files = _files(tmp_path)
    one_by_one = duckdb.connect(str(tmp_path / "one.duckdb"))
    ensure_work_schema(one_by_one)
    expected = [stage_file(one_by_one, path, year, KEY, False, "run") for year, path in files]
    together = duckdb.connect(str(tmp_path / "all.duckdb"))
    ensure_work_schema(together)
    seen = []
    staged = stage_files(together, files, KEY, False, "run", lambda i, s: seen.append((i, s.name)))
    assert staged == expected
    assert [name for _, name in seen] == [path.name for _, path in files]
    assert [s.encoding for s in staged] == ["cp1252", "utf-8", "utf-8", "cp1252"]
    assert expected[1].blank_lines == 1 and expected[1].rejected_lines == 1
    got, want = _tables(together), _tables(one_by_one)
    assert want["staging_applications"] and want["quarantine"]
    assert got == want
    assert together.execute(
        "SELECT count(*) FROM staging_applications WHERE school_name = 'Syd – Skolen'"
    ).fetchone() == (1,)
    # A second batch numbers its rows after the first's, as a second file would be.
    more = [(2022, write_extract(tmp_path / "in" / "optagelse_2022.csv", [row()]))]
    stage_files(together, more, KEY, False, "run")
    stage_file(one_by_one, more[0][1], 2022, KEY, False, "run")
    assert _tables(together) == _tables(one_by_one)


def test_a_refused_file_leaves_nothing_staged(tmp_path):
    files = _files(tmp_path)
    bad = tmp_path / "in" / "optagelse_2026.csv"
    bad.write_text("CPR,Uddannelse\n010108-1234,stx\n", encoding="utf-8")
    con = duckdb.connect(str(tmp_path / "work.duckdb"))
    ensure_work_schema(con)
    with pytest.raises(FileRejected, match="optagelse_2026.csv"):
        stage_files(con, [*files, (2026, bad)], KEY, False, "run")
    assert all(rows == [] for rows in _tables(con).values())
    # The connection is usable again, outside any transaction.
    stage_files(con, files[:1], KEY, False, "run")
    assert con.execute("SELECT count(*) FROM staging_applications").fetchone()[0] == 24


class _InterruptedAfterCommit:
    """The real connection, with Ctrl-C arriving the moment a COMMIT has returned: between the
    commit of one row group and the BEGIN of the next, when no transaction is open."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con

    def __getattr__(self, name):
        return getattr(self.con, name)

    def execute(self, sql, *args):
        result = self.con.execute(sql, *args)
        if sql == "COMMIT":
            raise KeyboardInterrupt
        return result


def test_an_interrupt_between_two_row_groups_reaches_the_caller_as_an_interrupt(tmp_path, monkeypatch):
    # Found by the suite: the ROLLBACK of the error path failed ("no transaction is active") and its
    # error replaced the interrupt, so a Ctrl-C'd run said a file had failed and exited 1, not 130.
    monkeypatch.setattr(ingest, "ROW_GROUP_ROWS", 30)
    files = _files(tmp_path)
    con = duckdb.connect(str(tmp_path / "work.duckdb"))
    ensure_work_schema(con)
    with pytest.raises(KeyboardInterrupt):
        stage_files(_InterruptedAfterCommit(con), files, KEY, False, "run")
    # What was committed before the interrupt stays (the first two files, whole); the connection is usable.
    assert con.execute("SELECT count(DISTINCT source_file) FROM ingested_files").fetchone() == (2,)
    stage_files(con, files[2:], KEY, False, "run")
    assert con.execute("SELECT count(*) FROM ingested_files").fetchone() == (4,)
