"""Overgang runs from a checkout, not from an installed wheel (issue 14, packaging).

The code reads data/, the SQL and the templates beside itself in the checkout, so a wheel of the
top-level packages would install and then fail at its first command. The choice is pinned: the
README says so, a regular wheel build is refused with that message, and the editable install
that `uv sync` makes gives the `overgang` command on this checkout."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from importlib.metadata import distribution

import pytest

from overgang.settings import DATA_DIR, PROJECT_DIR


def test_the_readme_says_overgang_runs_from_a_checkout():
    readme = (PROJECT_DIR / "README.md").read_text(encoding="utf-8")
    assert "runs from a checkout" in readme and "not from an installed wheel" in readme


def test_the_wheel_target_refuses_a_regular_wheel_and_keeps_the_console_script():
    project = tomllib.loads((PROJECT_DIR / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["scripts"] == {"overgang": "pipelines.cli:entry"}
    wheel = project["tool"]["hatch"]["build"]["targets"]["wheel"]
    assert wheel["hooks"]["custom"]["path"] == "hatch_build.py"
    hook = (PROJECT_DIR / "hatch_build.py").read_text(encoding="utf-8")
    assert 'version != "editable"' in hook and "raise RuntimeError(REFUSAL)" in hook


def test_the_installed_overgang_is_an_editable_install_of_this_checkout():
    dist = distribution("overgang")
    assert [e.value for e in dist.entry_points if e.name == "overgang"] == ["pipelines.cli:entry"]
    assert (DATA_DIR / "config" / "pipeline.yaml").is_file() and DATA_DIR.parent == PROJECT_DIR
    command = shutil.which("overgang", path=str(PROJECT_DIR / ".venv" / "bin")) or shutil.which("overgang")
    assert command, "uv sync installs the overgang command"
    done = subprocess.run([command, "--help"], capture_output=True, text=True, cwd="/", timeout=120)
    assert done.returncode == 0 and "søgetal" in done.stdout, done.stderr


def test_building_a_wheel_is_refused_with_the_reason(tmp_path):
    # As the Makefile finds it: uv on the PATH, else the one pip installed for python3.
    pythons = {shutil.which("python3"), getattr(sys, "_base_executable", None), "/usr/bin/python3"} - {None}
    candidates = [[shutil.which("uv")]] if shutil.which("uv") else []
    candidates += [[python, "-m", "uv"] for python in sorted(pythons)]
    working = [c for c in candidates if subprocess.run([*c, "--version"], capture_output=True).returncode == 0]
    if not working:
        pytest.skip("uv is not installed")
    command = working[0]
    done = subprocess.run(
        [*command, "build", "--wheel", "--offline", "--out-dir", str(tmp_path), str(PROJECT_DIR)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    said = done.stdout + done.stderr
    if done.returncode != 0 and "Overgang runs from a checkout" not in said and "offline" in said.casefold():
        pytest.skip("hatchling is not in uv's cache and the network is off")
    assert done.returncode != 0 and "Overgang runs from a checkout" in said, said
    assert not list(tmp_path.glob("*.whl"))
