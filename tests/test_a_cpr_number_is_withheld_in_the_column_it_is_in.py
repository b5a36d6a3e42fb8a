"""The staging statement's CPR guard withholds a CPR number in the very column it was typed into,
leaves every other column of the row as it was, and names that column (and only it) in
`cpr_found_in` (by its name in staging), for every column an extract is read from. The guard matches all columns of a row
in one expression (ingest.cpr_guarded: one list, one compiled pattern) and maps the results back by
position: a slip there would withhold the wrong column and store the number. Staged with
ingest.stage_file on a real DuckDB database, no Dagster run."""

from __future__ import annotations

import duckdb

from intake.applications.ingest import stage_file
from intake.sql import ensure_work_schema
from overgang.cpr import CPR_WITHHELD
from overgang.generator import HEADER
from tests.extracts import BASE, row, write_extract

# The columns staging keeps besides the CPR column, by their name in the extract and in staging.
GUARDED = {
    "Skolens institutionsnummer": "school_institution_number",
    "Skolens navn": "school_name",
    "Skolens kommunenr": "school_kommune",
    "Bopælskommunenr": "residence_kommune",
    "Klassetrin": "grade",
    "Ansøgertype": "applicant_type",
    "Prioritet": "priority",
    "Uddannelse": "education_code",
    "EUX": "eux",
    "Ansøgningsdato": "application_date",
}
# A number with a typographic dash, so that the guard's normalising is part of every match.
TYPED = "0101081234"[:6] + "\u2013" + "5678"


def test_each_column_withholds_its_own_cpr_number_and_names_only_itself(tmp_path):
    assert set(GUARDED) <= set(HEADER)
    # Row i (from 1) has the number in the i-th guarded column only; its CPR column is its own.
    rows = [row(CPR=f"{i:02d}0208-{1000 + i}", **{column: f"x {TYPED} y"}) for i, column in enumerate(GUARDED, 1)]
    path = write_extract(tmp_path / "optagelse_2024.csv", [*rows, row(CPR="280208-2000")])
    con = duckdb.connect(str(tmp_path / "work.duckdb"))
    ensure_work_schema(con)
    stage_file(con, path, 2024, b"k" * 32, False, "run")
    staged = con.execute(
        f"SELECT source_line, {', '.join(GUARDED.values())}, cpr_found_in FROM staging_applications ORDER BY source_line"
    ).fetchall()
    assert len(staged) == len(rows) + 1
    for (line, *values, found_in), (i, typed_into) in zip(staged, enumerate([*GUARDED, None], 1), strict=True):
        assert line == i + 1
        for column, value in zip(GUARDED, values, strict=True):
            if column == typed_into:
                assert value == CPR_WITHHELD, f"line {line}: the number typed into {column!r} was stored: {value!r}"
            else:
                assert value == BASE[column] or (value is None and BASE[column] == ""), (
                    f"line {line}: {column!r} changed to {value!r}, though the number was in {typed_into!r}"
                )
        want = GUARDED[typed_into] if typed_into else None
        assert found_in == want, f"line {line}: cpr_found_in says {found_in!r}, not {want!r}"
    text = path.read_text(encoding="utf-8")
    assert TYPED in text  # the file did hold the numbers
