"""Two extracts of one year in the input folder: the alphabetically later one does not silently
win. The run is refused with a message naming both files and the year, again at every run until
the analyst moves one out; then the one left in the folder is the year's extract, whichever it
is. Nothing of the analyst's folder is changed."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from click.testing import CliRunner

from intake.inbox.intake import extracts as extract_sources
from intake.inbox.receive import promote
from intake.sources.tables import FileRejected
from overgang.settings import Settings
from pipelines.cli import main
from tests.corpus import many
from tests.extracts import write_extract

A = "optagelse_2024.csv"
B = "optagelse_2024_rettet.csv"


def _settings(tmp_path: Path, folder: Path) -> Settings:
    return Settings(
        home=tmp_path / "home", input_dir=folder, pipeline=Settings.load().pipeline, inbox=tmp_path / "inbox"
    )


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "input"
    write_extract(folder / A, many(20))
    write_extract(folder / B, many(21))
    return folder


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _refusal(settings: Settings) -> str:
    with pytest.raises(FileRejected) as err:
        extract_sources(settings)
    return str(err.value)


@pytest.mark.parametrize("keep", [A, B])
def test_two_extracts_of_a_year_are_refused_until_one_is_moved_out(tmp_path, keep):
    folder = _folder(tmp_path)
    settings = _settings(tmp_path, folder)
    for _ in range(2):  # refused, and refused again while both are there
        message = _refusal(settings)
        assert A in message and B in message and "2024" in message, message
        assert "move the other one out" in message
    reasons = list((settings.inbox_dir / "rejected").glob("*.reason.txt"))
    assert len(reasons) == 1, "the same refusal is not filed again at every look"
    wanted = _sha(folder / keep)
    (folder / (B if keep == A else A)).rename(tmp_path / "moved_out.csv")
    found = extract_sources(settings)
    assert list(found) == [2024] and [_sha(p) for p in found[2024]] == [wanted]


def test_a_second_extract_beside_the_loaded_one_leaves_the_loaded_one_current(tmp_path):
    folder = tmp_path / "input"
    write_extract(folder / A, many(20))
    settings = _settings(tmp_path, folder)
    (loaded,) = extract_sources(settings)[2024]
    promote(settings, {2024: {_sha(folder / A)}})  # as the run that publishes it does
    write_extract(folder / B, many(21))
    message = _refusal(settings)
    assert A in message and B in message and "loaded extract" in message, message
    (folder / A).rename(tmp_path / "moved_out.csv")
    (current,) = extract_sources(settings)[2024]
    assert _sha(current) == _sha(folder / B)


def test_overgang_run_refuses_naming_both_files_and_starts_nothing(tmp_path):
    folder = _folder(tmp_path)
    result = CliRunner().invoke(main, ["run", "--input", str(folder)])
    assert result.exit_code == 1, result.output
    assert A in result.output and B in result.output and "2024" in result.output, result.output
    assert "Nothing was started" in result.output and "Traceback" not in result.output
