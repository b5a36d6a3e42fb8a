"""A weak CPR key is refused in every spelling: the public demo key however it is cased, quoted,
wrapped or spaced, and a key whose content is mostly whitespace or invisible characters, however
long it looks in bytes. A strong key is accepted, and its bytes (hence its pseudonyms) are the
same as they always were."""

from __future__ import annotations

import pytest

from overgang.pseudonymise import DEMO_KEY, MissingKey, load_key
from tests.extracts import row, write_extract

DEMO = DEMO_KEY.decode()

DEMO_SPELLINGS = {
    "lowercase": DEMO.lower(),
    "title case": DEMO.title(),
    "double quotes": f'"{DEMO}"',
    "single quotes": f"'{DEMO}'",
    "typographic quotes": f"\u201c{DEMO}\u201d",
    "guillemets": f"\u00ab{DEMO}\u00bb",
    "export line": f"OVERGANG_CPR_KEY={DEMO}",
    "suffix": f"{DEMO}-2025",
    "prefix and suffix": f"kommune-169-{DEMO}-v2",
    "inner spaces": DEMO.replace("-", " - "),
    "underscores": DEMO.replace("-", "_"),
    "no separators": DEMO.replace("-", ""),
    "non-breaking spaces": DEMO.replace("-", "\u00a0"),
    "zero-width spaces": "\u200b".join(DEMO),
    "fullwidth letters": "".join(chr(ord(c) + 0xFEE0) if c.isalpha() else c for c in DEMO),
    "truncated": DEMO[: len(DEMO) - len("-SAMPLE")],
    "without its first word": DEMO.removeprefix("OVERGANG-"),
    "with a padding of hex": DEMO + "0123456789abcdef" * 4,
}

# Each is at least 32 bytes long, but has fewer than 32 characters that are not whitespace.
MOSTLY_WHITESPACE = {
    "20 non-breaking spaces": "\u00a0" * 20,
    "40 non-breaking spaces": "\u00a0" * 40,
    "ideographic spaces": "\u3000" * 20,
    "zero-width spaces": "\u200b" * 30,
    "byte order marks": "\ufeff" * 30,
    "word joiners and em spaces": "\u2060\u2003" * 20,
    "a short key padded with nbsp": "shortkey" + "\u00a0" * 30,
    "a short key spaced out": " ".join("abcdefghijklmnopqrstuvwxyz"),
    "a short key with thin spaces": "\u2009".join("abcdefghijklmnopqrst"),
    "line and paragraph separators": "k\u2028" * 20,
    "hangul fillers": "\u3164" * 20,
}


@pytest.fixture
def extract(tmp_path):
    return write_extract(tmp_path / "optagelse_2024.csv", [row()])


def _key_file(tmp_path, monkeypatch, content: bytes):
    path = tmp_path / "cpr-key"
    path.write_bytes(content)
    path.chmod(0o600)
    monkeypatch.setenv("OVERGANG_CPR_KEY_FILE", str(path))


@pytest.mark.parametrize("spelling", DEMO_SPELLINGS.values(), ids=DEMO_SPELLINGS.keys())
def test_the_demo_key_in_any_spelling_is_refused_in_the_environment(extract, monkeypatch, spelling):
    monkeypatch.setenv("OVERGANG_CPR_KEY", spelling)
    with pytest.raises(MissingKey) as err:
        load_key([extract])
    assert "demonstration key" in str(err.value) and "overgang key new" in str(err.value)
    assert DEMO not in str(err.value), "the message does not repeat the key"


@pytest.mark.parametrize("spelling", DEMO_SPELLINGS.values(), ids=DEMO_SPELLINGS.keys())
def test_the_demo_key_in_any_spelling_is_refused_in_a_key_file(extract, tmp_path, monkeypatch, spelling):
    _key_file(tmp_path, monkeypatch, spelling.encode("utf-8") + b"\n")
    with pytest.raises(MissingKey, match="demonstration key"):
        load_key([extract])


@pytest.mark.parametrize("value", MOSTLY_WHITESPACE.values(), ids=MOSTLY_WHITESPACE.keys())
def test_a_key_of_mostly_whitespace_is_refused_as_too_short(extract, tmp_path, monkeypatch, value):
    assert len(value.encode("utf-8")) >= 32, "the case must pass a byte count"
    for where in ("environment", "file"):
        monkeypatch.delenv("OVERGANG_CPR_KEY", raising=False)
        if where == "environment":
            monkeypatch.setenv("OVERGANG_CPR_KEY", value)
        else:
            _key_file(tmp_path, monkeypatch, value.encode("utf-8"))
        with pytest.raises(MissingKey) as err:
            load_key([extract])
        message = str(err.value)
        assert ("is empty" in message or "characters" in message) and "at least 32" in message, message


def test_a_cp1252_key_file_of_non_breaking_spaces_is_refused(extract, tmp_path, monkeypatch):
    _key_file(tmp_path, monkeypatch, b"\xa0" * 40 + b"\r\n")  # Notepad's ANSI: byte A0 is a no-break space
    with pytest.raises(MissingKey, match="is empty"):
        load_key([extract])


@pytest.mark.parametrize(
    "content, key",
    [
        (b"0123456789abcdef" * 4 + b"\n", b"0123456789abcdef" * 4),  # `overgang key new`
        (b"\xef\xbb\xbf" + b"k" * 32 + b"\r\n", b"k" * 32),  # Notepad's UTF-8 with BOM
        ("æøå-en-lang-hemmelig-nøgle-til-kommunen".encode(), "æøå-en-lang-hemmelig-nøgle-til-kommunen".encode()),
        (b"  four words as a pass phrase, long enough  \n", b"four words as a pass phrase, long enough"),
    ],
)
def test_a_strong_key_is_accepted_with_its_bytes_unchanged(extract, tmp_path, monkeypatch, content, key):
    _key_file(tmp_path, monkeypatch, content)
    assert load_key([extract]) == (key, False)
