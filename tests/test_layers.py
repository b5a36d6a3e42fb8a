"""The layers at run time: importing the definitions does no work, and the analyst's quick
commands (query, report) never import Dagster or pandera (issue 17: they would cost seconds).
import-linter checks the imports as written (`make lint`); these check what a real command loads,
lazy imports included."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from overgang.settings import PROJECT_DIR
from tests.cli import child_env, overgang_process

# pydantic too: the typed settings (overgang/config.py) are for the commands that run the pipeline.
HEAVY = {"dagster", "pandera", "dagster_duckdb", "pydantic", "pydantic_settings"}


def imported(stderr: str) -> set[str]:
    """Top-level packages named in `python -X importtime` output (PYTHONPROFILEIMPORTTIME=1)."""
    lines = [line for line in stderr.splitlines() if line.startswith("import time:")]
    return {line.rsplit("|", 1)[1].strip().split(".")[0] for line in lines[1:]}


# The shared deployment's packages (deploy/shared/): one machine's path never loads them.
SHARED_ONLY = {"dagster_celery", "dagster_postgres", "celery", "redis", "kombu"}


@pytest.fixture(scope="module")
def definitions_imported(tmp_path_factory) -> tuple[subprocess.CompletedProcess, Path]:
    """One child that imports the definitions and one machine's commands, with OVERGANG_HOME set to
    a folder that does not exist; it prints the modules of the shared deployment it loaded."""
    tmp_path = tmp_path_factory.mktemp("definitions")
    env = child_env(tmp_path, OVERGANG_HOME=str(tmp_path / "home"))
    code = (
        "import sys\n"
        "import pipelines.definitions as d, pipelines.cli, pipelines.run, pipelines.sensors\n"
        "from dagster.components.definitions import LazyDefinitions\n"
        "assert isinstance(d.defs, LazyDefinitions), type(d.defs)\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {sorted(SHARED_ONLY)!r} or m == 'pipelines.shared'))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done, tmp_path


def test_importing_the_definitions_reads_no_environment_and_creates_no_folder(definitions_imported):
    done, tmp_path = definitions_imported
    assert done.returncode == 0, done.stderr
    assert not (tmp_path / "home").exists() and not (tmp_path / "inbox").exists()


def test_one_machines_commands_import_no_shared_deployment_package(definitions_imported):
    done, _ = definitions_imported
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]", done.stdout


def test_query_imports_neither_dagster_nor_pandera(tmp_path):
    (tmp_path / "home" / "warehouse").mkdir(parents=True)
    duckdb.connect(str(tmp_path / "home" / "warehouse" / "overgang.duckdb")).close()
    done = overgang_process(tmp_path, "query", "select 1 AS one", "--csv", PYTHONPROFILEIMPORTTIME="1")
    assert done.returncode == 0 and done.stdout == "one\n1\n", done.stderr[-2000:]
    modules = imported(done.stderr)
    assert {"duckdb", "click"} <= modules, "the importtime output was not read"
    # Nor what only a report needs (Danish number formats, frames, charts, the audit's solver).
    assert not modules & (HEAVY | {"babel", "pandas", "plotly", "scipy", "highspy"}), sorted(modules)


def test_report_imports_neither_dagster_nor_pandera(sample_run, tmp_path):
    out = tmp_path / "rapport.html"
    done = overgang_process(
        tmp_path,
        "report",
        "--out",
        str(out),
        OVERGANG_HOME=str(sample_run.settings.home),
        PYTHONPROFILEIMPORTTIME="1",
    )
    assert done.returncode == 0 and out.stat().st_size > 100_000, done.stderr[-2000:]
    modules = imported(done.stderr)
    assert {"jinja2", "highspy"} <= modules, "the importtime output was not read"
    # The audit solves with highspy; scipy (about a second to import) is the tests' attacker's.
    # The charts are plotly.js specifications written as dicts (reports/charts.py): no plotly.py.
    assert not modules & (HEAVY | {"scipy", "plotly"}), sorted(modules & (HEAVY | {"scipy", "plotly"}))


def test_no_import_circle_anywhere_function_level_imports_included():
    """No module reaches itself through imports, those inside functions counted (grimp reads
    every import statement): a circle hidden by a function-level import still ties the modules
    together, so that neither can be understood, tested or moved alone."""
    import grimp

    packages = ("overgang", "schemas", "reports", "intake", "assets", "pipelines")
    graph = grimp.build_graph(*packages, cache_dir=None)
    imports = {m: graph.find_modules_directly_imported_by(m) for m in graph.modules}
    # A depth-first search that reports the first circle it closes.
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = 1
        path.append(module)
        for other in sorted(imports.get(module, ())):
            if state.get(other) == 1:
                return path[path.index(other) :] + [other]
            if other not in state and (found := visit(other)):
                return found
        path.pop()
        state[module] = 2
        return None

    for module in sorted(graph.modules):
        if module not in state and (circle := visit(module)):
            raise AssertionError("import circle: " + " -> ".join(circle))
