"""Bad rows land in quarantine with file, line, column, value and rule; bad files stop the run."""

from __future__ import annotations

import duckdb
import pytest

from tests.conftest import run_pipeline
from tests.extracts import row, write_extract

pytestmark = pytest.mark.integration  # every test here runs the main job


def good_rows(n: int, start: int = 0) -> list[dict]:
    return [row(CPR=f"{(i % 28) + 1:02d}0108-{1000 + i:04d}") for i in range(start, start + n)]


def test_malformed_rows_go_to_quarantine(tmp_path, keyed):
    rows = good_rows(600)
    rows[9] = row(CPR="150108-7777", **{"Skolens kommunenr": "999"})  # file line 11
    rows[19] = row(CPR="160108-7777", Uddannelse="pilot")  # file line 21
    rows[29] = row(CPR="170108-7777", Klassetrin="ni")  # file line 31
    rows[39] = row(CPR="ikke et cpr")  # file line 41
    rows[49] = row(CPR="180108-7777", Ansøgningsdato="31-02-2024")  # line 51: no such date
    rows[59] = row(CPR="010108-1000", Uddannelse="hhx")  # line 61: 2nd 1st priority of line 2's pupil
    rows[69] = dict(rows[4])  # line 71: an exact copy of line 6
    rows[79] = row(CPR="190108-7777", Prioritet="2")  # line 81: no 1st priority
    path = write_extract(
        tmp_path / "in" / "optagelse_2024.csv",
        rows,
        encoding="cp1252",
        raw_lines={100: "010108-9999;Too;Many;Fields;" + ";".join(["x"] * 20)},
    )  # line 100
    run = run_pipeline(tmp_path / "home", path.parent)
    assert run.result.success

    con = duckdb.connect(str(run.settings.warehouse), read_only=True)
    q = con.execute(
        "SELECT source_file, source_line, column_name, value, rule FROM quarantine ORDER BY source_line, rule"
    ).fetchall()
    assert ("optagelse_2024.csv", 11, "school_kommune", "999", "known_kommune") in q
    assert ("optagelse_2024.csv", 21, "education_code", "pilot", "known_education_code") in q
    assert ("optagelse_2024.csv", 31, "grade", "ni", "leaving_grade") in q
    assert ("optagelse_2024.csv", 41, "cpr_status", "(CPR number withheld)", "cpr_shaped") in q
    assert ("optagelse_2024.csv", 51, "application_date", "31-02-2024", "required_value") in q
    assert ("optagelse_2024.csv", 2, "priority", "1", "one_first_priority") in q
    assert ("optagelse_2024.csv", 61, "priority", "1", "one_first_priority") in q
    assert ("optagelse_2024.csv", 100, None, None, "csv_structure") in q
    assert ("optagelse_2024.csv", 71, None, None, "duplicate_row") in q
    assert ("optagelse_2024.csv", 81, "priority", "2", "missing_first_priority") in q
    assert len({line for _, line, *_ in q}) == 10
    # Nothing is lost: every data line is either in `applications` or in quarantine, and the
    # ledger says so for the file.
    valid = con.execute("SELECT count(*) FROM applications").fetchone()[0]
    assert valid + 10 == 601
    assert con.execute(
        "SELECT lines, blank_lines, staged_rows, rejected_lines, unaccounted_lines, valid_rows, "
        "quarantined_rows, duplicate_rows FROM file_ledger"
    ).fetchall() == [(602, 0, 600, 1, 0, 591, 8, 1)]
    duplicate = con.execute("SELECT message FROM quarantine WHERE rule = 'duplicate_row'").fetchone()[0]
    assert "exact copy of optagelse_2024.csv line 6" in duplicate
    # The message a person reads names the rule in words, and never the CPR number.
    messages = " ".join(m for (m,) in con.execute("SELECT message FROM quarantine").fetchall())
    assert "kommune code must be one of the 98" in messages
    assert "ikke et cpr" not in messages and "9999" not in messages


def test_run_stops_when_too_many_rows_fail(tmp_path, keyed):
    rows = good_rows(50) + [row(CPR=f"0{i}0208-5555", Uddannelse="pilot") for i in range(1, 10)]
    path = write_extract(tmp_path / "in" / "optagelse_2024.csv", rows)
    run = run_pipeline(tmp_path / "home", path.parent)
    assert not run.result.success
    evaluation = next(e for e in run.result.get_asset_check_evaluations() if e.check_name == "quarantine_share")
    assert not evaluation.passed
    assert (
        "optagelse_2024.csv (2024): 9 of 59 rows (15.25%) are in quarantine or unreadable (limit 2.00%): "
        "known_education_code 9."
    ) in evaluation.description
    # Nothing downstream ran and nothing was published.
    assert not run.settings.warehouse.exists()


def test_file_without_required_columns_is_rejected_with_a_reason(tmp_path, keyed):
    path = tmp_path / "in" / "optagelse_2024.csv"
    path.parent.mkdir(parents=True)
    path.write_text("CPR;Fornavn;Skole\n010108-1234;A;B\n", encoding="utf-8")
    run = run_pipeline(tmp_path / "home", path.parent)
    assert not run.result.success
    from pipelines.run import failure_messages

    message = " ".join(failure_messages(run.result))
    assert "optagelse_2024.csv: the header lacks required columns" in message
    assert "school_kommune (one of: Skolens kommunenr, Skolekommune)" in message
    assert "data/config/column_map.yaml" in message


def test_other_input_without_a_key_is_refused(tmp_path):
    path = write_extract(tmp_path / "in" / "optagelse_2024.csv", good_rows(5))
    run = run_pipeline(tmp_path / "home", path.parent)
    assert not run.result.success
    from pipelines.run import failure_messages

    assert "No key for pseudonymising CPR numbers is configured" in " ".join(failure_messages(run.result))
