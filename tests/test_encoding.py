"""Encoding detection and line mapping of hand-made exports."""

from __future__ import annotations

import duckdb
import pytest

from overgang.encoding import UnreadableFile, duckdb_readable, inspect


def _read_by_duckdb(text) -> str:
    """The file's first column as DuckDB reads it through duckdb_readable."""
    con = duckdb.connect()
    with duckdb_readable(text, con) as (path, encoding):
        rows = con.execute(
            "SELECT * FROM read_csv($p, delim='|', header=false, auto_detect=false, "
            "columns={'a': 'VARCHAR'}, encoding=$e)",
            {"p": path, "e": encoding},
        ).fetchall()
    return "\n".join(r[0] for r in rows)


@pytest.mark.parametrize(
    "encoding, data, expected",
    [
        ("utf-8", "Bopælskommunenr;Ø\n1;2\n".encode(), "utf-8"),
        ("utf-8-sig", "\ufeffBopælskommunenr;Ø\n1;2\n".encode("utf-8"), "utf-8-sig"),
        ("cp1252", "Bopælskommunenr;Ø\n1;2\n".encode("cp1252"), "cp1252"),
        ("ascii", b"a;b\n1;2", "utf-8"),
    ],
)
def test_detects_encoding(tmp_path, encoding, data, expected):
    path = tmp_path / "f.csv"
    path.write_bytes(data)
    text = inspect(path)
    assert text.encoding == expected
    # one column ("|" never occurs): "a;b" is one field
    assert _read_by_duckdb(text).lstrip("\ufeff").startswith("Bopæl" if encoding != "ascii" else "a;b")


def test_counts_lines_and_blank_lines(tmp_path):
    path = tmp_path / "f.csv"
    path.write_bytes(b"a;b\r\n1;2\r\n\r\n3;4\n\n\n5;6")
    text = inspect(path)
    assert text.lines == 7
    assert text.blank_lines == [3, 5, 6]


def test_blank_line_across_chunk_boundary(tmp_path, monkeypatch):
    import overgang.encoding as enc

    monkeypatch.setattr(enc, "CHUNK", 4)
    path = tmp_path / "f.csv"
    path.write_bytes(b"a;b\n1;2\n\n3;4\n")  # the blank line's two newlines fall in different chunks
    assert inspect(path).blank_lines == [3]


def test_empty_and_undecodable_files(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(UnreadableFile, match="empty.csv: the file is empty"):
        inspect(empty)
    binary = tmp_path / "bin.csv"
    binary.write_bytes(b"a;b\n\x81\x8d\x90;\xff\xfe\n")  # undefined in Windows-1252, invalid UTF-8
    with pytest.raises(UnreadableFile, match="neither UTF-8 nor Windows-1252"):
        inspect(binary)


def test_windows_1252_read_as_latin1_only_where_they_agree(tmp_path):
    plain = tmp_path / "plain.csv"
    plain.write_bytes("Skolens navn\nSkovlyskolen Ærø\n".encode("cp1252"))
    euro = tmp_path / "euro.csv"
    euro.write_bytes("Skolens navn\nSkole – €\n".encode("cp1252"))  # dash and euro differ from Latin-1
    assert inspect(plain).latin1_compatible and not inspect(euro).latin1_compatible
    con = duckdb.connect()
    with duckdb_readable(inspect(plain), con) as readable:
        assert readable == (str(plain), "latin-1")
    with duckdb_readable(inspect(euro), con) as (path, encoding):
        assert encoding == "utf-8" and path.startswith("memory://")
    assert _read_by_duckdb(inspect(euro)) == "Skolens navn\nSkole – €"


def test_windows_1252_copy_is_never_on_disk(tmp_path, monkeypatch):
    # The copy of an extract (CPR numbers, names) lives in memory only: nothing is written to the
    # system temp folder or beside the file while it is read, and nothing is left after.
    import tempfile

    tmp = tmp_path / "systemtmp"
    tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    monkeypatch.setenv("TMPDIR", str(tmp))
    euro = tmp_path / "euro.csv"
    euro.write_bytes("Skolens navn\n010203-1234 Skole – €\n".encode("cp1252"))
    con = duckdb.connect()
    with duckdb_readable(inspect(euro), con) as (path, _):
        assert list(tmp.iterdir()) == [] and sorted(p.name for p in tmp_path.iterdir()) == ["euro.csv", "systemtmp"]
    from fsspec.implementations.memory import MemoryFileSystem

    assert not MemoryFileSystem().exists(path.removeprefix("memory://"))


# quick_inspect judges the encoding from the first 4 MB only; DuckDB then decodes the rest and
# the staged rows are counted against the lines. These files hide what matters past 4 MB.
def _big_extract(path, late_line: bytes, early_text: str = "Nordskolen", blank_at: int | None = None):
    from overgang.generator import HEADER
    from tests.extracts import row

    rows = [
        row(
            CPR=f"{(i % 28) + 1:02d}0108-{i % 10000:04d}",
            Prioritet=str(i // 10000 + 1),
            Adresse="Vej 1",
            **{"Skolens navn": early_text},
        )
        for i in range(40_000)
    ]
    lines = [";".join(HEADER).encode("utf-8")] + [";".join(r[c] for c in HEADER).encode("utf-8") for r in rows]
    assert sum(len(line) + 2 for line in lines) > (1 << 22)
    lines.append(late_line)
    if blank_at:
        lines.insert(blank_at - 1, b"")
    path.write_bytes(b"\r\n".join(lines) + b"\r\n")
    return path, len(lines)


def _late_row(encoding: str) -> bytes:
    from overgang.generator import HEADER
    from tests.extracts import row

    return ";".join(row(CPR="020208-4321")[c] for c in HEADER).encode(encoding)


def _stage(tmp_path, path):
    import duckdb

    from intake.applications.ingest import stage_file
    from intake.sql import ensure_work_schema

    con = duckdb.connect(str(tmp_path / "work.duckdb"))
    ensure_work_schema(con)
    return con, stage_file(con, path, 2024, b"test-key", False, "run")


def test_mixed_encodings_past_the_first_4_mb_are_refused_with_both_lines(tmp_path):
    # The header's own letters (Bopælskommunenr) are UTF-8; the last line is Windows-1252.
    path, lines = _big_extract(tmp_path / "optagelse_2024.csv", _late_row("cp1252"))
    with pytest.raises(UnreadableFile, match=f"mixed encodings: line 1 is UTF-8 but line {lines} is not"):
        _stage(tmp_path, path)


def test_utf8_file_with_a_blank_line_keeps_its_line_numbers(tmp_path):
    # A blank line 3 moves every later row one line down; the quick pre-pass does not look for it.
    path, lines = _big_extract(tmp_path / "optagelse_2024.csv", _late_row("utf-8"), blank_at=3)
    con, staged = _stage(tmp_path, path)
    assert (staged.encoding, staged.data_rows, staged.rejected_lines) == ("utf-8", 40_001, 0)
    # The late row's letters came through, on the line it is on.
    assert con.execute(
        "SELECT school_name FROM staging_applications WHERE source_line = $n", {"n": lines}
    ).fetchall() == [("Høje-Taastrup Nordskole",)]
    assert con.execute("SELECT max(source_line), count(DISTINCT source_line) FROM staging_applications").fetchone() == (
        lines,
        40_001,
    )
