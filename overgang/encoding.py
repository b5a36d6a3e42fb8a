"""Text encodings of files analysts receive, and a UTF-8 copy (in memory) DuckDB can read.

Hand-made exports come as UTF-8, UTF-8 with a byte-order mark (Excel) or Windows-1252
(StatBank, older Optagelse.dk exports). One pass over the file decides which, counts its
lines and finds blank lines, so that row numbers reported to the analyst are file line numbers.
"""

from __future__ import annotations

import codecs
import hashlib
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb

CHUNK = 1 << 22
BOM = codecs.BOM_UTF8
_BLANK = re.compile(rb"\n(?:\r?\n)+")
# Where Windows-1252 and Latin-1 differ (€, curly quotes, dashes, Š, Ž, ...), and the five bytes
# Windows-1252 leaves undefined. Looked for with bytes.find (memchr), which is ten times faster
# than a regex character class or decoding on a 128 MB extract.
_CP1252_ONLY = [bytes([b]) for b in range(0x80, 0xA0)]
_CP1252_UNDEFINED = [bytes([b]) for b in (0x81, 0x8D, 0x8F, 0x90, 0x9D)]
# Danish and common letters as UTF-8 (Æ Ø Å æ ø å é ü ö ä): in a file that is otherwise
# Windows-1252 they mean two encodings were mixed, e.g. rows pasted from another export.
_UTF8_LETTER = re.compile(rb"\xc3[\x85\x86\x98\xa4\xa5\xa6\xa9\xb6\xb8\xbc]")


class UnreadableFile(ValueError):
    """A file that no supported encoding can decode, or that is empty."""


@dataclass
class TextFile:
    path: Path
    encoding: str  # 'utf-8', 'utf-8-sig' or 'cp1252'
    lines: int  # physical lines, the last one counted even without a final newline
    blank_lines: list[int] = field(default_factory=list)  # 1-based numbers of empty lines
    sha256: str = ""  # of the file's bytes: the same file loaded twice is recognised
    latin1_compatible: bool = False  # a Windows-1252 file DuckDB can read as Latin-1 directly
    # False when only the start was decoded and blank lines were not looked for (quick_inspect):
    # the reader must check that every line arrived and was valid UTF-8, or inspect in full.
    checked: bool = True
    # Some lines end in CRLF and others in LF (rows pasted from another export): DuckDB's reader
    # takes one line end per file, so it reads a normalised copy (duckdb_readable).
    mixed_newlines: bool = False


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file's bytes, read in chunks (extracts can be gigabytes)."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def inspect(path: Path) -> TextFile:
    """Detect the encoding and map the lines of `path` in one streaming pass."""
    utf8 = codecs.getincrementaldecoder("utf-8")()
    cp1252_ok, utf8_ok = True, True
    newlines, size = 0, 0
    blanks: list[int] = []
    first = b""
    tail = b""
    digest = hashlib.sha256()
    cp1252_only = False
    first_utf8_line = first_bad_line = None
    crlf, previous = 0, b""
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
            crlf += chunk.count(b"\r\n") + (previous == b"\r" and chunk[:1] == b"\n")
            previous = chunk[-1:]
            if not first:
                first = chunk[:3]
            size += len(chunk)
            if first_utf8_line is None and (m := _UTF8_LETTER.search(chunk)):
                first_utf8_line = newlines + chunk.count(b"\n", 0, m.start()) + 1
            if utf8_ok:
                try:
                    utf8.decode(chunk)
                except UnicodeDecodeError as err:
                    utf8_ok = False
                    first_bad_line = newlines + chunk.count(b"\n", 0, max(err.start, 0)) + 1
            if not utf8_ok and cp1252_ok:
                cp1252_ok = not any(b in chunk for b in _CP1252_UNDEFINED)
                cp1252_only = cp1252_only or any(b in chunk for b in _CP1252_ONLY)
            # Blank lines are skipped by the CSV reader; remember them to keep line numbers right.
            window = tail + chunk
            for m in _BLANK.finditer(window):
                if m.start() < len(tail) - 1:
                    continue
                base = newlines - tail.count(b"\n") + window.count(b"\n", 0, m.start()) + 1
                blanks.extend(range(base + 1, base + m.group().count(b"\n")))
            newlines += chunk.count(b"\n")
            tail = chunk[-2:]
        if utf8_ok:
            try:
                utf8.decode(b"", final=True)
            except UnicodeDecodeError:
                utf8_ok = False  # file ends inside a multi-byte character: truncated
    if size == 0 or (size <= 3 and first == BOM):
        raise UnreadableFile(f"{path.name}: the file is empty")
    if utf8_ok:
        encoding = "utf-8-sig" if first == BOM else "utf-8"
    elif cp1252_ok and first_utf8_line is not None:
        raise UnreadableFile(
            f"{path.name}: mixed encodings: line {first_utf8_line} is UTF-8 but line {first_bad_line} "
            "is not (Windows-1252?). Save the whole file again in one encoding (CSV UTF-8)."
        )
    elif cp1252_ok:
        encoding = "cp1252"
    else:
        raise UnreadableFile(
            f"{path.name}: the file is neither UTF-8 nor Windows-1252 text; save it again as CSV (UTF-8) from Excel"
        )
    lines = newlines + (0 if tail.endswith(b"\n") else 1)
    return TextFile(
        path,
        encoding,
        lines,
        sorted(set(blanks)),
        digest.hexdigest(),
        latin1_compatible=encoding == "cp1252" and not cp1252_only,
        mixed_newlines=0 < crlf < newlines,
    )


def quick_inspect(path: Path) -> TextFile:
    """`inspect` for the common case, at half its cost: a file that starts as UTF-8 is hashed
    and its lines counted in one read, without decoding every byte or looking for blank lines.

    At national scale those two parts are half the pre-pass (0.23 of 0.5 s per 128 MB extract).
    DuckDB decodes as it reads and rejects a line that is not UTF-8, and the line count tells
    whether any line was skipped; on either, the reader falls back to `inspect` for the exact
    diagnosis. A file that does not start as UTF-8 is inspected in full at once."""
    with path.open("rb") as f:
        head = f.read(CHUNK)
        try:
            codecs.getincrementaldecoder("utf-8")().decode(head)  # the chunk may end inside a character
        except UnicodeDecodeError:
            return inspect(path)
        if len(head) <= 3 and head in (b"", BOM):
            return inspect(path)  # empty: inspect says so
        digest = hashlib.sha256(head)
        newlines, last, crlf = head.count(b"\n"), head[-1:], head.count(b"\r\n")
        while chunk := f.read(CHUNK):
            digest.update(chunk)
            newlines += chunk.count(b"\n")
            crlf += chunk.count(b"\r\n") + (last == b"\r" and chunk[:1] == b"\n")
            last = chunk[-1:]
    encoding = "utf-8-sig" if head.startswith(BOM) else "utf-8"
    return TextFile(
        path,
        encoding,
        newlines + (0 if last == b"\n" else 1),
        [],
        digest.hexdigest(),
        checked=False,
        mixed_newlines=0 < crlf < newlines,
    )


@contextmanager
def duckdb_readable(text: TextFile, con: duckdb.DuckDBPyConnection) -> Iterator[tuple[str, str]]:
    """A path and encoding DuckDB reads natively, for as long as the block runs: the file itself
    where it can (UTF-8, or a Windows-1252 file without the characters where it differs from
    Latin-1), else a UTF-8 copy held in memory (also for a file with mixed line ends, whose copy
    ends every line in LF).

    The copy is never written to disk: an extract holds CPR numbers, names and addresses, and a
    temporary file would outlive a killed process (in the system temp folder, for anyone to read).
    In memory it dies with the process. It costs the file's size in RAM, once, for the rare
    Windows-1252 export with €, dashes or curly quotes, or a file with mixed line ends."""
    if not text.mixed_newlines:
        if text.encoding in ("utf-8", "utf-8-sig"):
            yield str(text.path), "utf-8"  # DuckDB skips a byte-order mark itself
            return
        if text.latin1_compatible:
            yield str(text.path), "latin-1"
            return
    from fsspec.implementations.memory import MemoryFileSystem

    memory = MemoryFileSystem()  # one store per process, shared by every instance
    if "memory" not in con.list_filesystems():
        con.register_filesystem(memory)
    name = f"/overgang-transcoded/{uuid.uuid4().hex}.csv"
    try:
        with text.path.open("r", encoding=text.encoding, newline="") as src, memory.open(name, "wb") as dst:
            carry = ""
            while chunk := src.read(CHUNK):
                chunk = carry + chunk
                # A CRLF split across two chunks: keep the CR for the next one.
                carry = "\r" if text.mixed_newlines and chunk.endswith("\r") else ""
                chunk = chunk[:-1] if carry else chunk
                dst.write((chunk.replace("\r\n", "\n") if text.mixed_newlines else chunk).encode("utf-8"))
            dst.write(carry.encode("utf-8"))
        yield f"memory://{name}", "utf-8"
    finally:
        if memory.exists(name):
            memory.rm(name)
