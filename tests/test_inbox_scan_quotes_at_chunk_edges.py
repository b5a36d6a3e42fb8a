"""The inbox scan's quote fast path (intake/inbox/recognise.py scan_extract) at the real chunk size
and at any small one: a quote as the last byte of a chunk, an open quote carried into a
quote-free chunk, CRLF, "" escapes, a closing quote at the start of the next chunk; the scan names
the line that opens a quote exactly as the rule (an odd number of quotes on a line) does.
(Moved from tests/test_attack_r23.py; its other tests are now in test_commands_without_pyarrow.py,
test_run_history_damaged_or_interrupted.py, test_privacy_scan_sees_a_cpr_inside_a_digest.py and
test_pupil_tables_keep_their_shape.py.)
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from intake.applications.ingest import FileRejected
from intake.inbox import recognise


def _scan(path: Path) -> str | None:
    try:
        recognise.scan_extract(path, 1 << 30, time.monotonic() + 60)
    except FileRejected as e:
        return str(e).split(": ", 1)[1].split(" (", 1)[0]
    return None


CHUNK = recognise.SCAN_CHUNK


@pytest.mark.parametrize(
    ("data", "said"),
    [
        # A quote as the last byte of the first chunk, closed at the start of the next: one line.
        (b"x" * (CHUNK - 1) + b'"' + b'a"\r\nb\r\n', None),
        # The same quote never closed, the next chunk quote-free: its own line is named.
        (b"a\r\n" + b"x" * (CHUNK - 4) + b'"' + b"a\r\nb\r\nc\r\n", "line 2 opens a quote"),
        # An open quote at the end of a chunk whose other quotes all pair up.
        (b'"h";"i"\r\n' + b'"n";x\r\n' * ((CHUNK - 20) // 8) + b'x;"open', "the last line"),
        # "" escapes across the boundary stay closed.
        (b'"' + b"y" * (CHUNK - 2) + b'""' + b'z"\r\nq\r\n', None),
        # A whole quote-free chunk inside an open line, closed after it.
        (b'a;"' + b"y" * (2 * CHUNK) + b'"\nb\n', None),
        (b'a;"' + b"y" * (2 * CHUNK) + b"\nb\n", "line 1 opens a quote"),
    ],
)
def test_the_scan_at_the_real_chunk_size(tmp_path, data, said):
    path = tmp_path / "x.csv"
    path.write_bytes(data)
    assert _scan(path) == said


def test_the_scan_is_not_fooled_by_crlf_and_escaped_quotes_at_any_small_chunk(tmp_path, monkeypatch):
    lines = [b'"CPR";"Navn"', b'010190-1234;"Skole ""Nord"""', b'a;"b\r', b'c";d', b"e;f", b'""""', b'"\r"']
    data = b"\r\n".join(lines) + b"\r\n"
    path = tmp_path / "x.csv"
    path.write_bytes(data)
    for chunk in range(1, len(data) + 2):
        monkeypatch.setattr(recognise, "SCAN_CHUNK", chunk)
        assert _scan(path) == "line 3 opens a quote", chunk


TOKENS = st.sampled_from([b'"', b'""', b"a", b";", b"\r", b"x" * 7, b'"q"'])


def _rule(data: bytes) -> str | None:
    lines = data.split(b"\n")
    for number, line in enumerate(lines, start=1):
        if line.count(b'"') % 2:
            return "the last line" if number == len(lines) else f"line {number:,} opens a quote"
    return None


@settings(max_examples=200, deadline=None)
@given(
    lines=st.lists(st.lists(TOKENS, max_size=8).map(b"".join), min_size=1, max_size=10),
    crlf=st.booleans(),
    chunk=st.integers(min_value=1, max_value=64),
)
def test_the_scan_follows_the_rule_with_crlf_and_escapes(tmp_path_factory, lines, crlf, chunk):
    data = (b"\r\n" if crlf else b"\n").join(lines)
    path = tmp_path_factory.mktemp("scan") / "x.csv"
    path.write_bytes(data)
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setattr(recognise, "SCAN_CHUNK", chunk)
        try:
            recognise.scan_extract(path, 1 << 20, time.monotonic() + 60)
            got = None
        except FileRejected as e:
            got = str(e).split(": ", 1)[1].split(" (", 1)[0]
            if "CR only" in str(e):
                got = None
    assert got == _rule(data)
