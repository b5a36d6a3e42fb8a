"""The benchmark's baselines (bench/baselines.py) compute the pipeline's søgetal: not a timing.

The pipeline's side is made by its own functions (staging, duplicates, validation and
quarantine, applications.sql, application_shares.sql) on one DuckDB connection, without a
Dagster run; each baseline must give the same application_shares, cell for cell. Run on the
shipped sample's newest year as shipped (demo key), and on two years with rows an analyst meets
in real extracts added (own key): copies, a CPR number in the wrong column, 'ukendt', Danish
dates, two or no 1st priorities, unreadable numbers.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from assets.applications.assets import build_applications
from assets.resources import write_table
from assets.sql import read_sql, replace_years
from bench.baselines import compare_shares, file_year, pandas_job, polars_job, reference_tables
from intake.applications.ingest import stage_file
from intake.sql import ensure_work_schema
from overgang.pseudonymise import load_key
from overgang.settings import DATA_DIR, SAMPLE_DIR, series_break_year
from schemas.reference import kommuner

SAMPLE = SAMPLE_DIR
YEARS = (2019, 2025)  # one Windows-1252 file, one UTF-8 file with the sample's bad rows
KEY = "test-key-for-the-bench-baselines-" + "7" * 32


def pipeline_shares(files: list[Path], db: Path) -> tuple[pd.DataFrame, int]:
    key, demo = load_key(files)
    years = sorted({file_year(f) for f in files})
    with duckdb.connect(str(db)) as con:
        ensure_work_schema(con)
        ref = reference_tables()
        write_table(con, "kommuner", kommuner())
        write_table(con, "education_codes", pd.read_csv(DATA_DIR / "config" / "education_codes.csv"))
        write_table(con, "education_groups", ref["education_groups"])
        write_table(con, "applicant_types", ref["applicant_types"])
        for f in files:
            stage_file(con, f, file_year(f), key, demo, "bench-test")
        build_applications(con, years, "bench-test")
        replace_years(
            con,
            "application_shares",
            read_sql("applications", "application_shares"),
            years,
            {"series_break": series_break_year()},
        )
        valid = con.execute("SELECT count(*) FROM applications").fetchone()[0]
        return con.execute("SELECT * FROM application_shares").df(), valid


def messy_copy(folder: Path) -> list[Path]:
    """The two years with extra rows: each breaks one rule, or is a case a baseline gets wrong
    easily. Added after the file's own rows, in the file's encoding."""
    files = []
    for year in YEARS:
        src = SAMPLE / f"optagelse_{year}.csv"
        dst = folder / src.name
        shutil.copy(src, dst)
        encoding = "cp1252" if year < 2020 else "utf-8"
        lines = src.read_text(encoding=encoding).splitlines()
        first, second = lines[1].split(";"), lines[2].split(";")
        extra = [
            lines[5],  # an exact copy of a row: held back once, the first copy counts
            lines[5],
        ]

        def row(base, **change):
            fields = list(base)
            index = {"cpr": 0, "inst": 8, "name": 9, "kommune": 10, "residence": 11, "grade": 12, "type": 13}
            index |= {"priority": 14, "code": 15, "eux": 16, "date": 17}
            for k, v in change.items():
                fields[index[k]] = v
            return ";".join(fields)

        extra += [
            row(first, cpr=f"0202{year % 100 - 16:02d}-1111", name="Skole 010203-4455"),  # CPR in wrong column
            row(first, cpr=f"0303{year % 100 - 16:02d}-1113", residence="ukendt"),  # residence unknown: counted
            row(first, cpr=f"0404{year % 100 - 16:02d}-1115", date=f"05-02-{year}"),  # Danish date
            row(first, cpr=f"0505{year % 100 - 16:02d}-1117", date=f"05.02.{year}", code=" STX "),
            row(first, cpr=f"0606{year % 100 - 16:02d}-1119", residence="abc"),  # unreadable: -1, held back
            row(first, cpr=f"0707{year % 100 - 16:02d}-1121", priority="2"),  # no 1st priority
            row(second, cpr=f"0808{year % 100 - 16:02d}-1123"),  # two 1st priorities
            row(second, cpr=f"0808{year % 100 - 16:02d}-1123", code="hhx"),
            row(first, cpr="", grade=""),  # CPR missing
            row(first, cpr=f"0909{year % 100 - 16:02d}1125", date=f"{year - 1}-12-01"),  # year not the file's
        ]
        with dst.open("a", encoding=encoding, newline="") as f:
            f.write("\n".join(extra) + "\n")
        files.append(dst)
    return files


@pytest.mark.parametrize("messy", [False, True], ids=["sample", "messy"])
def test_baselines_give_the_pipelines_soegetal(tmp_path, monkeypatch, messy):
    if messy:
        monkeypatch.setenv("OVERGANG_CPR_KEY", KEY)
        files = messy_copy(tmp_path)
    else:
        monkeypatch.delenv("OVERGANG_CPR_KEY", raising=False)
        monkeypatch.delenv("OVERGANG_CPR_KEY_FILE", raising=False)
        files = [SAMPLE / "optagelse_2025.csv"]  # with the sample's bad rows
    expected, valid_rows = pipeline_shares(files, tmp_path / "work.duckdb")
    key, _ = load_key(files)
    pandas_out, polars_out = tmp_path / "pandas", tmp_path / "polars"
    pandas_out.mkdir()
    polars_out.mkdir()
    by_pandas, pandas_counts = pandas_job(files, key, pandas_out)
    by_polars, polars_counts = polars_job(files, key, polars_out)
    assert compare_shares(by_pandas, expected) == len(expected) > 0
    assert compare_shares(by_polars, expected) == len(expected)
    # pandera reports a frame-wide failure once per column with pandas, once per row with polars.
    pandas_counts.pop("failure_cases"), polars_counts.pop("failure_cases")
    assert pandas_counts == polars_counts
    assert pandas_counts["rows_written"] == valid_rows
    assert pandas_counts["rows_held_back"] >= (14 if messy else 5)
    assert pandas_counts["duplicates"] == (4 if messy else 0)  # two copies in each year
    assert (pandas_out / "application_shares.parquet").exists() and (polars_out / "applications.parquet").exists()


def _by_file(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


# Every valid row with its pseudonym, sex and file line: the keyed HMAC and the numbering agree.
ROWS = "SELECT pupil_id, sex, year, source_file, source_line, education_group FROM applications ORDER BY ALL"
QUARANTINE = "SELECT source_file, source_line, column_name, rule, value FROM quarantine ORDER BY ALL"
LEDGER = (
    "SELECT source_file, file_year, lines, blank_lines, staged_rows, rejected_lines, unaccounted_lines, "
    "first_rejected_line, duplicate_rows, quarantined_rows, valid_rows, quarantined_by_rule FROM file_ledger ORDER BY ALL"
)


@pytest.mark.parametrize("case", ["sample", "messy", "broken_lines"])
def test_same_work_floor_gives_the_pipelines_soegetal_quarantine_and_ledger(tmp_path, monkeypatch, case):
    """bench/same_work.py does the run's work by hand: its published søgetal, its valid rows (keyed
    pseudonym, sex, file line), its quarantine (file, line, column, rule, value) and its row ledger
    must be the pipeline's. `broken_lines` adds a
    blank line and a line with a field too many to a UTF-8 file: the quick pre-pass must give way
    to the full one, and the lines after them must keep their file line numbers."""
    from bench.same_work import same_work_job

    if case == "sample":
        monkeypatch.delenv("OVERGANG_CPR_KEY", raising=False)
        monkeypatch.delenv("OVERGANG_CPR_KEY_FILE", raising=False)
        files = [SAMPLE / "optagelse_2019.csv", SAMPLE / "optagelse_2025.csv"]
    else:
        monkeypatch.setenv("OVERGANG_CPR_KEY", KEY)
        files = messy_copy(tmp_path)
        if case == "broken_lines":
            lines = files[-1].read_text(encoding="utf-8").splitlines()
            extra = ["", lines[7] + ";an extra field", lines[8], ""]
            with files[-1].open("a", encoding="utf-8", newline="") as f:
                f.write("\n".join(extra) + "\n" + lines[9] + "\n")
    work = tmp_path / "work.duckdb"
    expected, valid_rows = pipeline_shares(files, work)
    key, _ = load_key(files)
    published = tmp_path / "floor" / "published.duckdb"
    published.parent.mkdir()
    counts = same_work_job(files, key, tmp_path / "floor" / "work.duckdb", published)
    with duckdb.connect(str(published), read_only=True) as con:
        shares = con.execute("SELECT * FROM application_shares").df()
        assert con.execute("SELECT count(*) FROM applications").fetchone()[0] == valid_rows
    assert compare_shares(shares, expected) == len(expected) > 0
    assert counts["rows_written"] == valid_rows
    assert _by_file(published, ROWS) == _by_file(work, ROWS)
    assert _by_file(published, QUARANTINE) == _by_file(work, QUARANTINE)
    assert _by_file(published, LEDGER) == _by_file(work, LEDGER)
    if case == "broken_lines":
        assert ("optagelse_2025.csv", "csv_structure") in {(r[0], r[3]) for r in _by_file(published, QUARANTINE)}
    assert (published.parent / "parquet" / "application_shares.parquet").exists()
