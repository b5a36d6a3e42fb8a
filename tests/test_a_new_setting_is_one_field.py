"""A new setting of pipeline.yaml is one field in the model (overgang/pipeline_settings.py), with
its type, bounds and default: the environment variable, the check at `overgang run`, the Dagster
resource's typed config and an asset's body all follow without another line. Proved on a copy of
the project whose model file alone is edited: a toy setting added there reaches a step of a run
and is checked by the CLI."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from overgang.settings import PROJECT_DIR
from tests.cli import child_env

pytestmark = pytest.mark.integration

PACKAGES = ("overgang", "schemas", "reports", "assets", "pipelines")
MODEL = Path("overgang") / "pipeline_settings.py"
LAST_FIELD = "    duckdb: DuckDB = field(default_factory=DuckDB)\n"
TOY = "    toy_greetings: Annotated[int, Ge(1)] = 3\n"

CHILD = """
import json, os
from click.testing import CliRunner
from dagster import MaterializeResult, asset, materialize
from assets.resources import ProjectSettings
from overgang.settings import Settings
from pipelines.cli import main

@asset
def greeter(project: ProjectSettings) -> MaterializeResult:
    return MaterializeResult(metadata={"greetings": project.settings().pipeline.toy_greetings})

project = ProjectSettings.from_settings(Settings.load(checked=True))
run = materialize([greeter], resources={"project": project})
metadata = run.asset_materializations_for_node("greeter")[0].metadata
shape = ProjectSettings.to_config_schema().as_field().config_type.fields["pipeline"].config_type.inner_type
os.environ["OVERGANG_TOY_GREETINGS"] = "0"
refused = CliRunner().invoke(main, ["run"])
print(json.dumps({
    "in_the_asset": metadata["greetings"].value,
    "dagster_type": shape.fields["toy_greetings"].config_type.key,
    "cli_exit": refused.exit_code,
    "cli_says": refused.output,
}))
"""


def _project_with_a_toy_setting(root: Path) -> Path:
    """A copy of the code with the toy field added to the model and nowhere else; the data folder
    (pipeline.yaml included, which does not name the toy) shared with the real project."""
    for package in PACKAGES:
        shutil.copytree(PROJECT_DIR / package, root / package, ignore=shutil.ignore_patterns("__pycache__"))
    (root / "data").symlink_to(PROJECT_DIR / "data")
    shutil.copy2(PROJECT_DIR / "dagster.yaml", root / "dagster.yaml")
    model = (root / MODEL).read_text(encoding="utf-8")
    assert model.count(LAST_FIELD) == 1, "the model's last field moved: update LAST_FIELD"
    (root / MODEL).write_text(model.replace(LAST_FIELD, LAST_FIELD + TOY), encoding="utf-8")
    return root


def test_a_setting_added_to_the_model_alone_reaches_a_step_and_the_cli(tmp_path):
    root = _project_with_a_toy_setting(tmp_path / "project")
    env = child_env(tmp_path, OVERGANG_TOY_GREETINGS="7", DAGSTER_HOME=str(tmp_path / "dagster"))
    env["PYTHONPATH"] = str(root)  # the copy, not the real project
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(CHILD)],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    # Its environment variable, through the checked model and Dagster's typed config, into a step.
    assert seen["in_the_asset"] == 7
    assert "Int" in seen["dagster_type"]  # typed resource config, not a string of JSON
    # The CLI checks it with its bounds before anything runs.
    assert seen["cli_exit"] == 1
    assert "OVERGANG_TOY_GREETINGS: toy_greetings: must be an integer ≥ 1, got 0" in seen["cli_says"]
    assert "Traceback" not in seen["cli_says"]
