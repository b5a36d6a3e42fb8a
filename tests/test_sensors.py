"""The one sensor for incoming files (changed_extracts): it watches the input folder and the
inbox, hashes an input-folder file only when its size or modification time changed (a national
extract is not read every minute), starts the main job for a changed extract's year only and the
sources job for any other source, and takes over the former input-folder sensor's cursor."""

from __future__ import annotations

import json
import os
import shutil
import time

import pytest
from dagster import SkipReason, build_sensor_context

import intake.inbox.receive as receive_module
from assets.resources import ProjectSettings
from overgang.settings import SAMPLE_DIR
from pipelines.sensors import changed_extracts
from tests.corpus import TWO_ROWS
from tests.extracts import write_extract

MAALTAL = (
    "kommune_code,target_year,target_group,target_pct,value_basis,decided_year,decided_by,stated_growth_pp_per_year,"
    "source\r\n169,2026,EUD,31,published,2025,Børne- og Skoleudvalget,1.3,test\r\n"
)


def _settled(path, seconds_ago: float = 60):
    """As if written `seconds_ago`: past the sensor's settle time."""
    then = time.time() - seconds_ago
    os.utime(path, (then, then))
    return path


@pytest.fixture
def folder(tmp_path):
    folder = tmp_path / "input"
    shutil.copytree(SAMPLE_DIR, folder)  # copy2: the sample's old modification times
    return folder


@pytest.fixture
def project(tmp_path, folder):
    return ProjectSettings(home=str(tmp_path / "home"), input_dir=str(folder), inbox_dir=str(tmp_path / "dropbox"))


@pytest.fixture
def hashed(monkeypatch):
    """The names of the files the inbox hashes or reads, in order."""
    seen = []
    real_hash, real_recognise = receive_module.sha256_file, receive_module.recognise

    def sha256_file(path):
        seen.append(("hash", path.name))
        return real_hash(path)

    def recognise(path, *args, **kwargs):
        seen.append(("read", path.name))
        return real_recognise(path, *args, **kwargs)

    monkeypatch.setattr(receive_module, "sha256_file", sha256_file)
    monkeypatch.setattr(receive_module, "recognise", recognise)
    return seen


def _tick(project, cursor=None):
    return changed_extracts(build_sensor_context(resources={"project": project}, cursor=cursor))


def test_a_touched_but_unchanged_file_is_not_hashed_again_and_starts_no_run(project, folder, hashed):
    first = _tick(project)
    assert sorted(r.partition_key for r in first.run_requests) == [str(y) for y in range(2015, 2026)]
    assert ("hash", "optagelse_2024.csv") in hashed
    hashed.clear()
    assert isinstance(_tick(project, first.cursor), SkipReason)
    assert hashed == [], "an unchanged file was read again"

    extract = folder / "optagelse_2024.csv"
    later = extract.stat().st_mtime_ns + 5_000_000_000
    os.utime(extract, ns=(later, later))  # copied again, same content
    touched = _tick(project, first.cursor)
    assert isinstance(touched, SkipReason), "a touched file with the same content started a run"
    assert hashed == [("hash", "optagelse_2024.csv")], "only the touched file is hashed again (and not read)"
    hashed.clear()
    assert isinstance(_tick(project, first.cursor), SkipReason) and hashed == [], "the new time is kept"
    assert extract.exists() and (folder / "optagelse_2015.csv").exists(), "the originals stay in the input folder"


def test_a_changed_file_starts_one_run_for_its_year_only(project, folder, monkeypatch):
    monkeypatch.delenv("OVERGANG_INBOX_SETTLE_SECONDS")  # the settle time of pipeline.yaml: this test is about it
    first = _tick(project)
    extract = folder / "optagelse_2024.csv"
    with extract.open("a", encoding="utf-8") as f:
        f.write("\n")  # a corrected file for 2024
    # Still being written (changed a moment ago): left for a later tick.
    assert isinstance(_tick(project, first.cursor), SkipReason)
    _settled(extract)
    changed = _tick(project, first.cursor)
    assert [(r.job_name, r.partition_key) for r in changed.run_requests] == [("overgang_main", "2024")]
    assert isinstance(_tick(project, changed.cursor), SkipReason)


def test_a_targets_file_in_the_input_folder_or_the_inbox_starts_the_sources_job(project, folder, tmp_path):
    _tick(project)
    (folder / "maaltal_2026.csv").write_text(MAALTAL, encoding="utf-8")
    _settled(folder / "maaltal_2026.csv")
    result = _tick(project)
    assert [(r.job_name, r.partition_key) for r in result.run_requests] == [("sources_refresh", None)]
    assert (tmp_path / "dropbox" / "processed" / "targets" / "maaltal_2026.csv").exists()
    assert (folder / "maaltal_2026.csv").exists()

    inbox = tmp_path / "dropbox"
    (inbox / "goals_and_targets.csv").write_text(MAALTAL.replace(",31,", ",32,"), encoding="utf-8")
    _settled(inbox / "goals_and_targets.csv")
    result = _tick(project)
    assert [(r.job_name, r.partition_key) for r in result.run_requests] == [("sources_refresh", None)]
    assert not (inbox / "goals_and_targets.csv").exists(), "a file dropped into the inbox is moved"


def test_the_same_extract_in_the_input_folder_and_the_inbox_is_loaded_once(tmp_path, keyed):
    folder, inbox = tmp_path / "input", tmp_path / "dropbox"
    _settled(write_extract(folder / "optagelse_2024.csv", TWO_ROWS))
    inbox.mkdir()
    shutil.copy2(folder / "optagelse_2024.csv", inbox / "kopi_2024.csv")
    project = ProjectSettings(home=str(tmp_path / "home"), input_dir=str(folder), inbox_dir=str(inbox))
    result = _tick(project)
    assert [(r.job_name, r.partition_key) for r in result.run_requests] == [("overgang_main", "2024")]
    ledger = (inbox / "processed" / "ledger.csv").read_text(encoding="utf-8")
    assert ",received," in ledger and ",duplicate," in ledger
    assert len(list((inbox / "processed" / "applications" / "2024" / "pending").iterdir())) == 1
    assert (inbox / "processed" / "duplicates" / "kopi_2024.csv").exists()


def test_the_former_sensors_cursor_is_taken_over_without_hashing_or_runs(project, folder, hashed):
    """Before there was one sensor, changed_extracts kept {"years": …, "files": {path: [size,
    mtime_ns, sha256]}} of the extracts it had loaded from the input folder. Those files are taken
    into the inbox (the pipeline reads only the inbox now) without being hashed and start no run;
    a file changed since starts its year's run."""
    files = {}
    for path in sorted(folder.iterdir()):
        info = path.stat()
        files[str(path)] = [info.st_size, info.st_mtime_ns, receive_module.sha256_file(path)]
    old = json.dumps({"years": {}, "files": files})
    with (folder / "optagelse_2025.csv").open("a", encoding="utf-8") as f:
        f.write("\n")
    _settled(folder / "optagelse_2025.csv")
    hashed.clear()
    result = _tick(project, old)
    assert [r.partition_key for r in result.run_requests] == ["2025"]
    assert [name for what, name in hashed if what == "hash"] == ["optagelse_2025.csv"]
    taken = project.settings().inbox_dir / "processed" / "applications"
    assert sorted(p.parent.parent.name for p in taken.glob("*/pending/*.csv")) == [str(y) for y in range(2015, 2026)]
    assert json.loads(result.cursor) == {"version": 2}
    assert isinstance(_tick(project, result.cursor), SkipReason)


def test_a_first_cursor_of_years_and_digests_is_read(project):
    result = _tick(project, json.dumps({"2024": "ab" * 32}))
    assert len(result.run_requests) == 11 and json.loads(result.cursor) == {"version": 2}
