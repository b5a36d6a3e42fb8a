"""The input folder's sensor (changed_extracts) hashes a file only when its size or modification
time changed: a national extract is not read every five minutes."""

from __future__ import annotations

import json
import os
import shutil

from dagster import SkipReason, build_sensor_context

from assets.resources import ProjectSettings
from overgang.settings import SAMPLE_DIR
from pipelines.sensors import changed_extracts


def test_a_touched_file_is_hashed_again_but_starts_no_run_and_a_changed_one_does(tmp_path):
    folder = tmp_path / "input"
    shutil.copytree(SAMPLE_DIR, folder)
    project = ProjectSettings(home=str(tmp_path / "home"), input_dir=str(folder), inbox_dir=str(tmp_path / "dropbox"))
    first = changed_extracts(build_sensor_context(resources={"project": project}))
    files = json.loads(first.cursor)["files"]
    extract = folder / "optagelse_2024.csv"
    assert files[str(extract)][:2] == [extract.stat().st_size, extract.stat().st_mtime_ns]
    assert isinstance(
        changed_extracts(build_sensor_context(resources={"project": project}, cursor=first.cursor)), SkipReason
    )

    later = extract.stat().st_mtime_ns + 5_000_000_000
    os.utime(extract, ns=(later, later))  # copied again, same content
    touched = changed_extracts(build_sensor_context(resources={"project": project}, cursor=first.cursor))
    assert touched.run_requests == [] and json.loads(touched.cursor)["files"][str(extract)][1] == later
    assert json.loads(touched.cursor)["years"] == json.loads(first.cursor)["years"]

    with extract.open("a", encoding="utf-8") as f:
        f.write("\n")  # a corrected file for 2024
    changed = changed_extracts(build_sensor_context(resources={"project": project}, cursor=touched.cursor))
    assert [r.partition_key for r in changed.run_requests] == ["2024"]
