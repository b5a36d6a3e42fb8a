"""A corpus of files as analysts receive them, good and bad, each with the outcome it must get.

Every entry writes one file (plus a description file where the case needs one) into a folder
and names what must happen: rejected with a reason containing a phrase, or accepted with the
quarantine rows it must produce (rule, file line, column, raw value).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl import Workbook

from overgang.generator import HEADER
from tests.extracts import row, write_extract

SIDE = "denominator: leavers_excl_10th_grade_applicants\ngeography_basis: school\nsource: test\n"


@dataclass
class Case:
    name: str
    write: Callable[[Path], Path]
    outcome: str  # rejected or accepted
    reason: str = ""  # phrase in the rejection
    kind: str | None = None
    quarantine: list[tuple] = field(default_factory=list)  # (rule, line, column, value)
    # An extract's row ledger after staging and validation: (lines, blank, staged rows, rejected
    # lines, unaccounted lines, valid rows, quarantined rows, duplicate rows), and whether the
    # blocking check stops the run (with a phrase of its message).
    ledger: tuple | None = None
    stops: str = ""
    intake: dict = field(default_factory=dict)  # lower intake limits for this case


def _text(name: str, text: str, encoding: str = "utf-8", sidecar: str | None = None) -> Callable[[Path], Path]:
    def write(folder: Path) -> Path:
        path = folder / name
        path.write_bytes(text.encode(encoding))
        if sidecar is not None:
            path.with_suffix(".yaml").write_text(sidecar, encoding="utf-8")
        return path

    return write


def _bytes(name: str, data: bytes) -> Callable[[Path], Path]:
    def write(folder: Path) -> Path:
        (folder / name).write_bytes(data)
        return folder / name

    return write


def _extract(name: str, rows: list[dict], encoding: str = "utf-8", cut: int = 0) -> Callable[[Path], Path]:
    def write(folder: Path) -> Path:
        path = write_extract(folder / name, rows, encoding)
        if cut:
            path.write_bytes(path.read_bytes()[:-cut])
        return path

    return write


def _xlsx(name: str, rows: list[list], sidecar: str | None = SIDE, cut: int = 0) -> Callable[[Path], Path]:
    def write(folder: Path) -> Path:
        book = Workbook()
        for r in rows:
            book.active.append(r)
        buffer = io.BytesIO()
        book.save(buffer)
        data = buffer.getvalue()
        path = folder / name
        path.write_bytes(data[: len(data) - cut] if cut else data)
        if sidecar is not None:
            path.with_suffix(".yaml").write_text(sidecar, encoding="utf-8")
        return path

    return write


TWO_ROWS = [row(CPR="010108-1235"), row(CPR="020208-1236", Uddannelse="eud_gf1")]
HEADER_NO_EDUCATION = (
    "CPR;Skolens institutionsnummer;Skolens kommunenr;Bopælskommunenr;Klassetrin;Ansøgertype;"
    "Prioritet;EUX;Ansøgningsdato\r\n010108-1235;169001;169;169;9;Direkte fra skole;1;;2024-02-20\r\n"
)
LONG = "Kommune;År;Klassetrin;Uddannelsesgruppe;Procent\r\n"

CASES = [
    # --- whole files refused -------------------------------------------------------------
    Case("empty file", _bytes("optagelse_2024.csv", b""), "rejected", "empty"),
    Case("only a byte-order mark", _bytes("tom.csv", b"\xef\xbb\xbf\r\n"), "rejected", "empty"),
    Case("UTF-16 text", _text("utf16.csv", "CPR;Uddannelse\r\n010108-1235;stx\r\n", "utf-16"), "rejected", "NUL bytes"),
    Case(
        "bytes no encoding decodes",
        _bytes("garbage.csv", b"CPR;Uddannelse\x81\x8d\x8f;\xff\xfe\x90\r\n"),
        "rejected",
        "neither UTF-8 nor Windows-1252",
    ),
    Case(
        "extract missing a required column",
        _text("optagelse_2024.csv", HEADER_NO_EDUCATION),
        "rejected",
        "education_code (one of: Uddannelse, Uddannelseskode)",
    ),
    Case("unknown layout", _text("noget.csv", "a;b;c\r\n1;2;3\r\n"), "rejected", "unknown layout"),
    Case("truncated extract", _extract("optagelse_2024.csv", TWO_ROWS, cut=20), "rejected", "truncated"),
    Case(
        "future year", _extract("optagelse_2031.csv", [row(Ansøgningsdato="2031-02-20")]), "rejected", "has not begun"
    ),
    Case("name and dates disagree", _extract("optagelse_2023.csv", TWO_ROWS), "rejected", "the name says 2023"),
    Case(
        "no readable application date",
        _extract("optagelse.csv", [row(Ansøgningsdato="snart")]),
        "rejected",
        "no application date",
    ),
    Case(
        "truncated Excel file",
        _xlsx("soegetal.xlsx", [["Kommune", "År", "EUD", "GYM"]], cut=200),
        "rejected",
        "not a readable Excel",
    ),
    Case(
        "søgetal table without its denominator",
        _text("soegetal.csv", LONG + "169;2024;9+10;EUD;23,7\r\n"),
        "rejected",
        "must say its denominator",
    ),
    Case(
        "wide søgetal table without unit",
        _text("bred.csv", "Kommune;År;EUD;GYM;Øvrige\r\n169;2024;23,7;70,1;6,2\r\n", sidecar=SIDE),
        "rejected",
        "unit: pct",
    ),
    Case(
        "StatBank table with an unknown status",
        _text(
            "status_bred.csv",
            '"";"";"2023";"2024"\r\n"I alt";"Høje-Taastrup";3400;3443\r\n"Noget andet";"Høje-Taastrup";1;2\r\n',
        ),
        "rejected",
        "the status on line(s) 3 is not one Overgang knows",
    ),
    Case(
        "YAML that is neither targets nor goals", _text("noter.yaml", "hej: verden\n"), "rejected", "under 'targets:'"
    ),
    Case("a PDF", _bytes("rapport.pdf", b"%PDF-1.7"), "rejected", "reads .csv, .txt, .xlsx and .yaml"),
    Case(
        "profilmodel without vintage",
        _text("profil.csv", "Kommune;Årgang;År efter 9. klasse;Andel\r\n169;2023;25;88,1\r\n"),
        "rejected",
        "vintage",
    ),
    Case(
        "mixed encodings in one file",
        _bytes(
            "blandet.csv",
            LONG.encode()
            + "Køge;2024;9+10;EUD;100\r\n".encode()
            + "Høje-Taastrup;2024;9+10;EUD;100\r\n".encode("cp1252"),
        ),
        "rejected",
        "mixed encodings: line 1 is UTF-8 but line 3 is not",
    ),
    Case(
        "extract without its header line (no line content in the message)",
        _text(
            "optagelse_2024.csv",
            "010108-1235;Aya;Aasen;Ahornvej 1;2630;Taastrup;169001;Nordskolen;169;169;9;"
            "Direkte fra skole;1;stx;;2024-02-20\r\n",
        ),
        "rejected",
        "a first line of 16 fields",
    ),
    # --- accepted, with the failing rows in quarantine -----------------------------------
    Case(
        "percentages that do not add up",
        _text(
            "soegetal_2024.csv",
            LONG + "169;2024;9+10;EUD;23,7\r\n169;2024;9+10;GYM;70,1\r\n169;2024;9+10;Øvrige;3,2\r\n"
            "Hele landet;2024;9+10;EUD;20,1\r\nHele landet;2024;9+10;GYM;73,5\r\nHele landet;2024;9+10;Øvrige;6,4\r\n",
            sidecar=SIDE,
        ),
        "accepted",
        kind="published_application_shares",
        quarantine=[
            ("shares_sum_to_100", 2, "share_pct", "23.7"),
            ("shares_sum_to_100", 3, "share_pct", "70.1"),
            ("shares_sum_to_100", 4, "share_pct", "3.2"),
        ],
    ),
    Case(
        "kommune code that does not exist",
        _text("soegetal_999.csv", LONG + "999;2024;9+10;EUD;100\r\n169;2024;9+10;EUD;100\r\n", sidecar=SIDE),
        "accepted",
        kind="published_application_shares",
        quarantine=[("known_area", 2, "kommune_code", "999")],
    ),
    Case(
        "a future year in a table",
        _text("soegetal_future.csv", LONG + "169;2099;9+10;EUD;100\r\n169;2024;9+10;EUD;100\r\n", sidecar=SIDE),
        "accepted",
        kind="published_application_shares",
        quarantine=[("not_future_year", 2, "year", "2099")],
    ),
    Case(
        "Windows-1252, BOM-less, decimal comma, Danish names",
        _text(
            "soegetal_cp1252.csv",
            "Kommune;År;Klassetrin;Uddannelsesgruppe;Procent;Nævner;Geografisk grundlag\r\n"
            "Høje-Taastrup;2024;9. og 10. klasse;Erhvervsuddannelser;23,7;leavers_excl_10th_grade_applicants;school\r\n"
            "Høje-Taastrup;2024;9. og 10. klasse;Gymnasiale uddannelser;70,1;leavers_excl_10th_grade_applicants;school\r\n"
            "Høje-Taastrup;2024;9. og 10. klasse;Øvrige;6,2;leavers_excl_10th_grade_applicants;school\r\n",
            "cp1252",
        ),
        "accepted",
        kind="published_application_shares",
    ),
    Case(
        "UTF-8 with BOM, wide Excel counts",
        _xlsx(
            "soegetal_antal.xlsx",
            [
                ["Kommune", "År", "Klassetrin", "EUD", "GYM", "Øvrige"],
                [169, 2024, "9", 101, 300, 25],
                ["0169", 2024, "10", -3, 80, 12],
            ],
            sidecar=SIDE + "unit: count\n",
        ),
        "accepted",
        kind="published_application_shares",
        quarantine=[("non_negative", 3, "applicants", "-3")],
    ),
    Case(
        "UTF-8 with BOM, decimal comma, a figure given twice",
        _text(
            "soegetal_bom.csv",
            LONG
            + "169;2024;9;EUD;21,5\r\n169;2024;9;GYM;72,4\r\n169;2024;9;Øvrige;6,1\r\n169;2024;9;Øvrige;6,1\r\n"
            # 10th grade adds up: a file none of whose figures would load is refused, not accepted.
            + "169;2024;10;EUD;30,0\r\n169;2024;10;GYM;60,0\r\n169;2024;10;Øvrige;10,0\r\n",
            "utf-8-sig",
            sidecar=SIDE,
        ),
        "accepted",
        kind="published_application_shares",
        # Both copies are held back, and then the rest of 9th grade no longer adds up to 100.
        quarantine=[
            ("one_row_per_figure", 4, None, None),
            ("one_row_per_figure", 5, None, None),
            ("shares_sum_to_100", 2, "share_pct", "21.5"),
            ("shares_sum_to_100", 3, "share_pct", "72.4"),
        ],
    ),
    Case(
        "targets with an impossible percentage",
        _text(
            "maaltal_2026.csv",
            "kommune_code,target_year,target_group,target_pct,value_basis,decided_year,decided_by,stated_growth_pp_per_year,source\r\n"
            "169,2026,EUD,31,published,2025,Børne- og Skoleudvalget,1.3,test\r\n"
            "169,2026,GYM,150,published,2025,Børne- og Skoleudvalget,,test\r\n",
        ),
        "accepted",
        kind="targets",
        quarantine=[("in_range", 3, "target_pct", "150")],
    ),
    Case(
        "goals in YAML with an unknown kind",
        _text(
            "maal.yaml",
            "goals:\n"
            "  - goal_id: htk_eud_30\n    scope: kommune\n    kommune_code: 169\n    indicator: eud_share\n"
            "    indicator_kind: application\n    target_pct: 30\n    or_national_average: nej\n    set_by: Byrådet\n"
            "    description_da: 30 % søger EUD\n    source: test\n"
            "  - goal_id: htk_wish\n    scope: kommune\n    kommune_code: 169\n    indicator: happiness\n"
            "    indicator_kind: wish\n    target_pct: 100\n    or_national_average: nej\n    set_by: Byrådet\n"
            "    description_da: alle glade\n    source: test\n",
        ),
        "accepted",
        kind="goals",
        quarantine=[("isin", 12, "indicator_kind", "wish")],
    ),
    Case(
        "extract without a year in its name, Windows-1252",
        _extract("udtraek_marts.csv", TWO_ROWS, "cp1252"),
        "accepted",
        kind="applications",
    ),
]


# --- hostile extracts, crafted at test time ---------------------------------------------------
def many(n: int, start: int = 0, **changes) -> list[dict]:
    """`n` valid rows for different pupils (1st priority each)."""
    return [
        row(CPR=f"{(i % 28) + 1:02d}{(i // 28) % 12 + 1:02d}08-{1000 + i:04d}", **changes)
        for i in range(start, start + n)
    ]


HUNDRED = many(100)


def _lines(
    name: str,
    rows: list[dict],
    edit: Callable[[list[bytes]], list[bytes]],
    encoding: str = "utf-8",
    end: bytes = b"\r\n",
) -> Callable[[Path], Path]:
    """An extract whose lines (header first, as bytes) are edited before writing."""

    def write(folder: Path) -> Path:
        path = write_extract(folder / name, rows, encoding)
        lines = path.read_bytes().split(b"\r\n")[:-1]
        path.write_bytes(end.join(edit(lines)) + end)
        return path

    return write


def _replace(line: int, old: bytes, new: bytes):
    def edit(lines: list[bytes]) -> list[bytes]:
        lines[line - 1] = lines[line - 1].replace(old, new, 1)
        return lines

    return edit


def _insert(line: int, text: bytes):
    def edit(lines: list[bytes]) -> list[bytes]:
        lines.insert(line - 1, text)
        return lines

    return edit


def _mixed_ends(folder: Path) -> Path:
    path = write_extract(folder / "optagelse_2024.csv", HUNDRED)
    lines = path.read_bytes().split(b"\r\n")[:-1]
    path.write_bytes(b"\r\n".join(lines[:40]) + b"\r\n" + b"\n".join(lines[40:]) + b"\n")
    return path


def _zip_bomb(folder: Path) -> Path:
    """A valid .xlsx with one more part that unpacks to 120 MB (it is 120 KB on disk)."""
    import zipfile

    path = _xlsx("bombe.xlsx", [["Kommune", "År", "EUD", "GYM"], [169, 2024, 23.7, 76.3]])(folder)
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open("xl/media/image1.bin", "w", force_zip64=True) as part:
            block = b"\0" * (1 << 20)
            for _ in range(120):
                part.write(block)
    return path


def _giant_line(folder: Path) -> Path:
    """A file that is one line of 3 MB: the header runs on without a line break."""
    header = ";".join(HEADER).encode()
    (folder / "optagelse_2024.csv").write_bytes(header + (b";010108-1234;Testa" * 170_000))
    return folder / "optagelse_2024.csv"


def _rows_xlsx(n: int) -> list[list]:
    return [["Kommune", "År", "Klassetrin", "EUD", "GYM", "Øvrige"]] + [
        [169, 2000 + i % 25, "9", 1, 2, 3] for i in range(n)
    ]


DUP_HEADER = (";".join(HEADER + ["Uddannelse"]) + "\r\n").encode()
PRIORITY_2 = [row(CPR=f"{i + 1:02d}0308-2{i:03d}", Prioritet="2", Uddannelse="eud_gf1") for i in range(3)]
FIRST = dict(HUNDRED[0])

HOSTILE = [
    # --- refused at the door, in seconds, naming the file and the line ---------------------
    Case(
        "unterminated quote mid-file",
        _lines("optagelse_2024.csv", HUNDRED, _replace(52, b"Testa", b'"Testa')),
        "rejected",
        "line 52 opens a quote",
    ),
    Case(
        "unterminated quote on the last line",
        _lines("optagelse_2024.csv", HUNDRED, _replace(101, b"Testa", b'"Testa')),
        "rejected",
        "line 101 opens a quote",
    ),
    Case(
        "two open quotes that pair up across lines",
        _lines(
            "optagelse_2024.csv",
            HUNDRED,
            lambda ls: _replace(30, b"Testa", b'"Testa')(_replace(40, b"Testa", b'Testa"')(ls)),
        ),
        "rejected",
        "line 30 opens a quote",
    ),
    Case("one giant line, no line break", _giant_line, "rejected", "the first line is longer than 64 KB"),
    Case(
        "a 2 MB line among good ones",
        _lines("optagelse_2024.csv", HUNDRED, _replace(7, b"Testa", b"T" * (2 << 20))),
        "rejected",
        "line 7 is longer than 1 MB",
    ),
    Case(
        "a 200 KB field (over the field limit, under the line limit)",
        _lines("optagelse_2024.csv", HUNDRED, _replace(3, b"Testa", b"T" * 200_000)),
        "rejected",
        "line 3 holds a field longer than 128 KB",
    ),
    Case(
        "a 200 KB quoted field",
        _lines("optagelse_2024.csv", HUNDRED, _replace(3, b"Testa", b'"' + b"T;" * 100_000 + b'"')),
        "rejected",
        "line 3 holds a field longer than 128 KB",
    ),
    Case(
        "duplicated header column",
        lambda folder: _bytes(
            "optagelse_2024.csv",
            DUP_HEADER + b"".join((";".join(r[c] for c in HEADER) + ";stx\r\n").encode() for r in HUNDRED[:5]),
        )(folder),
        "rejected",
        "the header names a column more than once: 'Uddannelse' (fields 16, 19)",
    ),
    Case(
        "header only, no rows",
        _bytes("optagelse_2024.csv", DUP_HEADER.replace(b";Uddannelse\r\n", b"\r\n")),
        "rejected",
        "no application date",
    ),
    Case(
        "CR-only line ends",
        _lines("optagelse_2024.csv", HUNDRED[:10], lambda ls: ls, end=b"\r"),
        "rejected",
        "the lines end in CR only",
    ),
    Case("a .xlsx that unpacks to 120 MB", _zip_bomb, "rejected", "unpacks to 120 MB, more than the limit of 100 MB"),
    Case(
        "a .xlsx with more rows than the limit",
        _xlsx("mange.xlsx", _rows_xlsx(60)),
        "rejected",
        "more than 50 rows (intake.max_xlsx_rows)",
        intake={"max_xlsx_rows": 50},
    ),
    Case(
        "time per file exceeded",
        _extract("optagelse_2024.csv", HUNDRED),
        "rejected",
        "took longer than the limit per file",
        intake={"max_seconds_per_file": 0},
    ),
    Case(
        "CSV text named .xlsx",
        _text("tabel.xlsx", "Kommune;År;EUD\r\n169;2024;23,7\r\n"),
        "rejected",
        "not a readable Excel",
    ),
    Case("an empty .xlsx", _bytes("tom.xlsx", b""), "rejected", "not a readable Excel"),
    Case("a zip that is not a workbook", lambda folder: _zip_plain(folder), "rejected", "not a readable Excel"),
    Case("an .xlsx renamed .csv", lambda folder: _renamed_xlsx(folder), "rejected", "NUL bytes"),
    Case(
        "HTML saved as .csv",
        _text("eksport.csv", "<html><body><table><tr><td>CPR</td></tr></table></body></html>\n"),
        "rejected",
        "unknown layout",
    ),
    Case("JSON file", _text("data.json", '{"CPR": "010108-1235"}'), "rejected", "reads .csv, .txt, .xlsx and .yaml"),
    Case("binary garbage named .txt", _bytes("data.txt", bytes(range(256)) * 40), "rejected", "NUL bytes"),
    Case(
        "truncated inside a UTF-8 letter",
        _bytes("optagelse_2024.csv", (";".join(HEADER) + "\r\n010108-1235;Ø").encode()[:-1]),
        "rejected",
        "truncated",
    ),
    Case(
        "extract with commas instead of semicolons",
        _text("optagelse_2024.csv", ",".join(HEADER) + "\r\n" + ",".join(FIRST[c] for c in HEADER) + "\r\n"),
        "rejected",
        "no application date",
    ),
    Case(
        "YAML larger than any target table",
        _text("maal.yaml", "goals:\n" + "  - x: " + "y" * (2 << 20) + "\n"),
        "rejected",
        "larger than 1 MB",
    ),
    Case(
        "a year in the name with dates a year earlier",
        _extract("optagelse_2025.csv", HUNDRED),
        "rejected",
        "the name says 2025, but the application dates are from 2024",
    ),
    # --- loaded, every line accounted for --------------------------------------------------
    Case(
        "clean extract",
        _extract("optagelse_2024.csv", HUNDRED),
        "accepted",
        kind="applications",
        ledger=(101, 0, 100, 0, 0, 100, 0, 0),
    ),
    Case(
        "mixed CRLF and LF line ends",
        _mixed_ends,
        "accepted",
        kind="applications",
        ledger=(101, 0, 100, 0, 0, 100, 0, 0),
    ),
    Case(
        "LF line ends only",
        _lines("optagelse_2024.csv", HUNDRED, lambda ls: ls, end=b"\n"),
        "accepted",
        kind="applications",
        ledger=(101, 0, 100, 0, 0, 100, 0, 0),
    ),
    Case(
        "no final line break after a complete row",
        lambda folder: _strip_end(_extract("optagelse_2024.csv", HUNDRED)(folder)),
        "accepted",
        kind="applications",
        ledger=(101, 0, 100, 0, 0, 100, 0, 0),
    ),
    Case(
        "exact duplicate rows",
        _extract("optagelse_2024.csv", HUNDRED + [FIRST, FIRST]),
        "accepted",
        kind="applications",
        ledger=(103, 0, 102, 0, 0, 100, 0, 2),
    ),
    Case(
        "pupils without a 1st priority",
        _extract("optagelse_2024.csv", HUNDRED + PRIORITY_2),
        "accepted",
        kind="applications",
        ledger=(104, 0, 103, 0, 0, 100, 3, 0),
        stops="3 of 103 rows (2.91%)",
    ),
    Case(
        "a second 1st priority that differs",
        _extract("optagelse_2024.csv", HUNDRED + [row(CPR=FIRST["CPR"], Uddannelse="hhx")]),
        "accepted",
        kind="applications",
        ledger=(102, 0, 101, 0, 0, 99, 2, 0),
        stops="",
    ),
    Case(
        "blank lines in the middle and at the end",
        _lines("optagelse_2024.csv", HUNDRED, lambda ls: ls[:20] + [b"", b""] + ls[20:] + [b""]),
        "accepted",
        kind="applications",
        ledger=(104, 3, 100, 0, 0, 100, 0, 0),
    ),
    Case(
        "a line with fields missing",
        _lines("optagelse_2024.csv", HUNDRED, _insert(50, b"010108-9999;Kort;linje")),
        "accepted",
        kind="applications",
        ledger=(102, 0, 100, 1, 0, 100, 0, 0),
    ),
    Case(
        "a line with too many fields",
        _lines("optagelse_2024.csv", HUNDRED, _insert(50, b";".join([b"x"] * 25))),
        "accepted",
        kind="applications",
        ledger=(102, 0, 100, 1, 0, 100, 0, 0),
    ),
    Case(
        "the header repeated in the middle (two files pasted together)",
        _lines("optagelse_2024.csv", HUNDRED, lambda ls: ls[:51] + [ls[0]] + ls[51:]),
        "accepted",
        kind="applications",
        ledger=(102, 0, 101, 0, 0, 100, 1, 0),
    ),
    Case(
        "quoted fields with ; and doubled quotes inside",
        _lines(
            "optagelse_2024.csv",
            HUNDRED,
            lambda ls: _replace(10, b"Testa", b'"Te;s""ta"')(_replace(11, b"Taastrup", b'"Taa;strup"')(ls)),
        ),
        "accepted",
        kind="applications",
        ledger=(101, 0, 100, 0, 0, 100, 0, 0),
    ),
    Case(
        "Windows-1252 with Danish letters",
        _extract("optagelse_2024.csv", many(100, Efternavn="Ærø-Østergård"), "cp1252"),
        "accepted",
        kind="applications",
        ledger=(101, 0, 100, 0, 0, 100, 0, 0),
    ),
    Case(
        "UTF-8 with BOM",
        lambda folder: _bom(_extract("optagelse_2024.csv", HUNDRED)(folder)),
        "accepted",
        kind="applications",
        ledger=(101, 0, 100, 0, 0, 100, 0, 0),
    ),
    Case(
        "a tenth of the rows with an unknown education",
        _extract("optagelse_2024.csv", many(90) + many(10, 200, Uddannelse="pilot")),
        "accepted",
        kind="applications",
        ledger=(101, 0, 100, 0, 0, 90, 10, 0),
        stops="10 of 100 rows (10.00%)",
    ),
    Case(
        "several priorities per pupil",
        _extract("optagelse_2024.csv", HUNDRED + many(100, Prioritet="2", Uddannelse="hhx")),
        "accepted",
        kind="applications",
        ledger=(201, 0, 200, 0, 0, 200, 0, 0),
    ),
    Case(
        "trailing empty header columns",
        _lines("optagelse_2024.csv", HUNDRED, lambda ls: [ls[0] + b";;"] + [l + b";;" for l in ls[1:]]),
        "accepted",
        kind="applications",
        ledger=(101, 0, 100, 0, 0, 100, 0, 0),
    ),
]


def _strip_end(path: Path) -> Path:
    path.write_bytes(path.read_bytes().rstrip(b"\r\n"))
    return path


def _bom(path: Path) -> Path:
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    return path


def _zip_plain(folder: Path) -> Path:
    import zipfile

    with zipfile.ZipFile(folder / "arkiv.xlsx", "w") as archive:
        archive.writestr("readme.txt", "hej")
    return folder / "arkiv.xlsx"


def _renamed_xlsx(folder: Path) -> Path:
    path = _xlsx("soegetal.xlsx", [["Kommune", "År", "EUD"], [169, 2024, 23.7]], sidecar=None)(folder)
    return path.rename(path.with_suffix(".csv"))


CASES = CASES + HOSTILE
