"""The staging statement's CPR guard (ingest.cpr_guarded: one lambda over the row's guarded values,
its results read back by position) withholds a number in the column it was typed into, and names
that column, whatever the header's layout: columns in another order, read under an alternative
name from data/config/column_map.yaml, an optional column missing (so every later position
shifts), unknown columns between, the optional status column present, two columns of one row
holding a number, empty fields beside it. The other test of this guard uses the shipped layout
only. Staged with ingest.stage_file on a real DuckDB database."""

from __future__ import annotations

import duckdb

from intake.applications.ingest import stage_file
from intake.sql import ensure_work_schema
from overgang.cpr import CPR_WITHHELD

# No 'Skolens navn' (optional); alternative names; unknown columns; a dropped personal column.
HEADER = [
    "Ukendt", "Ansøgningsstatus", "EUX", "Uddannelseskode", "Cprnr", "Fornavn", "Ansøgningsdato",
    "Prioritet", "Note", "Ansøgertype", "Klassetrin", "Bopælskommune", "Skolekommune", "Institutionsnummer",
]  # fmt: skip
STAGED = {
    "Ansøgningsstatus": "application_status",
    "EUX": "eux",
    "Uddannelseskode": "education_code",
    "Ansøgningsdato": "application_date",
    "Prioritet": "priority",
    "Ansøgertype": "applicant_type",
    "Klassetrin": "grade",
    "Bopælskommune": "residence_kommune",
    "Skolekommune": "school_kommune",
    "Institutionsnummer": "school_institution_number",
}
BASE = dict(zip(HEADER, ["u", "Modtaget", "", "hhx", "010108-1234", "Testa", "2024-02-20", "1", "n",
                         "Direkte fra skole", "9", "165", "167", "169002"], strict=True))  # fmt: skip
# Fullwidth digits and an Arabic-Indic spelling: the guard's normalising is part of every match.
NUMBERS = ["０１０１０８－１２３４", "٠١٠١٠٨-١٢٣٤"]


def test_the_guard_withholds_and_names_the_right_column_in_another_layout(tmp_path):
    columns = list(STAGED)
    # Row i: a number in column i and in the column two places on; the column between left empty.
    rows = [
        {**BASE, c: f"x {NUMBERS[0]}", columns[(i + 2) % len(columns)]: NUMBERS[1], columns[(i + 1) % len(columns)]: ""}
        for i, c in enumerate(columns)
    ]
    rows.append({**BASE, "Ukendt": "0101081234", "Note": "0101081234"})  # unknown columns: never read
    path = tmp_path / "optagelse_2024.csv"
    lines = [";".join(HEADER)] + [";".join(r[h] for h in HEADER) for r in rows]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8"))
    con = duckdb.connect(str(tmp_path / "work.duckdb"))
    ensure_work_schema(con)
    stage_file(con, path, 2024, b"k" * 32, False, "run")
    staged = con.execute(
        f"SELECT {', '.join(STAGED.values())}, school_name, cpr_found_in FROM staging_applications ORDER BY source_line"
    ).fetchall()
    assert len(staged) == len(rows)
    for (*values, school_name, found_in), source in zip(staged, rows, strict=True):
        assert school_name is None
        want_found = []
        for column, value in zip(STAGED, values, strict=True):
            if any(n in source[column] for n in NUMBERS):
                assert value == CPR_WITHHELD, f"{column!r}: the number was stored as {value!r}"
                want_found.append(STAGED[column])
            else:
                assert value == (source[column] or None), f"{column!r} changed to {value!r}"
        assert (sorted(found_in.split(",")) if found_in else []) == sorted(want_found), f"cpr_found_in: {found_in!r}"
