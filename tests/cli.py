"""The `overgang` command in a child process, as an analyst runs it: its own home and inbox,
nothing inherited from the developer's OVERGANG_* or DAGSTER_* settings."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from overgang.settings import PROJECT_DIR


def overgang(tmp_path: Path, *args: str, timeout: int = 600, **env: str) -> subprocess.CompletedProcess:
    """`overgang ARGS` with OVERGANG_HOME=tmp_path/home and OVERGANG_INBOX=tmp_path/inbox (text output)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("OVERGANG_", "DAGSTER_"))}
    clean |= {"OVERGANG_HOME": str(tmp_path / "home"), "OVERGANG_INBOX": str(tmp_path / "inbox"), **env}
    return subprocess.run(
        [sys.executable, "-m", "pipelines.cli", *args],
        cwd=PROJECT_DIR,
        env=clean,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def settled(path: Path) -> Path:
    """`path` as if written a minute ago: `overgang load` does not wait inbox_settle_seconds (10 s)
    for a file that is no longer changing."""
    past = time.time() - 60
    os.utime(path, (past, past))
    return path
