"""No silent loss: a year is published whole or not at all, a bad file never blocks, replaces
or shrinks good data, runs cannot collide, and what the command says is what happened.

Real parts throughout: real DuckDB files, real Dagster runs (in this process or through the
`overgang` command), files crafted here in temporary folders.
"""

from __future__ import annotations

import csv
import errno
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from dagster import AssetKey, SkipReason, build_sensor_context, instance_for_test

import intake.inbox.receive as receive_module
from assets.resources import ProjectSettings
from assets.warehouse.assets import publish, sane
from intake.inbox.receive import receive
from intake.inbox.recognise import Recognised
from overgang.home import RunLocked, run_lock
from overgang.settings import PROJECT_DIR, Settings
from pipelines.definitions import build_definitions
from pipelines.run import execute_main_job, failure_messages, published_in
from pipelines.sensors import changed_extracts
from tests.cli import overgang
from tests.conftest import TEST_KEY
from tests.corpus import CASES, many
from tests.extracts import write_extract

THREE_HUNDRED = many(300)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _settings(tmp_path: Path, input_dir: Path) -> Settings:
    return Settings(
        home=tmp_path / "home", input_dir=input_dir, pipeline=Settings.load().pipeline, inbox=tmp_path / "inbox"
    )


def _rows(settings: Settings, year: int = 2024) -> int:
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        return con.execute("SELECT count(*) FROM applications WHERE year = $y", {"y": year}).fetchone()[0]


def _env(home: Path, key: bool = True, **extra) -> dict:
    env = {**os.environ, "OVERGANG_HOME": str(home), "PYTHONUNBUFFERED": "1", **extra}
    env.pop("DAGSTER_HOME", None)
    env.pop("OVERGANG_CPR_KEY", None)
    if key:
        env["OVERGANG_CPR_KEY"] = TEST_KEY
    return env


def _settled(path: Path) -> Path:
    """A file written a minute ago: `overgang load` does not wait for it to settle."""
    past = time.time() - 60
    os.utime(path, (past, past))
    return path


def _outcomes(inbox: Path) -> list[str]:
    with (inbox / "processed" / "ledger.csv").open(encoding="utf-8", newline="") as f:
        return [r["outcome"] for r in csv.DictReader(f)]


def _cli(home: Path, *args: str, key: bool = True, **extra) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "pipelines.cli", *args],
        cwd=PROJECT_DIR,
        env=_env(home, key, **extra),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@pytest.fixture(scope="module")
def _template(tmp_path_factory) -> Path:
    """One run per module: a home whose published warehouse holds 2024 from a 300-row extract."""
    base = tmp_path_factory.mktemp("template")
    good = write_extract(base / "good" / "optagelse_2024.csv", THREE_HUNDRED)
    settings = _settings(base, good.parent)
    (settings.home / "dagster").mkdir(parents=True)
    os.environ["OVERGANG_CPR_KEY"] = TEST_KEY
    try:
        with instance_for_test(temp_dir=str(settings.home / "dagster")) as instance:
            result = execute_main_job(settings, instance, years=(2024, 2024))
    finally:
        del os.environ["OVERGANG_CPR_KEY"]
    assert result.success, failure_messages(result)
    return base


@pytest.fixture
def published_2024(_template, tmp_path, keyed):
    """A copy of the template home (its own warehouse, working database and run history)."""
    for name in ("home", "good"):
        shutil.copytree(_template / name, tmp_path / name)
    settings = _settings(tmp_path, tmp_path / "good")
    assert _rows(settings) == 300
    return settings


def _run(settings: Settings, input_dir: Path, **kwargs):
    settings = Settings(home=settings.home, input_dir=input_dir, pipeline=settings.pipeline, inbox=settings.inbox_dir)
    with instance_for_test(temp_dir=str(settings.home / "dagster")) as instance:
        return settings, execute_main_job(settings, instance, years=(2024, 2024), **kwargs)


def test_unclosed_quote_behind_the_inbox_stops_the_year_and_keeps_it(published_2024, tmp_path, monkeypatch):
    """The issue's headline: an extract whose quote on line 52 swallows the rest published the
    year with 50 rows. The input folder now goes through the inbox, whose check refuses the file
    at the door (line 52 named) before a run starts; behind the inbox, a file that got past its
    check (simulated) is stopped by the row ledger per file, and the published year keeps all
    its rows."""
    before = _sha(published_2024.warehouse)
    bad = write_extract(tmp_path / "bad" / "optagelse_2024.csv", THREE_HUNDRED)
    lines = bad.read_bytes().split(b"\r\n")
    lines[51] = lines[51].replace(b"Testa", b'"Testa', 1)
    bad.write_bytes(b"\r\n".join(lines))
    settings, result = _run(published_2024, bad.parent)
    assert not result.success and not published_in(result)
    assert "optagelse_2024.csv: line 52 opens a quote" in " ".join(failure_messages(result))
    assert _sha(settings.warehouse) == before and _rows(settings) == 300

    behind = tmp_path / "behind" / "optagelse_2024.csv"
    behind.parent.mkdir()
    shutil.copy2(bad, behind)
    monkeypatch.setattr(receive_module, "recognise", lambda *a, **k: Recognised("applications", 2024, "let through"))
    settings, result = _run(published_2024, behind.parent)
    assert not result.success and not published_in(result)
    message = " ".join(failure_messages(result))
    assert (
        "optagelse_2024.csv (2024): 249 of its 301 lines were not read as rows from line 52 on (a quote that is never "
        "closed joins the lines after it into one); only 50 rows were read."
    ) in message
    assert _sha(settings.warehouse) == before and _rows(settings) == 300


def test_smaller_extract_stops_unless_accepted(published_2024, tmp_path):
    smaller = write_extract(tmp_path / "ny" / "optagelse_2024_ny.csv", THREE_HUNDRED[:100])
    before = _sha(published_2024.warehouse)
    settings, result = _run(published_2024, smaller.parent)
    assert not result.success
    check = next(e for e in result.get_asset_check_evaluations() if e.check_name == "year_not_smaller")
    assert check.description.startswith(
        "2024: optagelse_2024_ny.csv has 100 valid rows, 66.7% fewer than the 300 of optagelse_2024.csv now published "
        "(more than 20% fewer). The year is not replaced."
    )
    assert "--accept-smaller" in check.description
    assert _sha(settings.warehouse) == before and _rows(settings) == 300
    # Within the limit (a tenth fewer) it goes through; with --accept-smaller so does a third.
    settings, result = _run(published_2024, smaller.parent, accept_smaller=True)
    assert result.success, failure_messages(result)
    assert _rows(settings) == 100


def test_a_bad_file_beside_good_ones_in_the_inbox(tmp_path, monkeypatch, keyed):
    """One sensor tick over good files and hostile ones, one of which makes the reader raise an
    error nobody foresaw: the good ones are filed and get runs, each bad one is rejected with a
    reason naming it, and the sensor itself does not fail."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    project = ProjectSettings(home=str(tmp_path / "home"), input_dir=str(tmp_path / "none"), inbox_dir=str(inbox))
    write_extract(inbox / "optagelse_2024.csv", THREE_HUNDRED)
    next(c for c in CASES if c.name == "targets with an impossible percentage").write(inbox)
    for i, name in enumerate(
        ("unterminated quote mid-file", "a .xlsx that unpacks to 120 MB", "one giant line, no line break")
    ):
        (tmp_path / str(i)).mkdir()
        path = next(c for c in CASES if c.name == name).write(tmp_path / str(i))
        path.rename(inbox / f"bad{i}_{path.name}")
    (inbox / "uventet.csv").write_text("Kommune;År\r\n169;2024\r\n", encoding="utf-8")
    real = receive_module.recognise

    def recognise(path, *args, **kwargs):
        if path.name == "uventet.csv":
            raise MemoryError("simulated: something nobody foresaw")
        return real(path, *args, **kwargs)

    monkeypatch.setattr(receive_module, "recognise", recognise)
    past = time.time() - 60
    for path in inbox.iterdir():
        os.utime(path, (past, past))
    result = changed_extracts(build_sensor_context(resources={"project": project}))
    assert {(r.job_name, r.partition_key) for r in result.run_requests} == {
        ("overgang_main", "2024"),
        ("sources_refresh", None),
    }
    reasons = {
        p.name.removesuffix(".reason.txt"): p.read_text(encoding="utf-8")
        for p in (inbox / "rejected").glob("*.reason.txt")
    }
    assert set(reasons) == {"bad0_optagelse_2024.csv", "bad1_bombe.xlsx", "bad2_optagelse_2024.csv", "uventet.csv"}
    assert "bad0_optagelse_2024.csv: line 52 opens a quote" in reasons["bad0_optagelse_2024.csv"]
    assert "bad1_bombe.xlsx: the Excel file unpacks to 120 MB" in reasons["bad1_bombe.xlsx"]
    assert "bad2_optagelse_2024.csv: the first line is longer than 64 KB" in reasons["bad2_optagelse_2024.csv"]
    assert "uventet.csv: the file could not be taken in (MemoryError: simulated" in reasons["uventet.csv"]
    assert "Traceback" not in " ".join(reasons.values())
    assert [p.name for p in inbox.iterdir() if p.is_file() and not p.name.startswith(".")] == []


def test_a_file_growing_while_the_sensor_looks(tmp_path, monkeypatch, keyed):
    """A copy that is still running when the sensor reads it: rows arrive while the file is being
    recognised. It is left in the inbox (no run, nothing filed) and taken whole on a later tick."""
    monkeypatch.delenv("OVERGANG_INBOX_SETTLE_SECONDS")  # the settle time of pipeline.yaml: this test is about it
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    project = ProjectSettings(home=str(tmp_path / "home"), input_dir=str(tmp_path / "none"), inbox_dir=str(inbox))
    full = write_extract(tmp_path / "full.csv", THREE_HUNDRED).read_bytes()
    growing = inbox / "optagelse_2024.csv"
    growing.write_bytes(full[: len(full) // 3].rsplit(b"\r\n", 1)[0] + b"\r\n")  # cut at a line boundary
    past = time.time() - 60
    os.utime(growing, (past, past))
    real = receive_module.recognise

    def recognise_while_copying(path, *args, **kwargs):
        found = real(path, *args, **kwargs)
        path.write_bytes(full)  # the copy goes on while the file is read
        return found

    monkeypatch.setattr(receive_module, "recognise", recognise_while_copying)
    assert isinstance(changed_extracts(build_sensor_context(resources={"project": project})), SkipReason)
    assert growing.exists() and not (inbox / "processed" / "applications").exists()
    monkeypatch.setattr(receive_module, "recognise", real)
    # Changed a moment ago: the sensor's settle time keeps it waiting ...
    assert isinstance(changed_extracts(build_sensor_context(resources={"project": project})), SkipReason)
    assert growing.exists()
    # ... until the copy has stopped; then it is taken whole.
    os.utime(growing, (past, past))
    result = changed_extracts(build_sensor_context(resources={"project": project}))
    assert [r.partition_key for r in result.run_requests] == ["2024"]
    assert (
        _sha(inbox / "processed" / "applications" / "2024" / "pending" / "optagelse_2024.csv")
        == hashlib.sha256(full).hexdigest()
    )


@pytest.mark.integration
def test_two_runs_at_once(tmp_path):
    """A second run in the same home while one is running is refused at once, naming the run
    that holds the home; the first finishes and publishes."""
    folder = write_extract(tmp_path / "in" / "optagelse_2024.csv", many(3000)).parent
    home = tmp_path / "home"
    first = _cli(home, "run", "--input", str(folder), "--year", "2024")
    for line in first.stdout:
        if "optagelse_2024.csv" in line:
            break
    holder = json.loads((home / "run.lock").read_text(encoding="utf-8"))
    settings = Settings(home=home, input_dir=folder, pipeline=Settings.load().pipeline)
    (tmp_path / "other_dagster").mkdir()
    with pytest.raises(RunLocked) as refused:
        with instance_for_test(temp_dir=str(tmp_path / "other_dagster")) as instance:
            execute_main_job(settings, instance, years=(2024, 2024))
    assert f"Another run is using {home}: run {holder['run_id']} (overgang_main, process {first.pid}" in str(
        refused.value
    )
    out = first.communicate(timeout=300)[0]
    assert first.returncode == 0, out
    assert holder["run_id"][:8] in out
    # The CLI says the same to an analyst, without a traceback.
    with run_lock(home, "holder-run-id", "test"):
        second = _cli(home, "run", "--input", str(folder), "--year", "2024")
        text = second.communicate(timeout=120)[0]
    assert second.returncode == 1 and "Another run is using" in text and "run holder-run-id (test" in text
    assert "Traceback" not in text


def test_two_loads_of_one_file_at_once(tmp_path):
    good = _settled(write_extract(tmp_path / "optagelse_2024.csv", THREE_HUNDRED))
    home = tmp_path / "home"
    loads = [_cli(home, "load", "--no-run", str(good), OVERGANG_INBOX=str(home / "inbox")) for _ in range(2)]
    outputs = [" ".join(p.communicate(timeout=120)[0].split()) for p in loads]
    assert all(p.returncode == 0 for p in loads), outputs
    assert sorted(o.split(" optagelse_2024.csv")[0].split()[-1] for o in outputs) == ["accepted", "duplicate"]
    assert sum("already received (its run has not finished)" in o for o in outputs) == 1
    assert _outcomes(home / "inbox") == ["received", "duplicate"]
    assert [p.name for p in (home / "inbox" / "processed" / "applications" / "2024" / "pending").iterdir()] == [
        "optagelse_2024.csv"
    ]


def test_failed_load_keeps_the_year_and_can_be_retried(published_2024, tmp_path):
    """`overgang load` of a corrected extract without a key: the run fails, the file goes to
    rejected/ with the reason, the year's extract stays current and published; loaded again
    with the key, it replaces the year."""
    inbox = published_2024.inbox_dir
    assert (published_2024.home, inbox) == (tmp_path / "home", tmp_path / "inbox")  # where overgang() looks
    first = write_extract(tmp_path / "first" / "optagelse_2024.csv", THREE_HUNDRED)
    assert receive(first, published_2024, copy=True).outcome == "accepted"  # what `overgang load` does, in this process
    assert _run(published_2024, tmp_path / "good")[1].success
    current = inbox / "processed" / "applications" / "2024" / "optagelse_2024.csv"
    assert current.exists()
    corrected = _settled(write_extract(tmp_path / "optagelse_2024_rettet.csv", THREE_HUNDRED[:290]))
    before = _sha(published_2024.warehouse)
    # In this process (tests/cli.py): the command's output and exit status, not its process, are the point.
    failing = overgang(tmp_path, "load", str(corrected), OVERGANG_INPUT_DIR=str(tmp_path / "good"))
    out = " ".join((failing.stdout + failing.stderr).split())
    assert failing.returncode == 1, out
    assert "No key for pseudonymising CPR numbers" in out and "Nothing was published" in out
    assert "optagelse_2024_rettet.csv was moved to" in out and "Traceback" not in out
    assert _sha(published_2024.warehouse) == before and current.exists()
    reason = (inbox / "rejected" / "optagelse_2024_rettet.csv.reason.txt").read_text(encoding="utf-8")
    assert "The extract loaded before (optagelse_2024.csv) stays current." in reason
    assert receive(corrected, published_2024, copy=True).outcome == "accepted"
    settings, result = _run(published_2024, tmp_path / "good")
    assert result.success, failure_messages(result)
    assert (
        inbox / "processed" / "applications" / "2024" / "optagelse_2024_rettet.csv"
    ).exists() and not current.exists()
    assert _rows(published_2024) == 290
    # The input folder's file (the same content as the first load) is taken in once, as a duplicate.
    assert _outcomes(inbox) == ["received", "duplicate", "loaded", "received", "failed", "received", "loaded"]


def test_kill_during_publish(published_2024, tmp_path):
    """kill -9 while the warehouse is being published: the published file opens and is one whole
    version, old or new; the next run publishes and keeps a sane previous one."""
    before = _sha(published_2024.warehouse)
    folder = write_extract(tmp_path / "next" / "optagelse_2024.csv", THREE_HUNDRED[:280]).parent
    run = _cli(published_2024.home, "run", "--input", str(folder), "--year", "2024")
    for line in run.stdout:
        if "publishing" in line:
            os.kill(run.pid, signal.SIGKILL)
            break
    run.wait(timeout=60)
    assert run.returncode == -signal.SIGKILL
    assert sane(published_2024.warehouse) is None
    assert _sha(published_2024.warehouse) == before or _rows(published_2024) == 280
    settings, result = _run(published_2024, folder)
    assert result.success, failure_messages(result)
    assert _rows(settings) == 280
    assert sane(settings.warehouse.with_name("overgang.previous.duckdb")) is None


def test_disk_full_while_publishing(published_2024, tmp_path, monkeypatch):
    """The disk fills while the new warehouse is written (an injected ENOSPC): the run says what
    to do, the published warehouse is unchanged, and the next run publishes."""
    import assets.warehouse.assets as warehouse

    before = _sha(published_2024.warehouse)

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    real = warehouse.export_parquet
    monkeypatch.setattr(warehouse, "export_parquet", full)
    folder = write_extract(tmp_path / "next" / "optagelse_2024.csv", THREE_HUNDRED[:280]).parent
    settings, result = _run(published_2024, folder)
    assert not result.success and not published_in(result)
    message = " ".join(failure_messages(result, settings))
    assert (
        "No space left on device" in message and f"The disk holding OVERGANG_HOME ({settings.home}) is full" in message
    )
    assert _sha(settings.warehouse) == before
    monkeypatch.setattr(warehouse, "export_parquet", real)
    settings, result = _run(published_2024, folder)
    assert result.success, failure_messages(result)
    assert _rows(settings) == 280


def test_previous_kept_only_if_sane_and_rollback(published_2024, tmp_path):
    settings = published_2024
    previous = settings.warehouse.with_name("overgang.previous.duckdb")
    with duckdb.connect(str(settings.work_db)) as work:
        publish(work, settings.warehouse, settings.pipeline.storage_compatibility_version)
    good_previous = _sha(previous)
    assert sane(previous) is None
    # The published file is damaged (a truncated copy): publishing again must not keep it as previous.
    data = settings.warehouse.read_bytes()
    settings.warehouse.write_bytes(data[: len(data) // 3])
    assert sane(settings.warehouse) is not None
    with duckdb.connect(str(settings.work_db)) as work:
        meta = publish(work, settings.warehouse, settings.pipeline.storage_compatibility_version)
    assert meta["previous"].startswith("the published file could not be opened")
    assert _sha(previous) == good_previous and sane(settings.warehouse) is None
    # Damaged again: rollback puts the previous version back and keeps the damaged one aside.
    settings.warehouse.write_bytes(b"not a database")
    env = {"OVERGANG_INBOX": str(settings.inbox_dir)}
    query = _cli(settings.home, "query", "SELECT 1", **env)
    rolled = _cli(settings.home, "rollback", **env)
    out = " ".join(rolled.communicate(timeout=60)[0].split())
    query.communicate(timeout=60)
    assert rolled.returncode == 0, out
    assert "Rolled back:" in out and "overgang.rolled-back.duckdb" in out
    assert sane(settings.warehouse) is None and _rows(settings) == 300
    assert settings.warehouse.with_name("overgang.rolled-back.duckdb").read_bytes() == b"not a database"


def test_partition_materialised_from_the_ui_then_a_cli_run(published_2024, tmp_path):
    """Materialising one partition from the UI: only application_extracts (what the README used
    to say) leaves the year half-built, and the next run says so truthfully; the year with
    everything downstream (what the README says now) lets the next run publish."""
    settings = published_2024
    folder = tmp_path / "good"
    write_extract(folder / "optagelse_2023.csv", many(300, Ansøgningsdato="2023-02-20"))
    with instance_for_test(temp_dir=str(settings.home / "dagster")) as instance:
        job = build_definitions(settings).resolve_implicit_global_asset_job_def()
        only_extracts = job.execute_in_process(
            instance=instance,
            partition_key="2024",
            raise_on_error=False,
            asset_selection=[AssetKey("application_extracts")],
        )
        assert only_extracts.success
        result = execute_main_job(settings, instance, years=(2023, 2023))
        assert not result.success
        message = " ".join(failure_messages(result))
        assert (
            f"years 2024 were left half-built by a run that succeeded but built only part of the year (materialised "
            f"from the UI without the assets downstream of application_extracts) ({only_extracts.run_id[:8]}, success)"
            in message
        )
        downstream = [
            "application_extracts",
            "applications",
            "application_shares",
            "school_application_shares",
            "application_shares_by_sex",
        ]
        year = job.execute_in_process(
            instance=instance,
            partition_key="2024",
            raise_on_error=False,
            asset_selection=[AssetKey(k) for k in downstream],
        )
        assert year.success
        result = execute_main_job(settings, instance, years=(2023, 2023))
        assert result.success, failure_messages(result)
    assert _rows(settings, 2023) == 300 and _rows(settings, 2024) == 300


def test_sensor_moves_an_extract_whose_run_failed_to_rejected(tmp_path, keyed):
    """A run the inbox sensor started for an extract fails: on its next tick the sensor moves the
    extract to rejected/ with the run named, keeps the year's current extract, and asks for a run
    that rebuilds the year from it."""
    from dagster import DagsterRunStatus
    from dagster._core.storage.dagster_run import DagsterRun

    from pipelines.sensors import SHA_TAG

    inbox = tmp_path / "inbox"
    project = ProjectSettings(home=str(tmp_path / "home"), input_dir=str(tmp_path / "none"), inbox_dir=str(inbox))
    settings = project.settings()
    current = write_extract(inbox / "processed" / "applications" / "2024" / "optagelse_2024.csv", THREE_HUNDRED)
    outcome = receive(write_extract(tmp_path / "optagelse_2024_ny.csv", THREE_HUNDRED[:290]), settings, copy=True)
    assert outcome.stored_as.parent.name == "pending"
    with instance_for_test() as instance:
        instance.add_run(
            DagsterRun(
                job_name="overgang_main",
                run_id="f" * 8 + "-0000-0000-0000-000000000000",
                status=DagsterRunStatus.FAILURE,
                tags={SHA_TAG: outcome.sha256},
            )
        )
        result = changed_extracts(build_sensor_context(instance=instance, resources={"project": project}))
    assert [(r.partition_key, r.tags.get("overgang/restore")) for r in result.run_requests] == [("2024", "2024")]
    reason = (inbox / "rejected" / "optagelse_2024_ny.csv.reason.txt").read_text(encoding="utf-8")
    assert "the run that was to load it failed: run ffffffff failure" in reason
    assert "The extract loaded before (optagelse_2024.csv) stays current." in reason
    assert current.exists() and not outcome.stored_as.exists()
    assert _outcomes(inbox) == ["received", "failed"]
