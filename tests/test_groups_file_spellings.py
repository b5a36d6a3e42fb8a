"""Hostile tests of this round's education groups file (data/config/education_groups.csv, read by
schemas/reference.py: read_groups). Promise: the groups come from the file; an odd file is
either read as meant or refused with a message naming the file."""

from __future__ import annotations

import pytest

from schemas.reference import GROUPS_FILE, read_groups


def test_a_groups_file_saved_with_a_byte_order_mark_is_read_the_same(tmp_path):
    """Attack: the file saved by Excel or Notepad as "UTF-8" (with a byte order mark before
    "group"). Broke: the first column was read as "\\ufeffgroup", so read_groups refused the file
    as missing its group column (every import of schemas failed, the whole pipeline with it).
    Fixed: read as utf-8-sig (schemas/reference.py)."""
    path = tmp_path / "education_groups.csv"
    path.write_bytes(b"\xef\xbb\xbf" + GROUPS_FILE.read_bytes())
    assert read_groups(path) == read_groups(GROUPS_FILE)


def test_a_groups_file_with_windows_line_ends_is_read_the_same(tmp_path):
    """Attack: CRLF line ends (the file edited on Windows). Found nothing: pins it."""
    path = tmp_path / "education_groups.csv"
    path.write_bytes(GROUPS_FILE.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
    assert read_groups(path) == read_groups(GROUPS_FILE)


@pytest.mark.parametrize(
    "edit",
    [
        lambda t: t.replace(",1\n", ",first\n", 1),  # a sort order that is not a number
        lambda t: t.replace(",1\n", ",\n", 1),  # no sort order
        lambda t: t + "EUD,Igen,EUD,EUD,true,9\n",  # a group twice
        lambda t: t.replace(",true,", ",TRUE,", 1),  # Excel's TRUE
        lambda t: t.replace(",", ";"),  # Danish Excel's semicolons
        lambda t: t.splitlines()[0] + "\n",  # a header and no groups
        lambda t: "",  # empty
    ],
    ids=["sort-order-text", "sort-order-empty", "group-twice", "excel-TRUE", "semicolons", "no-rows", "empty"],
)
def test_an_odd_groups_file_is_refused_naming_the_file(tmp_path, edit):
    """Attack: odd content in the groups file. Promise: refused with a ValueError that names the
    file (not a bare 'invalid literal for int()' from deep in the import). Broke for a sort order
    that is not a whole number (ValueError without the file's name); fixed in read_groups."""
    path = tmp_path / "education_groups.csv"
    path.write_text(edit(GROUPS_FILE.read_text(encoding="utf-8")), encoding="utf-8")
    with pytest.raises(ValueError, match="education_groups.csv"):
        read_groups(path)
