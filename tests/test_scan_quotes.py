"""The extract scan (intake/inbox/recognise.py: scan_extract) against its rules, line by line:
every line closes the quotes it opens, and no line is longer than the limit. The scan finds line
ends with numpy and skips the line-by-line walk for a chunk whose quotes all pair up on their own
lines; whatever the chunk size and the file, it must find the same first open quote, or none,
and name a line that is too long only where there is one."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from intake.applications.ingest import FileRejected
from intake.inbox import recognise

LINE = st.text(alphabet='ab;"\r', max_size=12)


def _rule(data: bytes) -> str | None:
    """What the scan must say about quotes: the first line (1-based) that opens a quote it does
    not close, 'last' when that is the file's last line, None when every line closes its quotes."""
    lines = data.split(b"\n")
    for number, line in enumerate(lines, start=1):
        if line.count(b'"') % 2:
            return "last" if number == len(lines) else f"line {number:,} opens a quote"
    return None


def _scan(path, chunk: int, monkeypatch, max_line: int = 10_000) -> str | None:
    monkeypatch.setattr(recognise, "SCAN_CHUNK", chunk)
    try:
        recognise.scan_extract(path, max_line, time.monotonic() + 60)
    except FileRejected as e:
        message = str(e)
        if "never closed. Export" in message:
            return "last"
        if "opens a quote" in message:
            return message.split(": ", 1)[1].split(" (", 1)[0]
        if "is longer than" in message:
            return "long " + message.split("line ", 1)[1].split(" ", 1)[0].replace(",", "")
        if "CR only" in message:
            return None  # another rule, about line ends; the quote rule had nothing to say first
        raise
    return None


@settings(max_examples=300, deadline=None)
@given(lines=st.lists(LINE, min_size=1, max_size=12), chunk=st.integers(min_value=1, max_value=40))
def test_the_scan_finds_the_first_line_that_leaves_a_quote_open(tmp_path_factory, lines, chunk):
    data = "\n".join(lines).encode()
    path = tmp_path_factory.mktemp("scan") / "x.csv"
    path.write_bytes(data)
    with pytest.MonkeyPatch.context() as monkeypatch:
        assert _scan(path, chunk, monkeypatch) == _rule(data)


def test_quoted_headers_and_names_pass_and_an_open_quote_deep_in_a_large_file_is_found(tmp_path, monkeypatch):
    good = b'"CPR";"Navn"\n' + b'010190-1234;"Skole ""Nord"""\n' * 50_000
    path = tmp_path / "x.csv"
    path.write_bytes(good)
    assert _scan(path, 1 << 22, monkeypatch) is None
    path.write_bytes(good + b'010190-1234;"Skole Nord\n' + good)
    assert _scan(path, 1 << 22, monkeypatch) == "line 50,002 opens a quote"


@settings(max_examples=300, deadline=None)
@given(
    lines=st.lists(LINE, min_size=1, max_size=12),
    chunk=st.integers(min_value=1, max_value=40),
    max_line=st.integers(min_value=0, max_value=14),
)
def test_the_scan_names_a_line_too_long_only_where_there_is_one(tmp_path_factory, lines, chunk, max_line):
    data = "\n".join(lines).encode()
    path = tmp_path_factory.mktemp("scan") / "x.csv"
    path.write_bytes(data)
    too_long = {str(n) for n, line in enumerate(data.split(b"\n"), start=1) if len(line) > max_line}
    with pytest.MonkeyPatch.context() as monkeypatch:
        found = _scan(path, chunk, monkeypatch, max_line)
    if found is not None and found.startswith("long "):
        assert found.removeprefix("long ") in too_long
    else:
        # No line named too long: then none is, or an open quote came first (in an earlier chunk).
        assert found == _rule(data) and (not too_long or found is not None)
