"""Small tables an analyst has in hand: CSV (';', ',' or tab; UTF-8, UTF-8 with BOM or
Windows-1252) or Excel ``.xlsx``, read as text with the file line (or sheet row) of every row,
and their columns matched to Overgang's names through ``data/config/column_map.yaml``.

Student-level extracts are read by DuckDB instead (``intake/applications/ingest.py``); these
tables are small (a few hundred rows), so the standard library's csv module and openpyxl do.
"""

from __future__ import annotations

import csv
import io
import time
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from overgang.cpr import scrub
from overgang.encoding import UnreadableFile, inspect
from overgang.pipeline_settings import Intake


class FileRejected(ValueError):
    """A whole file that cannot be loaded; the message names the file and what was expected.

    The message is shown, logged and kept in reason files: anything CPR-shaped in it (a value
    or a file name quoted by mistake) is withheld here, once for every caller."""

    def __init__(self, message: str) -> None:
        super().__init__(scrub(message))


@dataclass
class SourceTable:
    path: Path
    rows: list[list[str]]  # data rows, text as in the file
    lines: list[int]  # file line (CSV) or sheet row (xlsx) of each data row
    header: list[str] = field(default_factory=list)
    encoding: str = "xlsx"
    delimiter: str = ""


@dataclass(frozen=True)
class Seen:
    """What the inbox has read of a file before it asks each source whether the file is one of
    its own: the header, and which kind's column names it holds most of (`best`, `best_score`)."""

    path: Path
    header: list[str]
    best: str
    best_score: int
    tolerance_pp: float


def norm(name: str) -> str:
    """Header spellings compared without case, quotes or doubled spaces."""
    return " ".join(str(name).strip().strip('"').split()).casefold()


def _text(path: Path) -> tuple[str, str]:
    with path.open("rb") as f:
        head = f.read(4096)
    # UTF-16 (Excel's "Unicode text") and binary files are full of NUL bytes.
    if b"\x00" in head:
        raise FileRejected(
            f"{path.name}: this is not a text file in UTF-8 or Windows-1252 (it holds NUL bytes: "
            "UTF-16 or a binary file?). Save it from Excel as 'CSV UTF-8' or as .xlsx."
        )
    try:
        text = inspect(path)
    except UnreadableFile as err:
        raise FileRejected(str(err)) from None
    return path.read_text(encoding=text.encoding), text.encoding


def delimiter_of(first_line: str) -> str:
    """The separator a header line uses: ';' (Danish Excel), tab or ','."""
    counts = {d: first_line.count(d) for d in (";", "\t", ",")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ";"


def table_delimiter_of(content: str, lines: int = 20) -> str:
    """The separator of a table that may have title lines above it ("Søgetal, Køge Kommune" or
    "Kilde: Optagelse.dk, STIL"): ';' (Danish Excel), tab, then ',', the first that splits at least
    two of the first lines into the same number (two or more) of fields. Decimal commas and commas
    in titles make ',' split too, so it is tried last; without any, the header line decides."""
    head = [line for line in content.splitlines()[: lines * 2] if line.strip()][:lines]
    if not head:
        return ";"
    for candidate in (";", "\t", ","):
        widths = Counter(len(r) for r in csv.reader(head, delimiter=candidate) if len(r) >= 2)
        if widths and max(widths.values()) >= min(2, len(head)):
            return candidate
    return delimiter_of(head[0])


def read_csv_rows(path: Path, header: bool = True) -> SourceTable:
    content, encoding = _text(path)
    if not content.strip():
        raise FileRejected(f"{path.name}: the file is empty (no header and no rows).")
    delimiter = table_delimiter_of(content.lstrip("\ufeff"))
    reader = csv.reader(io.StringIO(content.lstrip("\ufeff"), newline=""), delimiter=delimiter)
    rows, lines = [], []
    head: list[str] = []
    for record in reader:
        if not any(cell.strip() for cell in record):
            continue
        if header and not head:
            head = [c.strip() for c in record]
            continue
        rows.append([c.strip() for c in record])
        lines.append(reader.line_num)
    width = len(head) if header else max((len(r) for r in rows), default=0)
    # A cut-off copy or download ends in the middle of a line, without a final newline.
    if rows and not content.endswith(("\n", "\r")) and len(rows[-1]) < width:
        raise FileRejected(
            f"{path.name}: the file ends in the middle of line {lines[-1]} ({len(rows[-1])} of {width} "
            "fields, no final line break). It looks truncated: copy or download it again."
        )
    return SourceTable(path, rows, lines, head, encoding, delimiter)


def _cell(value, number_format: str = "General") -> str:
    """An Excel cell as the text a Danish CSV export would hold (decimal comma, no '.0'). A cell
    formatted as a percentage holds a fraction (0.237 shows as 23,7 %): written as the percentage."""
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and "%" in (number_format or ""):
        return _cell(round(value * 100, 10)) + "%"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value).replace(".", ",")
    return str(value).strip()


def check_xlsx_size(path: Path, limit: int) -> None:
    """Refuse an .xlsx file whose parts unpack to more than `limit` bytes, before openpyxl opens
    it (an 11 MB file can unpack to 4 GB): the sizes are read from the zip directory."""
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as err:
        raise FileRejected(
            f"{path.name}: not a readable Excel .xlsx file ({type(err).__name__}); it may be truncated "
            "or saved in another format (.xls is not read: save it as .xlsx or CSV)."
        ) from None
    if unpacked > limit:
        raise FileRejected(
            f"{path.name}: the Excel file unpacks to {unpacked / (1 << 20):,.0f} MB, more than the limit of "
            f"{limit / (1 << 20):,.0f} MB (intake.max_xlsx_uncompressed_bytes in data/config/pipeline.yaml). "
            "A table of figures is far smaller: save the sheet you mean as CSV or a smaller .xlsx."
        )


def _intake_limits() -> Intake:
    from overgang.settings import Settings

    return Settings.load().pipeline.intake


def read_xlsx_rows(
    path: Path, header: bool = True, max_rows: int | None = None, deadline: float | None = None
) -> SourceTable:
    from openpyxl import load_workbook

    limits = _intake_limits()
    check_xlsx_size(path, limits.max_xlsx_uncompressed_bytes)
    max_rows = limits.max_xlsx_rows if max_rows is None else max_rows
    deadline = time.monotonic() + limits.max_seconds_per_file if deadline is None else deadline
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as err:
        raise FileRejected(
            f"{path.name}: not a readable Excel .xlsx file ({type(err).__name__}); it may be truncated "
            "or saved in another format (.xls is not read: save it as .xlsx or CSV)."
        ) from None
    sheet = book.worksheets[0]
    rows, lines = [], []
    head: list[str] = []
    for number, record in enumerate(sheet.iter_rows(), 1):
        if number > max_rows or (number % 1000 == 0 and time.monotonic() > deadline):
            book.close()
            what = (
                f"more than {max_rows:,} rows (intake.max_xlsx_rows)"
                if number > max_rows
                else "longer to read than the limit per file (intake.max_seconds_per_file)"
            )
            raise FileRejected(
                f"{path.name}: the first sheet has {what} in data/config/pipeline.yaml; a table of "
                "figures is far smaller. Save the sheet you mean as CSV or a smaller .xlsx."
            )
        cells = [_cell(c.value, getattr(c, "number_format", "General")) for c in record]
        if not any(cells):
            continue
        if header and not head:
            head = cells
            continue
        rows.append(cells)
        lines.append(number)
    book.close()
    if not head and not rows:
        raise FileRejected(f"{path.name}: the first sheet is empty (no header and no rows).")
    return SourceTable(path, rows, lines, head)


def read_rows(path: Path, header: bool = True) -> SourceTable:
    if path.suffix.lower() == ".xlsx":
        return read_xlsx_rows(path, header)
    return read_csv_rows(path, header)


def match_columns(header: list[str], spec: dict, file_name: str, what: str) -> dict[str, int]:
    """Canonical column -> its position in `header`; FileRejected naming what is missing."""
    position = {norm(h): i for i, h in enumerate(header)}
    found, missing = {}, []
    for canonical, entry in spec.items():
        hit = next((position[norm(s)] for s in entry["source"] if norm(s) in position), None)
        if hit is not None:
            found[canonical] = hit
        elif not entry.get("drop") and not entry.get("optional"):
            missing.append(f"{canonical} (one of: {', '.join(entry['source'])})")
    if missing:
        raise FileRejected(
            f"{file_name}: the header lacks required columns for {what}: {'; '.join(missing)}. If the "
            "file uses other names, add them under `source` in data/config/column_map.yaml."
        )
    return found


def frame_of(table: SourceTable, columns: dict[str, int]) -> pd.DataFrame:
    """The mapped columns as text, with `source_line` (missing fields are empty text)."""
    data = {name: [r[i] if i < len(r) else "" for r in table.rows] for name, i in columns.items()}
    frame = pd.DataFrame(data, dtype=str)
    frame["source_line"] = table.lines
    return frame
