"""What a run costs that is not the data's work (issue 17), counted rather than timed: the steps
Dagster records and the times the working DuckDB file is opened. Each step costs a run five
events in Dagster's storage and each opening reads the file's catalog; the times are in
bench/results/analyst_loop.json."""

from __future__ import annotations

import duckdb
import pytest
from dagster import DagsterEventType

from overgang.settings import SAMPLE_DIR
from tests.conftest import run_pipeline

pytestmark = pytest.mark.integration


def test_a_run_opens_the_working_database_once_and_takes_14_steps(tmp_path, monkeypatch):
    opened = []
    real = duckdb.connect

    def counting(database=":memory:", *args, **kwargs):
        opened.append(str(database))
        return real(database, *args, **kwargs)

    # Only the count is taken: every file is opened for real.
    monkeypatch.setattr(duckdb, "connect", counting)
    run = run_pipeline(tmp_path / "home", SAMPLE_DIR)
    assert run.result.success
    work = str(run.settings.work_db)
    assert opened.count(work) == 1, opened
    steps = [e.step_key for e in run.result.all_events if e.event_type == DagsterEventType.STEP_START]
    # reference_tables, the five registry sources (their quarantine checks in the same step),
    # application_extracts, applications, its two blocking checks, share_tables, warehouse,
    # publication_set and council_report.
    assert len(steps) == 14, steps


def test_one_table_of_a_combined_step_can_still_be_loaded_alone(tmp_path):
    """The reference tables share one step: selecting one of them (as in the UI) loads that one."""
    from dagster import AssetKey, instance_for_test

    from overgang.settings import Settings
    from pipelines.definitions import build_definitions

    settings = Settings(home=tmp_path / "home", input_dir=SAMPLE_DIR, pipeline=Settings.load().pipeline)
    job = build_definitions(settings).resolve_implicit_global_asset_job_def()
    (tmp_path / "dagster").mkdir()
    with instance_for_test(temp_dir=str(tmp_path / "dagster")) as instance:
        result = job.execute_in_process(instance=instance, asset_selection=[AssetKey("kommuner")])
    assert result.success
    assert [e.asset_key.to_user_string() for e in result.get_asset_materialization_events()] == ["kommuner"]
    with duckdb.connect(str(settings.work_db), read_only=True) as con:
        tables = {t for (t,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert "kommuner" in tables and "education_codes" not in tables
