"""Fixtures: every test gets its own Overgang home (warehouse, reports, Dagster storage)."""

from __future__ import annotations

import fcntl
import os
import pickle
import shutil
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import pytest
import yaml
from dagster import ExecuteInProcessResult, instance_for_test
from hypothesis import settings as hypothesis_settings
from sqlalchemy import event
from sqlalchemy.engine import Engine

from overgang.settings import PROJECT_DIR, SAMPLE_DIR, Settings
from pipelines.run import execute_main_job
from reports.data import ReportData
from tests.cli import TEST_ENV

# The national job's tests' fixture `tenants` (two tenants, each with a publication set only).
from tests.national_sets import tenants  # noqa: F401

# Property tests: 60 examples each in `make test`; `make test-fast` (--hypothesis-profile=fast) tries
# 12, enough to catch a plain mistake in the edit-test loop, while CI keeps the full search.
hypothesis_settings.register_profile("full", max_examples=60)
hypothesis_settings.register_profile("fast", max_examples=12)
hypothesis_settings.load_profile("full")


@event.listens_for(Engine, "connect")
def _no_fsync(dbapi_connection, _record) -> None:
    """The tests' throwaway Dagster storage (instance_for_test) is written without waiting for the
    disk: Dagster opens, writes and closes an SQLite file for every event, 9.5 ms an event on an
    idle machine here and 6 ms without the fsyncs (25-65 ms against 14 ms while other tests run;
    a hundred events a run). Only this test process: the `overgang` command the tests start in a
    child, and every real run, keep SQLite's durable default."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.execute("PRAGMA synchronous=OFF")


# Tests that start a Dagster run or a browser are `integration`; `make test-fast` runs the rest.
# The slow hostile attacks (kill -9 at many moments, processes at once, an independent attacker's
# solver) are `hostile` as well: `make test-fast` leaves them out too, CI runs them.
# A test is marked by hand (@pytest.mark.integration, or pytestmark for a whole file) or by using
# one of these fixtures, each of which starts a run or a browser.
STARTS_A_RUN_OR_A_BROWSER = {
    "sample_run",
    "browser",
    "published_2024",  # test_no_silent_loss.py
    "attacked",  # test_privacy_attacks.py
    "hostile",  # test_privacy_hostile.py
    "every_report",  # test_disclosure.py
    "every_sample_report",  # every report of the sample, shared by the files that read them all
    "overview",  # test_overview_browser.py
    "public_home",  # test_public_report.py
}


def pytest_collection_modifyitems(items) -> None:
    for item in items:
        if STARTS_A_RUN_OR_A_BROWSER & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.integration)


def _dagster_runs_under(folder: Path) -> list[Path]:
    """Event logs of runs that executed: Dagster's SQLite storage keeps one file per run
    (history/runs/<run id>.db) beside its index."""
    return [p for p in folder.rglob("history/runs/*.db") if p.name != "index.db"]


# Long enough to be accepted (32 bytes or more), and plainly not a real key.
TEST_KEY = "test-key-not-secret-" + "0" * 44


@dataclass
class Run:
    settings: Settings
    result: ExecuteInProcessResult


def run_pipeline(home: Path, input_dir: Path) -> Run:
    settings = Settings(home=home, input_dir=input_dir, pipeline=Settings.load().pipeline, inbox=home.parent / "inbox")
    (home / "dagster").mkdir(parents=True, exist_ok=True)
    # The product's storage (dagster.yaml, pipelines/storage.py), as `overgang run` has it.
    storage = yaml.safe_load((PROJECT_DIR / "dagster.yaml").read_text())["storage"]
    with instance_for_test(temp_dir=str(home / "dagster"), overrides={"storage": storage}) as instance:
        result = execute_main_job(settings, instance)
    return Run(settings, result)


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path, request):
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
    for name, value in TEST_ENV.items():  # no settle wait (tests/cli.py): the same in every child
        monkeypatch.setenv(name, value)
    yield
    # The fast suite stays fast only if nothing unmarked starts a run: a run in this test's own
    # folders (in process, or through the `overgang` command in a child) fails the test here.
    if request.node.get_closest_marker("integration") is None:
        runs = _dagster_runs_under(tmp_path)
        assert not runs, f"this test started a Dagster run ({runs[0]}): mark it @pytest.mark.integration"


@pytest.fixture(scope="session")
def sample_run(tmp_path_factory) -> Run:
    """The main job on the shipped sample, once per test session."""
    run = run_pipeline(tmp_path_factory.mktemp("sample") / "home", SAMPLE_DIR)
    assert run.result.success, run.result.all_events
    return run


@dataclass(frozen=True)
class SampleReport:
    """One council report of the sample, as `overgang report` writes it (audited, with its workbook)."""

    kommune: int
    year: int
    data: ReportData
    path: Path

    def page(self) -> str:
        return self.path.read_text(encoding="utf-8")


# When every sample report says it was made: a fixed time, so the pages are the same in every session.
REPORTS_MADE = datetime(2026, 5, 1, 12, 0)


def _sample_report_pairs(con: duckdb.DuckDBPyConnection) -> list[tuple[int, int]]:
    """(kommune, year) of every council report the warehouse on `con` can make."""
    return [
        (int(k), int(y))
        for k, y in con.execute(
            "SELECT DISTINCT kommune_code, year FROM application_shares WHERE kommune_code <> 0 ORDER BY ALL"
        ).fetchall()
    ]


def _render_every_sample_report(settings: Settings, out: Path) -> list[SampleReport]:
    """Every kommune and year of the sample's warehouse, rendered into `out` the way `overgang
    report` does (reports/render.py: load_report_data on a read-only connection, then
    write_report), at REPORTS_MADE. One connection for all 220, as reports/overview.py reads
    every kommune: opening and closing the warehouse for each report was a quarter of the cost."""
    from reports.render import load_report_data, write_report

    reports = []
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        for k, y in _sample_report_pairs(con):
            data = load_report_data(con, k, y, settings)
            path = write_report(settings, data, out / f"rapport_{k}_{y}.html", REPORTS_MADE)
            reports.append(SampleReport(int(k), int(y), data, path))
    return reports


@pytest.fixture(scope="session")
def every_sample_report(sample_run, tmp_path_factory) -> list[SampleReport]:
    """Every kommune and year of the sample (220 reports, _render_every_sample_report), rendered
    once for every test file that reads them all. The pages stay on disk; each file reads what it
    needs. Under pytest-xdist they are rendered once for all workers (the pattern pytest-xdist
    documents: a file lock in the run's common temporary folder): the first worker to ask renders
    them and leaves the reports pickled beside the pages, the others load that. Every worker's
    sample run is the same job on the same shipped sample, so the pages are the same whichever
    worker renders them."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker is None:  # one process: nobody to share with
        return _render_every_sample_report(sample_run.settings, tmp_path_factory.mktemp("every_sample_report"))
    shared = tmp_path_factory.getbasetemp().parent / "every_sample_report"
    index = shared / "reports.pickle"
    with open(f"{shared}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, also if rendering fails
        if not index.exists():
            shared.mkdir(exist_ok=True)
            reports = _render_every_sample_report(sample_run.settings, shared)
            index.with_suffix(".partial").write_bytes(pickle.dumps(reports))
            index.with_suffix(".partial").replace(index)
            return reports
    reports = pickle.loads(index.read_bytes())
    # Rendered by another worker: they must be this worker's sample's reports, every one of them.
    with duckdb.connect(str(sample_run.settings.warehouse), read_only=True) as con:
        pairs = _sample_report_pairs(con)
    assert [(r.kommune, r.year) for r in reports] == pairs, f"{index} does not hold every report of the sample"
    return reports


@pytest.fixture
def sample_home(sample_run, tmp_path) -> Path:
    """tmp_path/home (and tmp_path/inbox) as `overgang run` on the shipped sample leaves them: a
    copy of the session's sample run, not a new run (10-40 s each)."""
    shutil.copytree(sample_run.settings.home, tmp_path / "home", symlinks=True)
    if sample_run.settings.inbox_dir.exists():
        shutil.copytree(sample_run.settings.inbox_dir, tmp_path / "inbox", symlinks=True)
    return tmp_path / "home"


@pytest.fixture
def keyed(monkeypatch):
    monkeypatch.setenv("OVERGANG_CPR_KEY", TEST_KEY)
    return TEST_KEY
