"""The real StatBank export (STATUSU6, 2024) as downloaded: Windows-1252, no header row."""

from __future__ import annotations

import math

import duckdb
import pytest

from intake.sources.values import danish_number
from intake.statbank.reader import read_statbank
from overgang.settings import DATA_DIR
from tests.cli import overgang


@pytest.fixture(scope="module")
def statusu6():
    frame, layout = read_statbank(DATA_DIR / "statbank" / "statusu6_2024_by_kommune.csv")
    assert layout["name"] == "statuses_as_columns"
    return frame


def test_hoeje_taastrup_2024_counts(statusu6):
    row = statusu6[statusu6.area == "Høje-Taastrup"].iloc[0]
    assert row.kommune_code == 169 and row.year == 2024
    assert [row.total, row.completed, row.in_progress, row.dropped_out, row.no_registered_education] == [
        3443,
        2388,
        528,
        298,
        229,
    ]


def test_areas_mapped(statusu6):
    assert statusu6[statusu6.area == "Hele landet"].kommune_code.iloc[0] == 0
    assert statusu6[statusu6.area == "Hele landet"].total.iloc[0] == 601166
    # 98 municipalities and the country; Christiansø is not a municipality.
    assert statusu6.kommune_code.notna().sum() == 99
    assert statusu6[statusu6.kommune_code.isna()].area.tolist() == ["Christiansø"]


@pytest.mark.parametrize(
    "text, value", [("2.351", 2351), ("7,3", 7.3), ("1.234,5", 1234.5), ("42", 42), ("601166", 601166)]
)
def test_danish_numbers(text, value):
    assert danish_number(text) == value


def test_blank_is_missing_not_zero():
    assert math.isnan(danish_number("..")) and math.isnan(danish_number(""))


def test_in_warehouse_with_christiansoe_in_quarantine(sample_run):
    with duckdb.connect(str(sample_run.settings.warehouse), read_only=True) as con:
        persons = dict(
            con.execute(
                "SELECT status, persons FROM completion_status WHERE kommune_code = 169 AND year = 2024"
            ).fetchall()
        )
        quarantined = con.execute("SELECT value, rule FROM quarantine WHERE dataset = 'completion_status'").fetchall()
    assert persons == {
        "total": 3443,
        "completed": 2388,
        "in_progress": 528,
        "dropped_out": 298,
        "no_registered_education": 229,
    }
    assert quarantined == [("Christiansø", "known_area")]


# A multi-year hand export of STATUSU6 with years as columns and no header, as StatBank writes it
# when the analyst puts the time on the columns, with an extra variable to filter on. Without its
# description it cannot be read (which column is which year?); with it, it gives a trend.
MULTI_YEAR = [
    ("Fuldført ungdomsuddannelse", "I alt", "Høje-Taastrup", [2301, 2355, 2388]),
    ("Fuldført ungdomsuddannelse", "Mænd", "Høje-Taastrup", [1100, 1130, 1150]),
    ("Igangværende ungdomsuddannelse", "I alt", "Høje-Taastrup", [560, 541, 528]),
    ("Afbrudt ungdomsuddannelse", "I alt", "Høje-Taastrup", [310, 305, 298]),
    ("Ingen registreret ungdomsuddannelse", "I alt", "Høje-Taastrup", [240, 231, 229]),
    ("I alt", "I alt", "Høje-Taastrup", [3411, 3432, 3443]),
]
DESCRIBED = "table: STATUSU6\ncolumns: [status, køn, area]\nyears: [2022, 2023, 2024]\nfilter: {køn: I alt}\n"


def _multi_year(folder, description: str | None = DESCRIBED):
    text = "".join(
        f'"{s}","{k}","{a}",' + ",".join(f"{v:,}".replace(",", ".") for v in values) + "\r\n"
        for s, k, a, values in MULTI_YEAR
    )
    path = folder / "statusu6_trend.csv"
    path.write_bytes(text.encode("cp1252"))
    if description is not None:
        path.with_suffix(".yaml").write_text(description, encoding="utf-8")
    return path


def test_headerless_multi_year_export_read_by_its_description(tmp_path):
    frame, layout = read_statbank(_multi_year(tmp_path))
    assert layout["name"] == "described in statusu6_trend.yaml"
    trend = frame.set_index("year")[["total", "completed", "in_progress", "dropped_out", "no_registered_education"]]
    assert trend.to_dict("index") == {
        2022: dict(total=3411, completed=2301, in_progress=560, dropped_out=310, no_registered_education=240),
        2023: dict(total=3432, completed=2355, in_progress=541, dropped_out=305, no_registered_education=231),
        2024: dict(total=3443, completed=2388, in_progress=528, dropped_out=298, no_registered_education=229),
    }
    assert set(frame.kommune_code) == {169}


@pytest.mark.parametrize(
    "description, says",
    [
        (None, "not a StatBank table in a known layout"),
        ("table: STATUSU99\ncolumns: [status, area]\nyears: [2024]\n", "not pinned"),
        (
            "table: STATUSU6\ncolumns: [status, køn, area]\nyears: [2023, 2024]\nfilter: {køn: I alt}\n",
            "3 columns and 2 years",
        ),
        ("table: STATUSU6\ncolumns: [køn, area]\nyears: [2022, 2023, 2024]\n", "with status and area"),
    ],
)
def test_a_wrong_or_missing_description_is_said(tmp_path, description, says):
    from intake.sources.tables import FileRejected

    with pytest.raises(FileRejected) as err:
        read_statbank(_multi_year(tmp_path, description))
    assert says in str(err.value)


@pytest.mark.integration
def test_inbox_recognises_it_and_the_warehouse_gets_the_trend(tmp_path):
    (tmp_path / "mine").mkdir()
    path = _multi_year(tmp_path / "mine")
    done = overgang(tmp_path, "load", str(path))
    assert "accepted" in done.stderr and "StatBank STATUSU6" in done.stderr, done.stderr[-3000:]
    stored = tmp_path / "inbox" / "processed" / "statbank"
    assert sorted(p.name for p in stored.iterdir()) == ["statusu6_trend.csv", "statusu6_trend.yaml"]
    with duckdb.connect(str(tmp_path / "home" / "warehouse" / "overgang.duckdb"), read_only=True) as con:
        completed = con.execute(
            "SELECT year, persons FROM analyst.completion_status WHERE kommune_code = 169 "
            "AND status = 'completed' ORDER BY year"
        ).fetchall()
    assert completed == [(2022, 2301), (2023, 2355), (2024, 2388)]
