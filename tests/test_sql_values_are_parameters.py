"""Hostile tests of this round's one SQL style (schemas/sqltext.py): values are $parameters,
structure goes through ``fill``/``ident``. Promise: no value ever becomes SQL text."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from assets.warehouse import publication
from overgang.pipeline_settings import SmallCell
from schemas.reference import GROUPS_FILE
from schemas.sqltext import SQL, fill, ident, idents, literal

ODD_NAMES = [
    'a"b',
    'x"; DROP TABLE t; --',
    "it's",
    "${other}",
    "$year",
    "æøå Å",
    "tab\there",
    "new\nline",
    "back\\slash",
    "nul\x00; DROP TABLE t",
    "",
]


@pytest.mark.parametrize("name", ODD_NAMES)
def test_ident_round_trips_any_column_name_in_duckdb(name):
    """Attack: a column name (e.g. from a source's column_map or a file's header) holding quotes,
    a statement, a slot or a parameter. Promise: ident() makes it one identifier, nothing more.
    Found nothing (the empty name is refused by DuckDB itself, not run as SQL)."""
    with duckdb.connect() as con:
        con.execute("CREATE TABLE t (k INTEGER)")
        if name == "":
            with pytest.raises(duckdb.Error):
                con.execute(fill("ALTER TABLE t ADD COLUMN ${c} INTEGER", c=ident(name)))
            return
        con.execute(fill("ALTER TABLE t ADD COLUMN ${c} INTEGER", c=ident(name)))
        con.execute(fill("INSERT INTO t (k, ${c}) VALUES ($k, $v)", c=ident(name)), {"k": 1, "v": 7})
        assert con.execute(fill("SELECT ${c} FROM t", c=ident(name))).fetchall() == [(7,)]
        assert [r[0] for r in con.execute("DESCRIBE t").fetchall()] == ["k", name]
        assert con.execute("SELECT count(*) FROM t").fetchone() == (1,)


def test_a_filled_identifier_is_not_filled_again():
    """Attack: a column called ``${where}`` put into one template, the result put into a second
    template's slot (fill's own result is structure). Promise: the name stays a name. Found
    nothing: fill substitutes in one pass, and every template in the code base is its own text
    (an SQL file or a literal), never a filled result."""
    inner = fill("SELECT ${c} FROM t", c=ident("${where}"))
    assert inner == 'SELECT "${where}" FROM t'
    outer = fill("${q} WHERE ${cond}", q=inner, cond=SQL("true"))
    assert outer == 'SELECT "${where}" FROM t WHERE true'


def test_fill_refuses_values_even_subclasses_of_str():
    """Attack: a value that is a str subclass other than SQL (e.g. numpy.str_, a pathlib name).
    Promise: fill refuses plain values. Found nothing."""
    import numpy as np

    for value in ("x", np.str_("x"), 1, b"x"):
        with pytest.raises(TypeError):
            fill("SELECT ${c}", c=value)


def test_literal_keeps_a_quote_inside_the_comment():
    """Attack: a description with quotes in ``COMMENT ON ... IS`` (the one place a literal is
    written). Promise: the text is stored as it is. Found nothing."""
    text = "it's \"quoted\"; DROP TABLE t; -- \\ ' '' end"
    with duckdb.connect() as con:
        con.execute("CREATE TABLE t (k INTEGER)")
        con.execute(fill("COMMENT ON TABLE t IS ${c}", c=literal(text)))
        assert con.execute("SELECT comment FROM duckdb_tables() WHERE table_name = 't'").fetchone() == (text,)
        assert con.execute("SELECT count(*) FROM t").fetchone() == (0,)
    assert idents(["a", 'b"']) == '"a", "b"""'


def test_publication_set_in_a_folder_whose_name_holds_a_quote(tmp_path, monkeypatch):
    """Attack: OVERGANG_HOME (and so the publication set's folder) named with an apostrophe, e.g.
    /home/d'angelo/overgang. Promise: no value becomes SQL text; a file name is a value.
    Broke: write_publication_set wrote ATTACH '<path>' and COPY ... TO '<path>' as f-strings, so
    the path ended the SQL string (a syntax error: the publication set could not be written; a
    crafted folder name is SQL). Fixed: the paths are $parameters (assets/warehouse/publication.py)."""
    warehouse = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        # Every warehouse has its education groups: the publication set's views are named by them.
        con.execute("CREATE TABLE education_groups AS FROM read_csv($p)", {"p": str(GROUPS_FILE)})
    empty = pd.DataFrame(
        {
            "kommune_code": pd.Series([], dtype="int64"),
            "kommune_name": pd.Series([], dtype="object"),
            "year": pd.Series([], dtype="int64"),
            "part": pd.Series([], dtype="object"),
            "row_key": pd.Series([], dtype="object"),
            "row_name": pd.Series([], dtype="object"),
            "education_group": pd.Series([], dtype="object"),
            "applicants": pd.Series([], dtype="Int64"),
            "share_pct": pd.Series([], dtype="Float64"),
            "mark": pd.Series([], dtype="object"),
        }
    )
    monkeypatch.setattr(publication, "publication_rows", lambda con, small, scheme=None, store=None: empty)
    folder = tmp_path / "d'angelo'); COPY (SELECT 1) TO 'x.csv" / "publication"
    folder.parent.mkdir(parents=True)
    written = publication.write_publication_set(warehouse, folder, SmallCell(min_count=5, min_denominator=20), "v1.0.0")
    assert written["cells"] == 0
    with duckdb.connect(str(folder / "overgang_publication.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM cells").fetchone() == (0,)
    assert {p.name for p in (folder / "parquet").iterdir()} == {f"{name}.parquet" for name in publication.VIEWS}
    assert not (tmp_path / "x.csv").exists() and not list(tmp_path.rglob("x.csv"))
