"""Hostile tests: ways a changed input of a small source is NOT noticed, so a run for
application years leaves the source out and publishes a table that a full load would not make.

The promise (intake/sources/fingerprint.py): what is published is never stale; any change to
an input loads it again; in doubt, load. Each test ends by comparing what was published with
what the inputs give now."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest

import schemas.published
from intake.inbox.receive import receive
from intake.sources.fingerprint import unchanged
from overgang.settings import DATA_DIR, PROJECT_DIR
from tests.corpus import TWO_ROWS
from tests.extracts import write_extract
from tests.test_incremental_sources import SMALL, _loaded, _new_year, _run, _settings

pytestmark = pytest.mark.integration

GOAL = "htk_completion_95,kommune,169,completed_youth_education,observed,95,"


@pytest.fixture
def first(tmp_path, keyed):
    settings = _settings(tmp_path)
    write_extract(settings.input_dir / "optagelse_2024.csv", TWO_ROWS)
    assert _loaded(_run(settings, 2024)) == SMALL
    return settings


def _goal(db: Path) -> int:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute("SELECT target_pct FROM goals WHERE goal_id = 'htk_completion_95'").fetchone()[0]


# --- 1. the calendar is an input: a published figure "from the future" is held back -------------


def test_a_new_calendar_year_loads_the_published_shares_again(first, tmp_path, monkeypatch):
    """published_application_shares' schema holds back a year after today's (schemas/published.py).
    The same file, read again next January, passes: the source's table changes though no file,
    setting or code did. Left out as unchanged, the figure stays missing from the warehouse."""
    this_year = dt.date.today().year
    folder = first.inbox_dir / "processed" / "published_application_shares"
    folder.mkdir(parents=True)
    (folder / "soegetal.csv").write_text(
        f"Kommune;År;Klassetrin;Uddannelsesgruppe;Procent\r\n"
        f"Høje-Taastrup;{this_year + 1};9+10;EUD;20,0\r\nHøje-Taastrup;{this_year + 1};9+10;GYM;70,0\r\n"
        f"Høje-Taastrup;{this_year + 1};9+10;OEVRIGE;10,0\r\n",
        encoding="utf-8",
    )
    (folder / "soegetal.yaml").write_text(
        "denominator: leavers_excl_10th_grade_applicants\ngeography_basis: school\nsource: https://example.dk\n",
        encoding="utf-8",
    )
    _new_year(first)
    _run(first, 2023)  # loads the file (it is new): the year after this one is held back
    with duckdb.connect(str(first.warehouse), read_only=True) as con:
        held = con.execute("SELECT count(*) FROM published_application_shares WHERE year = $y", {"y": this_year + 1})
        assert held.fetchone()[0] == 0, "a year after today's is held back"

    class NextYear(dt.date):
        @classmethod
        def today(cls):
            return dt.date(this_year + 1, 1, 15)

    monkeypatch.setattr(schemas.published, "date", NextYear)  # the calendar turns; nothing else changes
    _run(first, 2023)
    with duckdb.connect(str(first.warehouse), read_only=True) as con:
        count = con.execute(
            "SELECT count(*) FROM published_application_shares WHERE year = $y", {"y": this_year + 1}
        ).fetchone()[0]
    assert count == 3, "the figures now valid are published (the source was left out as unchanged)"


# --- 2. kill -9 between the table and its fingerprint, then the file taken back -------------------

CHILD = """
import os, signal, sys
import yaml
from pathlib import Path
from dagster import instance_for_test
import assets.sources.registry as registry
from overgang.settings import PROJECT_DIR, Settings
from pipelines.run import execute_main_job

def record(con, tables, print_, run_id):
    if tables == ["goals"]:
        os.kill(os.getpid(), signal.SIGKILL)  # the goals table is written, its fingerprint not yet
    return real(con, tables, print_, run_id)

real, registry.record = registry.record, record
tmp = Path(sys.argv[1])
settings = Settings(home=tmp / "home", input_dir=tmp / "input", pipeline=Settings.load().pipeline, inbox=tmp / "inbox")
storage = yaml.safe_load((PROJECT_DIR / "dagster.yaml").read_text())["storage"]
with instance_for_test(temp_dir=str(settings.home / "dagster"), overrides={"storage": storage}) as instance:
    execute_main_job(settings, instance, years=(2023, 2023))
"""


def test_kill_9_after_the_table_before_its_fingerprint_then_the_correction_taken_back(first, tmp_path):
    """The analyst files a corrected goals file; the run loading it is killed right after the goals
    table is written. The analyst takes the correction back out of processed/ (the old inputs
    again, fingerprint as recorded) and runs: the goals table still holds the withdrawn figure."""
    corrected = tmp_path / "goals_rettet.csv"
    corrected.write_text(
        (DATA_DIR / "goals" / "goals.csv").read_text(encoding="utf-8").replace(GOAL, GOAL.replace(",95,", ",97,")),
        encoding="utf-8",
    )
    outcome = receive(corrected, first, copy=True)
    assert outcome.outcome == "accepted"
    _new_year(first)
    child = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(CHILD), str(tmp_path)],
        cwd=PROJECT_DIR,
        env={**os.environ, "PYTHONPATH": str(PROJECT_DIR)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert child.returncode == -9, child.stderr[-3000:]
    assert _goal(first.work_db) == 97, "the killed run wrote the corrected goals table"

    outcome.stored_as.unlink()  # the correction withdrawn: the inputs are those of the first run
    outcome.stored_as.parent.rmdir()  # (the first run had no processed/goals/ either)
    result = _run(first, 2023)  # also: the killed run's pool slot is freed (recover_dead_runs)
    assert "goals" in _loaded(result), "goals' table is not what its recorded inputs made: load it"
    assert _goal(first.warehouse) == 95


# --- 3. a fingerprint table of another shape: in doubt, load ---------------------------------------


def test_a_fingerprint_table_of_another_shape_means_load(tmp_path):
    settings = _settings(tmp_path)
    settings.work_db.parent.mkdir(parents=True)
    with duckdb.connect(str(settings.work_db)) as con:
        con.execute("CREATE TABLE goals (x INT)")
        con.execute("CREATE TABLE source_inputs (asset_table VARCHAR, loaded_at TIMESTAMP)")  # no fingerprint
    assert unchanged(settings, {"goals": ["goals"]}) == set()
