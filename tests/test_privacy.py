"""No CPR number, name, address or phone number gets past ingestion."""

from __future__ import annotations

import re

import duckdb
import pandas as pd
import pytest

from overgang.encoding import inspect
from overgang.settings import SAMPLE_DIR

CPR_SHAPE = re.compile(r"(?<!\d)[0-3]\d[01]\d\d\d-?\d{4}(?!\d)")
# A value that is wholly a machine's identifier: a Dagster run id (a random UUID) or a file's
# SHA-256. Either holds ten digits in a row that look like a CPR number in about one suite in a
# few hundred, and neither can hold one: no row, field or name is ever written into it.
MACHINE_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{64}")


@pytest.fixture(scope="module")
def personal() -> dict[str, set[str]]:
    frames = [
        pd.read_csv(p, sep=";", dtype=str, encoding=inspect(p).encoding, keep_default_na=False)
        for p in sorted(SAMPLE_DIR.glob("*.csv"))
    ]
    raw = pd.concat(frames)
    cprs = set(raw["CPR"]) - {""}
    return {
        "cpr": cprs | {c.replace("-", "") for c in cprs},
        "words": set(raw["Fornavn"]) | set(raw["Efternavn"]) | {a.rsplit(" ", 1)[0] for a in raw["Adresse"]},
        "exact": set(raw["Adresse"]) | set(raw["Telefon"]),
    }


def _text_values(db) -> list[str]:
    values = []
    with duckdb.connect(str(db), read_only=True) as con:
        columns = con.execute(
            "SELECT schema_name, table_name, column_name FROM duckdb_columns() "
            "WHERE data_type = 'VARCHAR' AND NOT internal"
        ).fetchall()
        for schema, table, column in columns:
            values += [
                v
                for (v,) in con.execute(
                    f'SELECT DISTINCT "{column}" FROM "{schema}"."{table}" WHERE "{column}" IS NOT NULL'
                ).fetchall()
            ]
    assert values, f"no text found in {db}"
    return values


def _assert_clean(texts: list[str], personal, where: str) -> None:
    for text in texts:
        # A machine id passes when its CPR-shaped digits are chance, not a CPR number of the sample.
        shaped = [m.group() for m in CPR_SHAPE.finditer(text)]
        if MACHINE_ID.fullmatch(text):
            shaped = [m for m in shaped if m in personal["cpr"]]
        assert not shaped, f"CPR-shaped value in {where}: {text[:60]!r}"
        assert text not in personal["exact"], f"address or phone number in {where}"
        words = set(re.findall(r"[\wæøåÆØÅ]+", text))
        leaked = words & personal["words"]
        assert not leaked, f"name or street in {where}: {sorted(leaked)[:5]}"


def test_warehouse_holds_no_personal_data(sample_run, personal):
    for db in (sample_run.settings.warehouse, sample_run.settings.work_db):
        _assert_clean(_text_values(db), personal, db.name)


def test_report_holds_no_personal_data(sample_run, personal):
    report = next(sample_run.settings.reports_dir.glob("rapport_169_*.html")).read_text(encoding="utf-8")
    body = report.split("</head>", 1)[1]  # plotly.js itself is library code
    _assert_clean([body], personal, "the report")
    # The head holds plotly.js (library code, long digit runs); no CPR of the sample is in the body.
    candidates = set(re.findall(r"\d{6}-?\d{4}", body))
    assert not candidates & personal["cpr"]


def test_dagster_run_storage_holds_no_cpr(sample_run, personal):
    # Run logs and metadata are stored as plain text in SQLite files: scan their bytes.
    blobs = b"".join(p.read_bytes() for p in (sample_run.settings.home / "dagster").rglob("*") if p.is_file())
    assert blobs
    sample = sorted(personal["cpr"])[:2000]
    assert not [c for c in sample if c.encode() in blobs]


def test_only_whole_machine_ids_are_passed_over(personal):
    # The scan passes over a whole run id or digest that happens to look CPR-shaped, and nothing
    # else: a CPR number inside, beside or instead of one is still found.
    uuid_like = "0a1b2c3d-0101-4e5f-9a8b-2301019876ab"
    assert MACHINE_ID.fullmatch(uuid_like) and MACHINE_ID.fullmatch("ab" * 32)
    _assert_clean(["1a2b3c4d-0000-4000-8000-010190123400", "f" * 24 + "0101901234" + "e" * 30], personal, "ids")
    for leak in ("010190-1234", "run 1a2b3c4d-0000-4000-8000-000000000000 010190-1234", "0101901234" + "a" * 53):
        with pytest.raises(AssertionError, match="CPR-shaped"):
            _assert_clean([leak], personal, "a leak")
