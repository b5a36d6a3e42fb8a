"""Small hand-made Optagelse.dk extracts for tests, in the shipped sample's layout."""

from __future__ import annotations

from pathlib import Path

from overgang.generator import HEADER

BASE = {
    "CPR": "010108-1234",
    "Fornavn": "Testa",
    "Efternavn": "Testesen",
    "Adresse": "Prøvevej 1",
    "Postnr": "2630",
    "By": "Taastrup",
    "Telefon": "12345678",
    "Adressebeskyttelse": "N",
    "Skolens institutionsnummer": "169001",
    "Skolens navn": "Høje-Taastrup Nordskole",
    "Skolens kommunenr": "169",
    "Bopælskommunenr": "169",
    "Klassetrin": "9",
    "Ansøgertype": "Direkte fra skole",
    "Prioritet": "1",
    "Uddannelse": "stx",
    "EUX": "",
    "Ansøgningsdato": "2024-02-20",
}


def row(**changes) -> dict:
    return {**BASE, **changes}


def write_extract(
    path: Path, rows: list[dict], encoding: str = "utf-8", raw_lines: dict[int, str] | None = None
) -> Path:
    """Write rows; `raw_lines` puts a literal line at a given (1-based) file line number."""
    lines = [";".join(HEADER)] + [";".join(r[c] for c in HEADER) for r in rows]
    for number, text in sorted((raw_lines or {}).items()):
        lines.insert(number - 1, text)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path
