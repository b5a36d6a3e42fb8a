"""Fixtures: every test gets its own Overgang home (warehouse, reports, Dagster storage)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from dagster import ExecuteInProcessResult, instance_for_test

from overgang.settings import SAMPLE_DIR, Settings
from pipelines.run import execute_main_job

# Long enough to be accepted (32 bytes or more), and plainly not a real key.
TEST_KEY = "test-key-not-secret-" + "0" * 44


@dataclass
class Run:
    settings: Settings
    result: ExecuteInProcessResult


def run_pipeline(home: Path, input_dir: Path) -> Run:
    settings = Settings(home=home, input_dir=input_dir, config=Settings.load().config, inbox=home.parent / "inbox")
    (home / "dagster").mkdir(parents=True, exist_ok=True)
    with instance_for_test(temp_dir=str(home / "dagster")) as instance:
        result = execute_main_job(settings, instance)
    return Run(settings, result)


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path):
    for name in (
        "OVERGANG_HOME",
        "OVERGANG_INPUT_DIR",
        "OVERGANG_INBOX",
        "OVERGANG_CPR_KEY",
        "OVERGANG_CPR_KEY_FILE",
        "DAGSTER_HOME",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OVERGANG_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("OVERGANG_INBOX", str(tmp_path / "inbox"))


@pytest.fixture(scope="session")
def sample_run(tmp_path_factory) -> Run:
    """The main job on the shipped sample, once per test session."""
    run = run_pipeline(tmp_path_factory.mktemp("sample") / "home", SAMPLE_DIR)
    assert run.result.success, run.result.all_events
    return run


@pytest.fixture
def keyed(monkeypatch):
    monkeypatch.setenv("OVERGANG_CPR_KEY", TEST_KEY)
    return TEST_KEY
