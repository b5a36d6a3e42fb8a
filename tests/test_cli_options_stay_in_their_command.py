"""A command's options are its own: `overgang run --input FOLDER` gives the folder to this run's
settings, not to the process's environment, where every later command in the same process (a
test, a notebook, a scheduler that imports the CLI) would inherit it as if it were set by the
analyst."""

from __future__ import annotations

import os
from pathlib import Path

from click.testing import CliRunner

from overgang.settings import Settings
from pipelines.cli import main


def test_run_input_does_not_outlive_the_command(tmp_path, monkeypatch):
    folder = tmp_path / "extracts"
    folder.mkdir()
    monkeypatch.delenv("OVERGANG_INPUT_DIR", raising=False)
    monkeypatch.setenv("OVERGANG_HOME", str(tmp_path / "home"))
    # A wrong setting stops the run at once: the option has been read, nothing is run.
    monkeypatch.setenv("OVERGANG_SMALL_CELL__MIN_COUNT", "fem")
    done = CliRunner().invoke(main, ["run", "--input", str(folder)])
    assert done.exit_code == 1, done.output
    assert "small_cell.min_count" in done.output
    assert "OVERGANG_INPUT_DIR" not in os.environ
    monkeypatch.delenv("OVERGANG_SMALL_CELL__MIN_COUNT")
    assert Settings.load().input_dir != folder  # the next command reads the analyst's settings


def test_the_input_option_and_the_variable_give_the_same_settings(tmp_path, monkeypatch):
    """One folder, two ways of naming it: the same settings, so the same fingerprints (a source
    is not loaded again only because the folder was named by option instead of by variable)."""
    folder = (tmp_path / "extracts").resolve()
    monkeypatch.delenv("OVERGANG_INPUT_DIR", raising=False)
    by_option = Settings.load().with_input_dir(folder)
    monkeypatch.setenv("OVERGANG_INPUT_DIR", str(folder))
    by_variable = Settings.load()
    assert by_option == by_variable
    assert by_option.input_dir == Path(folder)


def test_each_command_builds_its_settings_once(tmp_path, monkeypatch):
    """The settings are built once per command (Settings.load, which reads pipeline.yaml and the
    environment): a file edited while the command runs cannot give its start and its end different
    settings, and a command that checks the settings uses the ones it checked."""
    loads = []
    real = Settings.load.__func__

    def counted(cls, checked=False):
        loads.append(checked)
        return real(cls, checked)

    monkeypatch.setattr(Settings, "load", classmethod(counted))
    monkeypatch.setenv("OVERGANG_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("OVERGANG_INBOX", str(tmp_path / "inbox"))
    for args, checked in (
        (["rollback"], True),
        (["clean-rejected", "--older-than", "1", "--dry-run"], True),
        (["query", "select 1"], False),
        (["dictionary"], False),
    ):
        loads.clear()
        CliRunner().invoke(main, args)
        assert loads == [checked], (args, loads)
