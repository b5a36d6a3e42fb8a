"""The real StatBank export (STATUSU6, 2024) as downloaded: Windows-1252, no header row."""

from __future__ import annotations

import math

import duckdb
import pytest

from assets.sources.values import danish_number
from assets.statbank.reader import read_statbank
from overgang.settings import DATA_DIR


@pytest.fixture(scope="module")
def statusu6():
    frame, layout = read_statbank(DATA_DIR / "statbank" / "statusu6_2024_by_kommune.csv")
    assert layout["name"] == "statuses_as_columns"
    return frame


def test_hoeje_taastrup_2024_counts(statusu6):
    row = statusu6[statusu6.area == "Høje-Taastrup"].iloc[0]
    assert row.kommune_code == 169 and row.year == 2024
    assert [row.total, row.completed, row.in_progress, row.dropped_out, row.no_registered_education] == [3443, 2388, 528, 298, 229]


def test_areas_mapped(statusu6):
    assert statusu6[statusu6.area == "Hele landet"].kommune_code.iloc[0] == 0
    assert statusu6[statusu6.area == "Hele landet"].total.iloc[0] == 601166
    # 98 municipalities and the country; Christiansø is not a municipality.
    assert statusu6.kommune_code.notna().sum() == 99
    assert statusu6[statusu6.kommune_code.isna()].area.tolist() == ["Christiansø"]


@pytest.mark.parametrize("text, value", [("2.351", 2351), ("7,3", 7.3), ("1.234,5", 1234.5), ("42", 42), ("601166", 601166)])
def test_danish_numbers(text, value):
    assert danish_number(text) == value


def test_blank_is_missing_not_zero():
    assert math.isnan(danish_number("..")) and math.isnan(danish_number(""))


def test_in_warehouse_with_christiansoe_in_quarantine(sample_run):
    with duckdb.connect(str(sample_run.settings.warehouse), read_only=True) as con:
        persons = dict(con.execute("SELECT status, persons FROM completion_status WHERE kommune_code = 169 AND year = 2024").fetchall())
        quarantined = con.execute("SELECT value, rule FROM quarantine WHERE dataset = 'completion_status'").fetchall()
    assert persons == {"total": 3443, "completed": 2388, "in_progress": 528, "dropped_out": 298, "no_registered_education": 229}
    assert quarantined == [("Christiansø", "known_area")]
