"""The analyst's settings, checked at start by the typed model (overgang/config.py): a wrong value
stops `overgang run` at once with the file (or variable), the key and what was expected."""

from __future__ import annotations

import pytest
import yaml

from overgang.config import load_config
from overgang.pipeline_settings import SmallCell
from overgang.settings import DATA_DIR, ConfigError, Settings
from tests.cli import overgang


def _config_with(tmp_path, section: str, key: str, value) -> object:
    config = yaml.safe_load((DATA_DIR / "config" / "pipeline.yaml").read_text(encoding="utf-8"))
    config[section][key] = value
    path = tmp_path / "pipeline.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def test_a_bad_value_in_the_file_is_named_with_its_key_and_what_was_expected(tmp_path):
    path = _config_with(tmp_path, "small_cell", "min_count", "fem")
    try:
        load_config(path)
    except ConfigError as err:
        assert str(err) == f"{path}: small_cell.min_count: must be an integer ≥ 1, got 'fem'"
    else:
        raise AssertionError("a min_count of 'fem' was accepted")


def test_a_misspelt_key_is_refused(tmp_path):
    path = _config_with(tmp_path, "small_cell", "min_cuont", 5)
    try:
        load_config(path)
    except ConfigError as err:
        assert str(err) == f"{path}: small_cell.min_cuont: is not a setting Overgang knows (a spelling mistake?)"
    else:
        raise AssertionError("an unknown key was accepted")


def test_the_checked_settings_keep_the_interface_the_reports_use():
    checked, plain = Settings.load(checked=True), Settings.load()
    assert checked.warehouse == plain.warehouse
    assert checked.pipeline == plain.pipeline  # one model: checked or not, the same values


def test_overgang_run_stops_with_the_key_and_no_traceback(tmp_path):
    done = overgang(tmp_path, "run", OVERGANG_SMALL_CELL__MIN_COUNT="fem")
    assert done.returncode == 1
    assert "OVERGANG_SMALL_CELL__MIN_COUNT: small_cell.min_count: must be an integer ≥ 1, got 'fem'" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "home").exists()  # stopped before anything was written


def test_the_quick_commands_see_the_same_overrides_as_the_checked_ones(monkeypatch):
    """`overgang report` (unchecked, no pydantic) and `overgang run` (checked) read one setting alike."""
    monkeypatch.setenv("OVERGANG_SMALL_CELL__MIN_COUNT", "7")
    monkeypatch.setenv("OVERGANG_REPORT_YEAR", "2024")
    for settings in (Settings.load(), Settings.load(checked=True)):
        assert settings.pipeline.small_cell == SmallCell(min_count=7, min_denominator=20)
        assert settings.pipeline.report_year == 2024


@pytest.mark.integration
def test_a_quick_command_names_a_section_it_cannot_read_without_a_traceback(sample_home, tmp_path):
    """`overgang report` does not check every value (it must not pay pydantic's import), but a
    section it cannot read at all is said like a checked setting: the variable, the key, what it
    must be; not an AttributeError deep inside the report."""
    done = overgang(tmp_path, "report", OVERGANG_SMALL_CELL="")
    assert done.returncode == 1
    assert "OVERGANG_SMALL_CELL: small_cell: must be a section of 'key: value' lines, got None" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_variable_in_lower_case_is_read_by_the_quick_and_the_checked_commands_alike(monkeypatch):
    monkeypatch.setenv("overgang_small_cell__min_count", "9")
    for settings in (Settings.load(), Settings.load(checked=True)):
        assert settings.pipeline.small_cell.min_count == 9
