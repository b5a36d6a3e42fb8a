"""One way in for files: the input folder is taken in through the inbox (intake/inbox/intake.py).

Its files are recognised by content and refused with the inbox's own reasons; the analyst's
originals are never moved, changed or deleted; an extract that is both in the input folder and
in the inbox is loaded once; an unchanged file is neither hashed nor read again."""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from pathlib import Path

import pytest
from dagster import instance_for_test

import intake.inbox.receive as receive_module
from intake.inbox.intake import extracts as extract_sources
from intake.inbox.receive import receive
from intake.sources.tables import FileRejected
from overgang.settings import SAMPLE_DIR, Settings
from pipelines.run import execute_main_job, failure_messages
from tests.cli import overgang, settled
from tests.conftest import TEST_KEY
from tests.corpus import CASES, TWO_ROWS
from tests.extracts import row, write_extract


def _settings(tmp_path: Path, folder: Path) -> Settings:
    return Settings(
        home=tmp_path / "home", input_dir=folder, pipeline=Settings.load().pipeline, inbox=tmp_path / "inbox"
    )


def _state(folder: Path) -> dict[str, tuple]:
    """Every file of the folder: name -> (bytes' hash, size, modification time)."""
    return {
        p.name: (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_size, p.stat().st_mtime_ns)
        for p in folder.iterdir()
    }


def test_a_wrong_layout_in_the_input_folder_is_refused_naming_file_and_rule_and_left_untouched(tmp_path):
    folder = tmp_path / "input"
    write_extract(folder / "optagelse_2024.csv", TWO_ROWS)
    (folder / "eksport.csv").write_text("Navn;Telefon\r\nAnna;12345678\r\n", encoding="utf-8")
    quote = next(c for c in CASES if c.name == "unterminated quote mid-file").write(tmp_path / "q")
    shutil.move(quote, folder / "optagelse_2023.csv")
    before = _state(folder)
    settings = _settings(tmp_path, folder)
    with pytest.raises(FileRejected) as err:
        extract_sources(settings)
    message = str(err.value)
    assert "eksport.csv" in message and "Optagelse.dk extract" in message, message
    assert "optagelse_2023.csv: line 52 opens a quote" in message, message
    assert "optagelse_2024.csv" not in message
    assert _state(folder) == before, "the originals in the input folder were changed, moved or deleted"
    rejected = settings.inbox_dir / "rejected"
    assert "eksport.csv" in (rejected / "eksport.csv.reason.txt").read_text(encoding="utf-8")
    assert not (rejected / "eksport.csv").exists(), "no second copy of the analyst's file (it may hold CPR numbers)"

    # Asked again, unchanged: refused again with the same reason, without reading the file again.
    with pytest.raises(FileRejected) as again:
        extract_sources(settings)
    assert "optagelse_2023.csv: line 52 opens a quote" in str(again.value)
    assert len(list(rejected.glob("*.reason.txt"))) == 2, "an unchanged refused file is not filed twice"
    assert _state(folder) == before


def test_an_unchanged_file_is_not_hashed_or_read_again(tmp_path, monkeypatch):
    folder = tmp_path / "input"
    shutil.copytree(SAMPLE_DIR, folder)
    settings = _settings(tmp_path, folder)
    first = extract_sources(settings)
    assert sorted(first) == list(range(2015, 2026))
    looked_at = []
    monkeypatch.setattr(receive_module, "sha256_file", lambda p: looked_at.append(p) or "")
    monkeypatch.setattr(receive_module, "recognise", lambda p, *a, **k: looked_at.append(p))
    assert extract_sources(settings) == first
    assert looked_at == []


def test_the_same_extract_in_the_input_folder_and_the_inbox_is_loaded_once(tmp_path):
    folder = tmp_path / "input"
    extract = write_extract(folder / "optagelse_2024.csv", TWO_ROWS)
    settings = _settings(tmp_path, folder)
    assert receive(extract, settings, copy=True).outcome == "accepted"  # overgang load of the same file
    found = extract_sources(settings)
    assert {y: [p.name for p in ps] for y, ps in found.items()} == {2024: ["optagelse_2024.csv"]}
    outcomes = [
        line.split(",")[3] for line in (settings.inbox_dir / "processed" / "ledger.csv").read_text().splitlines()
    ]
    assert outcomes[1:] == ["received", "duplicate"]
    assert extract.exists()


def test_a_correction_through_the_inbox_is_not_undone_by_the_unchanged_input_folder(tmp_path):
    folder = tmp_path / "input"
    write_extract(folder / "optagelse_2024.csv", TWO_ROWS)
    settings = _settings(tmp_path, folder)
    extract_sources(settings)
    corrected = write_extract(tmp_path / "rettet" / "optagelse_2024_rettet.csv", [*TWO_ROWS, row(CPR="030308-1237")])
    past = time.time() - 60
    os.utime(corrected, (past, past))
    assert receive(corrected, settings, copy=True).outcome == "accepted"
    assert [p.name for p in extract_sources(settings)[2024]] == ["optagelse_2024_rettet.csv"]
    # The input folder's file changes: it is news again, and the newest extract for the year wins.
    write_extract(folder / "optagelse_2024.csv", [*TWO_ROWS, row(CPR="040408-1238")])
    assert [p.name for p in extract_sources(settings)[2024]] == ["optagelse_2024.csv"]


def test_a_missing_input_folder_is_named_unless_the_inbox_holds_the_data(tmp_path):
    settings = _settings(tmp_path, tmp_path / "nowhere")
    with pytest.raises(FileRejected, match="The input folder .*nowhere does not exist"):
        extract_sources(settings)
    extract = write_extract(tmp_path / "optagelse_2024.csv", TWO_ROWS)
    receive(extract, settings, copy=True)
    assert sorted(extract_sources(settings)) == [2024]


@pytest.mark.integration
def test_a_run_on_an_input_folder_with_a_refused_file_stops_and_leaves_the_originals(tmp_path, keyed):
    folder = tmp_path / "input"
    write_extract(folder / "optagelse_2024.csv", TWO_ROWS)
    (folder / "eksport.csv").write_text("Navn;Telefon\r\nAnna;12345678\r\n", encoding="utf-8")
    before = _state(folder)
    settings = _settings(tmp_path, folder)
    (settings.home / "dagster").mkdir(parents=True)
    with instance_for_test(temp_dir=str(settings.home / "dagster")) as instance:
        result = execute_main_job(settings, instance, years=(2024, 2024))
        assert not result.success
        assert any("eksport.csv" in m for m in failure_messages(result, settings)), failure_messages(result, settings)
        assert not settings.warehouse.exists()
        (folder / "eksport.csv").unlink()  # the analyst removes the stray file
        before.pop("eksport.csv")
        result = execute_main_job(settings, instance, years=(2024, 2024))
        assert result.success, failure_messages(result, settings)
    assert _state(folder) == before
    current = settings.inbox_dir / "processed" / "applications" / "2024" / "optagelse_2024.csv"
    assert current.is_symlink() and current.resolve() == (folder / "optagelse_2024.csv").resolve(), (
        "published: the year's current extract is a link to the original, not a copy"
    )


def test_overgang_run_refuses_a_bad_input_folder_before_the_run_starts(tmp_path):
    """The command line: the refusal names the file and the rule, no Dagster run is started,
    nothing is published, and the folder is as the analyst left it."""
    folder = tmp_path / "input"
    write_extract(folder / "optagelse_2024.csv", TWO_ROWS)
    (folder / "eksport.csv").write_text("Navn;Telefon\r\nAnna;12345678\r\n", encoding="utf-8")
    before = _state(folder)
    done = overgang(tmp_path, "run", "--input", str(folder), OVERGANG_CPR_KEY=TEST_KEY)
    said = done.stdout + done.stderr
    assert done.returncode == 1, said
    assert "eksport.csv" in said and "Optagelse.dk extract" in said and "Nothing was started" in said, said
    assert "Traceback" not in said
    assert not (tmp_path / "home" / "warehouse").exists()  # and no run: conftest fails an unmarked test that starts one
    assert _state(folder) == before


def test_a_failed_extract_is_taken_again_only_when_the_analyst_runs_again(tmp_path):
    """Its run failed (e.g. no key): the sensor and a run's own look leave the unchanged file alone
    (no run at every tick, and a restore run rebuilds from the extract that stayed current);
    `overgang run` takes it again, since the analyst asks for it."""
    from dagster import SkipReason, build_sensor_context

    from assets.resources import ProjectSettings
    from intake.inbox.intake import import_input
    from intake.inbox.receive import fail_pending
    from pipelines.sensors import changed_extracts

    folder = tmp_path / "input"
    _settled(write_extract(folder / "optagelse_2024.csv", TWO_ROWS))
    settings = _settings(tmp_path, folder)
    assert sorted(extract_sources(settings)) == [2024]
    assert [o.file for o in fail_pending(settings, [2024], "no key")] == ["optagelse_2024.csv"]
    project = ProjectSettings(home=str(settings.home), input_dir=str(folder), inbox_dir=str(settings.inbox_dir))
    assert isinstance(changed_extracts(build_sensor_context(resources={"project": project})), SkipReason)
    assert extract_sources(settings) == {}
    assert [(o.outcome, o.year) for o in import_input(settings)] == [("accepted", 2024)]  # overgang run
    assert sorted(extract_sources(settings)) == [2024]


def _settled(path: Path) -> Path:
    past = time.time() - 60
    os.utime(path, (past, past))
    return path


@pytest.mark.integration
def test_the_next_spring_loaded_by_hand_joins_years_taken_from_another_input_folder(tmp_path):
    """The analyst's loop (bench/analyst_loop.py): earlier years from an input folder of their own
    (here copies of the sample), then this spring's file with `overgang load`. The loaded file is
    not the sample 'as an earlier run on the sample took it in' and must not be left out: that
    left the run with no 2025 file, and it refused the years as a real run beside synthetic ones."""
    folder = tmp_path / "input"
    folder.mkdir()
    for year in (2023, 2024):
        shutil.copy(SAMPLE_DIR / f"optagelse_{year}.csv", folder)
    spring = settled(Path(shutil.copy(SAMPLE_DIR / "optagelse_2025.csv", tmp_path / "optagelse_2025.csv")))
    env = {"OVERGANG_INPUT_DIR": str(folder), "OVERGANG_CPR_KEY": TEST_KEY}
    first = overgang(tmp_path, "run", **env)
    assert first.returncode == 0, first.stdout[-2000:] + first.stderr[-2000:]
    loaded = overgang(tmp_path, "load", str(spring), **env)
    assert loaded.returncode == 0, loaded.stdout[-2000:] + loaded.stderr[-2000:]
    import duckdb

    with duckdb.connect(str(tmp_path / "home" / "warehouse" / "overgang.duckdb"), read_only=True) as con:
        years = [y for (y,) in con.execute("SELECT DISTINCT year FROM applications ORDER BY year").fetchall()]
    assert years == [2023, 2024, 2025]
