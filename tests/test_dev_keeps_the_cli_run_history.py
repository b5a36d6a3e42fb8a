"""`make dev` keeps Dagster's run history where the `overgang` command does: with OVERGANG_HOME
set, in $OVERGANG_HOME/dagster, not in the project's var/dagster, so the UI shows the command's
runs (and the sensor's runs are seen by the command)."""

from __future__ import annotations

import subprocess
import sys

from overgang.settings import PROJECT_DIR, Settings
from tests.cli import NOT_INHERITED, child_env


def _env(tmp_path) -> dict:
    return child_env(strip=(*NOT_INHERITED, "MAKE"), OVERGANG_HOME=str(tmp_path / "home"))


def test_make_dev_does_not_name_a_folder_of_its_own(tmp_path):
    recipe = subprocess.run(
        ["make", "-n", "dev"], cwd=PROJECT_DIR, env=_env(tmp_path), capture_output=True, text=True, check=True
    ).stdout
    assert "var/dagster" not in recipe and "DAGSTER_HOME=" not in recipe, recipe
    assert "python -m pipelines.dev" in recipe, recipe


def test_the_ui_uses_the_commands_instance_folder_under_overgang_home(tmp_path, monkeypatch):
    where = subprocess.run(
        [sys.executable, "-m", "pipelines.dev", "--where"],
        cwd=PROJECT_DIR,
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    expected = tmp_path / "home" / "dagster"
    assert where == str(expected)
    assert (expected / "dagster.yaml").read_bytes() == (PROJECT_DIR / "dagster.yaml").read_bytes()
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    assert Settings.load().dagster_home == expected  # what `overgang run` uses (prepare_dagster_home)
