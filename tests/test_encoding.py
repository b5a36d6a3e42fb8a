"""Encoding detection and line mapping of hand-made exports."""

from __future__ import annotations

import pytest

from overgang.encoding import UnreadableFile, inspect, utf8_copy


@pytest.mark.parametrize("encoding, data, expected", [
    ("utf-8", "Bopælskommunenr;Ø\n1;2\n".encode("utf-8"), "utf-8"),
    ("utf-8-sig", "\ufeffBopælskommunenr;Ø\n1;2\n".encode("utf-8"), "utf-8-sig"),
    ("cp1252", "Bopælskommunenr;Ø\n1;2\n".encode("cp1252"), "cp1252"),
    ("ascii", b"a;b\n1;2", "utf-8"),
])
def test_detects_encoding(tmp_path, encoding, data, expected):
    path = tmp_path / "f.csv"
    path.write_bytes(data)
    text = inspect(path)
    assert text.encoding == expected
    copy = utf8_copy(text, tmp_path)
    assert copy.read_text(encoding="utf-8").lstrip("\ufeff").startswith("Bopæl" if encoding != "ascii" else "a;b")


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
    from overgang.encoding import duckdb_readable
    assert duckdb_readable(inspect(plain)) == (plain, "latin-1")
    copy, encoding = duckdb_readable(inspect(euro), tmp_path)
    assert encoding == "utf-8" and copy.read_text(encoding="utf-8") == "Skolens navn\nSkole – €\n"
