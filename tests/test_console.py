"""`overgang query` and `overgang shell` say which file they opened: the internal warehouse
(pupil-level, not for publication) or the publication set (protected figures)."""

from __future__ import annotations

import duckdb

from tests.cli import overgang


def test_query_says_whether_it_opened_the_internal_warehouse_or_the_publication_set(tmp_path):
    home = tmp_path / "home"
    for folder, name, table in (
        ("warehouse", "overgang.duckdb", "internal_only"),
        ("publication", "overgang_publication.duckdb", "soegetal"),
    ):
        (home / folder).mkdir(parents=True)
        with duckdb.connect(str(home / folder / name)) as con:
            con.execute(f"CREATE TABLE {table} AS SELECT 1 AS n")

    def query(*args):
        return overgang(tmp_path, "query", *args)

    internal = query("SELECT n FROM internal_only", "--csv")
    assert (
        internal.returncode == 0
        and "INTERNAL warehouse" in internal.stderr
        and "not for publication" in internal.stderr
    )
    published = query("SELECT n FROM soegetal", "--csv", "--publication")
    assert published.returncode == 0 and "publication set" in published.stderr and published.stdout == "n\n1\n"
    # The publication set holds no internal table.
    assert query("SELECT n FROM internal_only", "--publication").returncode == 1
