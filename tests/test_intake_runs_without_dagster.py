"""The intake layer (intake/) takes files in without Dagster: every module of it imports, and an
extract and a måltal table dropped into the inbox are recognised, checked and filed, in a process
that never loads Dagster (lazy imports included, which import-linter's contract does not run)."""

from __future__ import annotations

import shutil

from overgang.settings import DATA_DIR, SAMPLE_DIR
from tests.cli import python_child

CODE = """
import importlib, pkgutil, sys
import intake
for info in pkgutil.walk_packages(intake.__path__, "intake."):
    importlib.import_module(info.name)
from intake.inbox.receive import receive, waiting
from overgang.settings import Settings
settings = Settings.load()
for path in waiting(settings):
    done = receive(path, settings)
    print(done.file, done.outcome, done.kind)
print("DAGSTER", sorted(m for m in sys.modules if m.split(".")[0] in ("dagster", "dagster_duckdb")))
"""


def test_a_file_is_taken_in_without_importing_dagster(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(SAMPLE_DIR / "optagelse_2024.csv", inbox)
    shutil.copy(DATA_DIR / "targets" / "maaltal.csv", inbox)
    done = python_child(CODE, OVERGANG_HOME=str(tmp_path / "home"), OVERGANG_INBOX=str(inbox))
    assert done.returncode == 0, done.stderr[-3000:]
    assert "optagelse_2024.csv accepted applications" in done.stdout, done.stdout
    assert "maaltal.csv accepted targets" in done.stdout, done.stdout
    assert "DAGSTER []" in done.stdout, done.stdout
