"""What kind of file an analyst dropped into the inbox, told from its content.

The header (or, for a StatBank export without one, the first row) decides the kind; for an
Optagelse.dk extract the application dates decide the year, and a year in the file name must
agree with them. A file that fits no kind is refused with what each kind would need.
"""

from __future__ import annotations

import codecs
import csv
import re
import time
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import yaml

from intake.applications.ingest import YEAR_IN_NAME
from intake.applications.ingest import match_columns as match_extract_columns
from intake.reference.config_files import read_config_table, yaml_error_line
from intake.sources.quarantine import refuse_when_nothing_loads
from intake.sources.tables import (
    FileRejected,
    Seen,
    check_xlsx_size,
    delimiter_of,
    match_columns,
    norm,
    read_xlsx_rows,
)
from overgang.encoding import UnreadableFile, inspect
from overgang.pipeline_settings import Intake
from schemas.reference import column_map
from schemas.sources import SOURCES, Source, by_kind, recognition_order, resolve

HEAD_BYTES = 1 << 16
SAMPLE_ROWS = 5000
SMALL_FILE = 50 << 20
# A UTF-8 two-byte letter (Latin-1 range: æ ø å é …), rare as the Windows-1252 pair it would be (Ã¦).
UTF8_SEQUENCE = re.compile(
    rb"[\xc2\xc3][\x80-\xbf]"
)  # above this a CSV can only be an extract: never read it whole in Python


@dataclass
class Recognised:
    kind: str
    year: int | None = None
    detail: str = ""


def _head(path: Path) -> tuple[str, str]:
    """The first 64 KB as text, and the encoding it decodes with."""
    with path.open("rb") as f:
        raw = f.read(HEAD_BYTES)
    if not raw.strip(b"\xef\xbb\xbf \r\n\t"):
        raise FileRejected(f"{path.name}: the file is empty.")
    if b"\x00" in raw:
        raise FileRejected(
            f"{path.name}: not a text file in UTF-8 or Windows-1252 (it holds NUL bytes: UTF-16 or a "
            "binary file?). Save it from Excel as 'CSV UTF-8' or as .xlsx."
        )
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError as err:
            if encoding == "utf-8-sig" and err.start >= len(raw) - 3:
                return raw[: err.start].decode(encoding), encoding  # a character cut by the 64 KB boundary
            continue
        if encoding == "cp1252" and UTF8_SEQUENCE.search(raw):
            # Not UTF-8, yet holding UTF-8's two-byte letters: read as Windows-1252 the header would
            # be garbled (BopÃ¦l…) and refused for the wrong reason; the run's check says which.
            encoding = _encoding_as_the_run_reads_it(path)
            text = raw.decode(encoding, errors="replace")
        return text, encoding
    raise FileRejected(f"{path.name}: the file is neither UTF-8 nor Windows-1252 text; save it again as CSV (UTF-8).")


def _header_cells(line: str) -> list[str]:
    return [c.strip() for c in next(csv.reader([line], delimiter=delimiter_of(line)))]


def _ends_mid_line(path: Path, width: int, delimiter: str = ";") -> int | None:
    """Fields on the last line when the file ends without a line break and the line is short."""
    with path.open("rb") as f:
        f.seek(0, 2)
        size = f.tell()
        f.seek(max(0, size - 4096))
        tail = f.read()
    if tail.endswith((b"\n", b"\r")):
        return None
    last = tail.rsplit(b"\n", 1)[-1].decode("utf-8", errors="replace")
    fields = len(next(csv.reader([last], delimiter=delimiter), []))
    return fields if fields < width else None


SCAN_CHUNK = 1 << 22
# A quote and the next quote on the same line: a pair, which leaves the line's quotes as open or
# closed as they were ("" inside a quoted field is two pairs).
CLOSED_QUOTES = re.compile(rb'"[^"\n]*"')
NEWLINE = ord("\n")


def _kb(n: int) -> str:
    return f"{n / 1024:,.0f} KB" if n < (1 << 20) else f"{n / (1 << 20):,.0f} MB"


def scan_extract(path: Path, max_line_bytes: int, deadline: float) -> bool:
    """One streaming pass over an extract, in bounded memory: every line is at most
    `max_line_bytes` long, every line closes the quotes it opens (an extract has no fields over
    several lines: an open quote would swallow the lines after it), and lines end in LF or CRLF.
    FileRejected naming the line otherwise, or when the pass runs past `deadline` (time.monotonic).
    Returns whether every byte is UTF-8 (decoded as the pass goes: a few ms a chunk)."""
    line, current, open_quote, carriage_returns = 1, 0, False, False
    utf8, is_utf8 = codecs.getincrementaldecoder("utf-8")(), True
    with path.open("rb") as f:
        while chunk := f.read(SCAN_CHUNK):
            if is_utf8:
                try:
                    utf8.decode(chunk)
                except UnicodeDecodeError:
                    is_utf8 = False
            if time.monotonic() > deadline:
                raise FileRejected(
                    f"{path.name}: checking the file took longer than the limit per file "
                    "(intake.max_seconds_per_file in data/config/pipeline.yaml); it was not loaded."
                )
            # Where the chunk's lines end, found by numpy: splitting a 4 MB chunk into some 30,000
            # lines was most of the pass (1.4 GB of extracts: about 2 s).
            ends = np.flatnonzero(np.frombuffer(chunk, dtype=np.uint8) == NEWLINE)
            longest, index = current + len(chunk), 0  # one line, not ended in this chunk
            if len(ends):
                # The first line continues the chunk before; the last one, not yet ended, is checked
                # with the next chunk. The longest of the ended ones, the first of equals.
                longest = current + int(ends[0])
                if len(ends) > 1:
                    between = np.diff(ends) - 1
                    k = int(between.argmax())
                    if between[k] > longest:
                        longest, index = int(between[k]), k + 1
            if longest > max_line_bytes:
                raise FileRejected(
                    f"{path.name}: line {line + index:,} is longer than {_kb(max_line_bytes)} (intake.max_line_bytes): "
                    "not a row of an Optagelse.dk extract (a line break missing, or a binary file?)."
                )
            # Lines are looked at one by one only where a quote may stay open: a line still open
            # from the chunk before (its end is in this chunk, quote or none), or a quote of this
            # chunk that does not close on its own line. The usual extract (a quoted header,
            # quoted names) needs no walk.
            if open_quote or (b'"' in chunk and b'"' in CLOSED_QUOTES.sub(b"", chunk)):
                parts = chunk.split(b"\n")
                for i, part in enumerate(parts):
                    open_quote ^= bool(part.count(b'"') % 2)
                    if open_quote and i < len(parts) - 1:
                        raise FileRejected(
                            f'{path.name}: line {line + i:,} opens a quote (") that is never closed on that '
                            "line, so the lines after it would be read as one field. Correct the line or "
                            "export the file again."
                        )
            carriage_returns = carriage_returns or (not len(ends) and b"\r" in chunk)
            line += len(ends)
            current = len(chunk) - int(ends[-1]) - 1 if len(ends) else current + len(chunk)
    if current > max_line_bytes:
        raise FileRejected(
            f"{path.name}: line {line:,} is longer than {_kb(max_line_bytes)} (intake.max_line_bytes): "
            "not a row of an Optagelse.dk extract (a line break missing, or a binary file?)."
        )
    if open_quote:
        raise FileRejected(
            f'{path.name}: the last line ({line:,}) opens a quote (") that is never closed. Export the file again.'
        )
    if line == 1 and carriage_returns:
        raise FileRejected(
            f"{path.name}: the lines end in CR only (old Mac line ends): save the file again as CSV "
            "with Windows (CRLF) or Unix (LF) line ends."
        )
    try:
        utf8.decode(b"", final=True)
    except UnicodeDecodeError:
        is_utf8 = False  # ends inside a character
    return is_utf8


def _encoding_as_the_run_reads_it(path: Path) -> str:
    """The encoding the run's staging will find (overgang/encoding.py: inspect, its full pass), or
    FileRejected with the run's own reason (two encodings mixed, or neither), so that a file the
    inbox accepts is never refused later by the run for its encoding."""
    try:
        return inspect(path).encoding
    except UnreadableFile as err:
        raise FileRejected(str(err)) from None


def extract_year(path: Path, header: list[str], encoding: str, max_field_bytes: int = Intake().max_field_bytes) -> int:
    """The application year of an extract: the year most of its application dates fall in."""
    columns = match_extract_columns(header, path.name)
    position = header.index(columns["application_date"])
    years: Counter[int] = Counter()
    limit = csv.field_size_limit()
    csv.field_size_limit(max_field_bytes)
    try:
        with path.open("r", encoding=encoding, newline="", errors="replace") as f:
            reader = csv.reader(f, delimiter=";")
            next(reader, None)
            for i, record in enumerate(reader):
                if i >= SAMPLE_ROWS:
                    break
                if len(record) > position:
                    found = re.search(r"(?<!\d)(20\d{2}|19\d{2})(?!\d)", record[position])
                    if found:
                        years[int(found.group(1))] += 1
    except csv.Error:
        raise FileRejected(
            f"{path.name}: line {reader.line_num:,} holds a field longer than {_kb(max_field_bytes)} "
            "(intake.max_field_bytes), or a quote that is never closed: not an Optagelse.dk extract row."
        ) from None
    finally:
        csv.field_size_limit(limit)
    if not years:
        raise FileRejected(
            f"{path.name}: an Optagelse.dk extract, but no application date (column "
            f"'{columns['application_date']}') could be read, so its year is unknown."
        )
    year = years.most_common(1)[0][0]
    named = YEAR_IN_NAME.search(path.name)
    if named and int(named.group(1)) != year:
        raise FileRejected(
            f"{path.name}: the name says {named.group(1)}, but the application dates are from {year}. "
            "Rename the file, or check that it is the right extract."
        )
    if year > date.today().year:
        raise FileRejected(
            f"{path.name}: the application dates are from {year}, a year that has not begun. "
            "Check the dates in the extract."
        )
    return year


def _spellings(source: Source) -> list[str]:
    """The column names that tell a source by its header: its column-map section's spellings, or
    a configuration table's schema columns; none for a source told otherwise (StatBank)."""
    if source.column_map:
        return [s for e in column_map()[source.column_map].values() for s in e["source"]]
    if source.config_table:
        return list(source.frame_schema().columns)
    return []


def _kinds_by_header(header: list[str], sources: tuple[Source, ...] = SOURCES) -> list[tuple[int, str]]:
    """How many of each kind's column names the header holds, best first."""
    names = {norm(h) for h in header}
    spellings = {"applications": [s for e in column_map()["applications"].values() for s in e["source"]]}
    spellings |= {s.kind: _spellings(s) for s in sources if _spellings(s)}
    return sorted(((sum(norm(s) in names for s in v), k) for k, v in spellings.items()), reverse=True)


def expected(sources: tuple[Source, ...] = SOURCES) -> str:
    """What the inbox would have taken, for the reason of a file it refuses."""
    return "an Optagelse.dk extract (header with CPR;...;Uddannelse;Ansøgningsdato), " + ", ".join(
        s.expected for s in recognition_order(sources)
    )


def recognise(
    path: Path, tolerance_pp: float = 0.2, limits: Intake | None = None, sources: tuple[Source, ...] = SOURCES
) -> Recognised:
    """The file's kind (and year, for an extract), or FileRejected saying what was expected.
    `limits` (settings.pipeline.intake) bound what one file may cost: field and line length, an .xlsx
    file's unpacked size and rows, seconds per file. `sources`: the registry (schemas/sources.py)."""
    limits = limits or Intake()
    deadline = time.monotonic() + limits.max_seconds_per_file
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        if path.stat().st_size > limits.max_line_bytes:
            raise FileRejected(
                f"{path.name}: a YAML file larger than {_kb(limits.max_line_bytes)} is not a table of targets or goals."
            )
        return _recognise_yaml(path, sources)
    if suffix not in (".csv", ".txt", ".xlsx"):
        raise FileRejected(
            f"{path.name}: Overgang reads .csv, .txt, .xlsx and .yaml files; expected {expected(sources)}."
        )
    if suffix == ".xlsx":
        check_xlsx_size(path, limits.max_xlsx_uncompressed_bytes)
        header = read_xlsx_rows(path, max_rows=limits.max_xlsx_rows, deadline=deadline).header
    else:
        text, encoding = _head(path)
        lines = text.splitlines()
        first = lines[0] if lines else ""
        if len(lines) < 2 and path.stat().st_size > HEAD_BYTES:
            raise FileRejected(
                f"{path.name}: the first line is longer than {_kb(HEAD_BYTES)}: not a header row "
                "(a file without line breaks, or a binary file?)."
            )
        header = _header_cells(first)
    ranked = _kinds_by_header(header, sources)
    if suffix != ".xlsx" and ranked[0][1] == "applications" and ranked[0][0] >= 3:
        match_extract_columns(header, path.name)
        short = _ends_mid_line(path, len(header))
        if short is not None:
            raise FileRejected(
                f"{path.name}: the file ends in the middle of its last line ({short} of {len(header)} "
                "fields, no final line break). It looks truncated: copy or export it again."
            )
        if not scan_extract(path, limits.max_line_bytes, deadline):
            # Not UTF-8 throughout: Windows-1252, or two encodings mixed (the first 64 KB may be
            # either), decided by the run's own check.
            encoding = _encoding_as_the_run_reads_it(path)
        year = extract_year(path, header, encoding, limits.max_field_bytes)
        return Recognised("applications", year, f"Optagelse.dk extract for {year}")
    if path.stat().st_size > SMALL_FILE:
        raise FileRejected(
            f"{path.name}: a large file whose header is not an Optagelse.dk extract's; expected {expected(sources)}."
        )
    best_score, best = ranked[0]
    seen = Seen(path, header, best, best_score, tolerance_pp)
    for source in recognition_order(sources):
        detail = resolve(source.recogniser)(seen, source)
        if detail is not None:
            return Recognised(source.kind, None, detail)
    if best_score >= 2:
        # Close to a known kind: say which of its columns are missing.
        closest = by_kind(sources).get(best)
        if closest is None:
            match_extract_columns(header, path.name)
        elif closest.column_map:
            match_columns(header, column_map()[closest.column_map], path.name, best.replace("_", " "))
        else:
            schema = closest.frame_schema()
            missing = [
                c for c, col in schema.columns.items() if not col.nullable and norm(c) not in {norm(h) for h in header}
            ]
            raise FileRejected(f"{path.name}: read as {best}, but the header lacks: {', '.join(missing)}.")
    # The header is not quoted: a reason file is kept and shown, and the first line of an unknown
    # file may be anything (a CPR number, or a system file's content).
    raise FileRejected(
        f"{path.name}: unknown layout (a first line of {len(header)} fields, none that Overgang "
        f"recognises). Expected {expected(sources)}."
    )


def _recognise_yaml(path: Path, sources: tuple[Source, ...]) -> Recognised:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except (yaml.YAMLError, UnicodeDecodeError) as err:
        raise FileRejected(f"{path.name}: not valid YAML text{yaml_error_line(err)}.") from None
    tables = [s for s in recognition_order(sources) if s.config_table]
    for source in tables:
        if isinstance(data, dict) and source.name in data:
            frame, failures = read_config_table(path, source.frame_schema(), source.name)
            refuse_when_nothing_loads(path.name, frame, failures, "rows")
            return Recognised(source.kind, None, f"{source.kind}, {len(frame)} rows")
    raise FileRejected(
        f"{path.name}: a YAML file must hold a list under " + " or ".join(f"'{s.name}:'" for s in tables) + " "
        "(a description of a table must have the table's name: <table>.yaml beside <table>.csv)."
    )
