"""A corpus of files as analysts receive them, good and bad, each with the outcome it must get.

Every entry writes one file (plus a description file where the case needs one) into a folder
and names what must happen: rejected with a reason containing a phrase, or accepted with the
quarantine rows it must produce (rule, file line, column, raw value).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from openpyxl import Workbook

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
HEADER_NO_EDUCATION = ("CPR;Skolens institutionsnummer;Skolens kommunenr;Bopælskommunenr;Klassetrin;Ansøgertype;"
                       "Prioritet;EUX;Ansøgningsdato\r\n010108-1235;169001;169;169;9;Direkte fra skole;1;;2024-02-20\r\n")
LONG = "Kommune;År;Klassetrin;Uddannelsesgruppe;Procent\r\n"

CASES = [
    # --- whole files refused -------------------------------------------------------------
    Case("empty file", _bytes("optagelse_2024.csv", b""), "rejected", "empty"),
    Case("only a byte-order mark", _bytes("tom.csv", b"\xef\xbb\xbf\r\n"), "rejected", "empty"),
    Case("UTF-16 text", _text("utf16.csv", "CPR;Uddannelse\r\n010108-1235;stx\r\n", "utf-16"), "rejected", "NUL bytes"),
    Case("bytes no encoding decodes", _bytes("garbage.csv", b"CPR;Uddannelse\x81\x8d\x8f;\xff\xfe\x90\r\n"), "rejected",
         "neither UTF-8 nor Windows-1252"),
    Case("extract missing a required column", _text("optagelse_2024.csv", HEADER_NO_EDUCATION), "rejected",
         "education_code (one of: Uddannelse, Uddannelseskode)"),
    Case("unknown layout", _text("noget.csv", "a;b;c\r\n1;2;3\r\n"), "rejected", "unknown layout"),
    Case("truncated extract", _extract("optagelse_2024.csv", TWO_ROWS, cut=20), "rejected", "truncated"),
    Case("future year", _extract("optagelse_2031.csv", [row(Ansøgningsdato="2031-02-20")]), "rejected", "has not begun"),
    Case("name and dates disagree", _extract("optagelse_2023.csv", TWO_ROWS), "rejected", "the name says 2023"),
    Case("no readable application date", _extract("optagelse.csv", [row(Ansøgningsdato="snart")]), "rejected",
         "no application date"),
    Case("truncated Excel file", _xlsx("soegetal.xlsx", [["Kommune", "År", "EUD", "GYM"]], cut=200), "rejected",
         "not a readable Excel"),
    Case("søgetal table without its denominator", _text("soegetal.csv", LONG + "169;2024;9+10;EUD;23,7\r\n"), "rejected",
         "must say its denominator"),
    Case("wide søgetal table without unit", _text("bred.csv", "Kommune;År;EUD;GYM;Øvrige\r\n169;2024;23,7;70,1;6,2\r\n",
                                                   sidecar=SIDE), "rejected", "unit: pct"),
    Case("StatBank table with an unknown status", _text("status_bred.csv",
         '"";"";"2023";"2024"\r\n"I alt";"Høje-Taastrup";3400;3443\r\n"Noget andet";"Høje-Taastrup";1;2\r\n'),
         "rejected", "unknown status label(s) Noget andet"),
    Case("YAML that is neither targets nor goals", _text("noter.yaml", "hej: verden\n"), "rejected", "under 'targets:'"),
    Case("a PDF", _bytes("rapport.pdf", b"%PDF-1.7"), "rejected", "reads .csv, .txt, .xlsx and .yaml"),
    Case("profilmodel without vintage", _text("profil.csv", "Kommune;Årgang;År efter 9. klasse;Andel\r\n169;2023;25;88,1\r\n"),
         "rejected", "vintage"),
    Case("mixed encodings in one file", _bytes("blandet.csv", LONG.encode() + "Køge;2024;9+10;EUD;100\r\n".encode("utf-8")
                                                 + "Høje-Taastrup;2024;9+10;EUD;100\r\n".encode("cp1252")),
         "rejected", "mixed encodings: line 1 is UTF-8 but line 3 is not"),
    Case("extract without its header line (no line content in the message)",
         _text("optagelse_2024.csv", "010108-1235;Aya;Aasen;Ahornvej 1;2630;Taastrup;169001;Nordskolen;169;169;9;"
                                     "Direkte fra skole;1;stx;;2024-02-20\r\n"), "rejected", "a first line of 16 fields"),
    # --- accepted, with the failing rows in quarantine -----------------------------------
    Case("percentages that do not add up", _text("soegetal_2024.csv",
         LONG + "169;2024;9+10;EUD;23,7\r\n169;2024;9+10;GYM;70,1\r\n169;2024;9+10;Øvrige;3,2\r\n"
                "Hele landet;2024;9+10;EUD;20,1\r\nHele landet;2024;9+10;GYM;73,5\r\nHele landet;2024;9+10;Øvrige;6,4\r\n",
         sidecar=SIDE), "accepted", kind="published_application_shares",
         quarantine=[("shares_sum_to_100", 2, "share_pct", "23.7"), ("shares_sum_to_100", 3, "share_pct", "70.1"),
                     ("shares_sum_to_100", 4, "share_pct", "3.2")]),
    Case("kommune code that does not exist", _text("soegetal_999.csv",
         LONG + "999;2024;9+10;EUD;100\r\n169;2024;9+10;EUD;100\r\n", sidecar=SIDE), "accepted",
         kind="published_application_shares", quarantine=[("known_area", 2, "kommune_code", "999")]),
    Case("a future year in a table", _text("soegetal_future.csv",
         LONG + "169;2099;9+10;EUD;100\r\n169;2024;9+10;EUD;100\r\n", sidecar=SIDE), "accepted",
         kind="published_application_shares", quarantine=[("not_future_year", 2, "year", "2099")]),
    Case("Windows-1252, BOM-less, decimal comma, Danish names", _text("soegetal_cp1252.csv",
         "Kommune;År;Klassetrin;Uddannelsesgruppe;Procent;Nævner;Geografisk grundlag\r\n"
         "Høje-Taastrup;2024;9. og 10. klasse;Erhvervsuddannelser;23,7;leavers_excl_10th_grade_applicants;school\r\n"
         "Høje-Taastrup;2024;9. og 10. klasse;Gymnasiale uddannelser;70,1;leavers_excl_10th_grade_applicants;school\r\n"
         "Høje-Taastrup;2024;9. og 10. klasse;Øvrige;6,2;leavers_excl_10th_grade_applicants;school\r\n", "cp1252"),
         "accepted", kind="published_application_shares"),
    Case("UTF-8 with BOM, wide Excel counts", _xlsx("soegetal_antal.xlsx",
         [["Kommune", "År", "Klassetrin", "EUD", "GYM", "Øvrige"], [169, 2024, "9", 101, 300, 25], ["0169", 2024, "10", -3, 80, 12]],
         sidecar=SIDE + "unit: count\n"), "accepted", kind="published_application_shares",
         quarantine=[("non_negative", 3, "applicants", "-3")]),
    Case("UTF-8 with BOM, decimal comma, a figure given twice", _text("soegetal_bom.csv",
         LONG + "169;2024;9;EUD;21,5\r\n169;2024;9;GYM;72,4\r\n169;2024;9;Øvrige;6,1\r\n169;2024;9;Øvrige;6,1\r\n",
         "utf-8-sig", sidecar=SIDE), "accepted", kind="published_application_shares",
         # Both copies are held back, and then the rest of 9th grade no longer adds up to 100.
         quarantine=[("one_row_per_figure", 4, None, None), ("one_row_per_figure", 5, None, None),
                     ("shares_sum_to_100", 2, "share_pct", "21.5"), ("shares_sum_to_100", 3, "share_pct", "72.4")]),
    Case("targets with an impossible percentage", _text("maaltal_2026.csv",
         "kommune_code,target_year,target_group,target_pct,value_basis,decided_year,decided_by,stated_growth_pp_per_year,source\r\n"
         "169,2026,EUD,31,published,2025,Børne- og Skoleudvalget,1.3,test\r\n"
         "169,2026,GYM,150,published,2025,Børne- og Skoleudvalget,,test\r\n"), "accepted", kind="targets",
         quarantine=[("in_range", 3, "target_pct", "150")]),
    Case("goals in YAML with an unknown kind", _text("maal.yaml",
         "goals:\n"
         "  - goal_id: htk_eud_30\n    scope: kommune\n    kommune_code: 169\n    indicator: eud_share\n"
         "    indicator_kind: application\n    target_pct: 30\n    or_national_average: nej\n    set_by: Byrådet\n"
         "    description_da: 30 % søger EUD\n    source: test\n"
         "  - goal_id: htk_wish\n    scope: kommune\n    kommune_code: 169\n    indicator: happiness\n"
         "    indicator_kind: wish\n    target_pct: 100\n    or_national_average: nej\n    set_by: Byrådet\n"
         "    description_da: alle glade\n    source: test\n"), "accepted", kind="goals",
         quarantine=[("isin", 12, "indicator_kind", "wish")]),
    Case("extract without a year in its name, Windows-1252", _extract("udtraek_marts.csv", TWO_ROWS, "cp1252"),
         "accepted", kind="applications"),
]
