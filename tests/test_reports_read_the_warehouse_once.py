"""Many reports of one warehouse in one process (a test session, a script writing every kommune's
report) read what is the same for every kommune once, not once a report (reports/memo.py); a
warehouse edited or published again since is read again."""

from __future__ import annotations

import os
import shutil

import duckdb

from overgang.settings import Settings
from reports.data import load_report_data
from reports.sql import read_sql

ROWS_DIGEST = str(read_sql("withheld_rows"))  # every year's rows hashed: the costliest warehouse-wide read


class Counting:
    """A connection that counts the statements run on it."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con, self.run = con, []

    def execute(self, sql, *args):
        self.run.append(str(sql))
        return self.con.execute(sql, *args)

    def __getattr__(self, name):
        return getattr(self.con, name)


def test_a_second_report_does_not_hash_every_years_rows_again(sample_run):
    settings = sample_run.settings
    counted = []
    for k in (169, 101, 259):
        # A connection of its own for each report, as render_report opens one.
        with duckdb.connect(str(settings.warehouse), read_only=True) as con:
            counting = Counting(con)
            load_report_data(counting, k, 2022, settings)  # type: ignore[arg-type]
            counted.append(counting.run.count(ROWS_DIGEST))
    # At most the first report of this process reads them (an earlier test may have already).
    assert counted[1:] == [0, 0], counted


def _read(warehouse, calls: list) -> int:
    from reports.memo import per_warehouse

    with duckdb.connect(str(warehouse), read_only=True) as con:
        return per_warehouse(
            con,
            "test.kommuner",
            lambda: calls.append(1) or con.execute("SELECT count(*) FROM kommuner").fetchone()[0],
        )


def test_an_edited_or_published_again_warehouse_is_read_again(sample_home):
    warehouse = Settings.load().warehouse
    calls: list = []
    assert _read(warehouse, calls) == _read(warehouse, calls) == 98 and len(calls) == 1
    # Edited through a writable connection: read again, the edit seen.
    with duckdb.connect(str(warehouse)) as con:
        con.execute("DELETE FROM kommuner WHERE kommune_code = 851")
    assert _read(warehouse, calls) == 97 and len(calls) == 2
    # Replaced by another file, as a publish does (os.replace): read again.
    shutil.copyfile(warehouse, warehouse.with_suffix(".next"))
    os.replace(warehouse.with_suffix(".next"), warehouse)
    assert _read(warehouse, calls) == 97 and len(calls) == 3
