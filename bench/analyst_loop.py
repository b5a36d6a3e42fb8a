"""The analyst's loop on one municipality's data (issue 17): a new spring's extract from
`overgang load` to the published warehouse and report, then `overgang report` and
`overgang query`, and the fixed cost of a run on no data with its parts.

Setup (not timed): a home whose warehouse holds the shipped sample's 2015-2024. Each timed
`load` starts from a copy of that home and loads the sample's 2025 file (3,720 rows, about one
municipality's year). Every command is the real CLI in a fresh Python process. Medians.
Results: bench/results/analyst_loop.json.

    uv run python bench/analyst_loop.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample" / "optagelse"
KEY = "bench-key-not-secret-" + "0" * 43


def _env(home: Path, input_dir: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OVERGANG_", "DAGSTER_"))}
    return {**env, "OVERGANG_HOME": str(home), "OVERGANG_INPUT_DIR": str(input_dir), "OVERGANG_CPR_KEY": KEY}


def _timed(env: dict, *args: str) -> float:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pipelines.cli", *args], cwd=ROOT, env=env, capture_output=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"overgang {' '.join(args)} failed:\n{done.stdout.decode()[-2000:]}{done.stderr.decode()[-2000:]}")
    return seconds


def _import_seconds(module: str) -> float:
    """Wall time of a fresh Python importing `module` (what every command pays before it starts)."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", f"import {module}"], cwd=ROOT, check=True)
    return time.perf_counter() - started


def _step_seconds(home: Path) -> dict:
    """From the last Dagster run's event log: the run's wall time and the time inside steps."""
    from dagster import DagsterEventType, DagsterInstance

    os.environ["DAGSTER_HOME"] = str(home / "dagster")
    with DagsterInstance.get() as instance:
        run = instance.get_runs(limit=1)[0]
        events = instance.all_logs(run.run_id)
    starts, inside, each = {}, 0.0, {}
    for e in events:
        if e.dagster_event is None:
            continue
        kind = e.dagster_event.event_type
        if kind == DagsterEventType.STEP_START:
            starts[e.step_key] = e.timestamp
        elif kind in (DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE) and e.step_key in starts:
            each[e.step_key] = round(e.timestamp - starts.pop(e.step_key), 2)
            inside += each[e.step_key]
    stamps = [e.timestamp for e in events]
    return {
        "steps": sum(
            1 for e in events if e.dagster_event and e.dagster_event.event_type == DagsterEventType.STEP_START
        ),
        "events": len(events),
        "run_seconds": round(max(stamps) - min(stamps), 2),
        "inside_steps_seconds": round(inside, 2),
        "step_seconds": each,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="overgang-loop-") as tmp:
        tmp = Path(tmp)
        base_input = tmp / "input"
        base_input.mkdir()
        for year in range(2015, 2025):
            shutil.copy(SAMPLE / f"optagelse_{year}.csv", base_input)
        base = tmp / "base"
        _timed(_env(base, base_input), "run")
        new_year = tmp / "spring" / "optagelse_2025.csv"
        new_year.parent.mkdir()
        shutil.copy(SAMPLE / "optagelse_2025.csv", new_year)
        # As if downloaded a minute ago: `load` waits until a file has not changed for 10 s (one
        # still being written), which put a wait of about 9 s into the first timed load.
        a_minute_ago = time.time() - 60
        os.utime(new_year, (a_minute_ago, a_minute_ago))
        rows = sum(1 for _ in new_year.open(encoding="utf-8")) - 1

        loads = []
        for i in range(args.repeat):
            home = tmp / f"home{i}"
            shutil.copytree(base, home, symlinks=True)
            loads.append(_timed(_env(home, base_input), "load", str(new_year)))
        load_parts = _step_seconds(tmp / f"home{args.repeat - 1}")
        home = tmp / "home0"
        env = _env(home, base_input)
        reports = [_timed(env, "report", "--kommune", "169") for _ in range(max(5, args.repeat))]
        queries = [_timed(env, "query", "select 1") for _ in range(max(5, args.repeat))]

        empty_input = tmp / "empty"
        empty_input.mkdir()
        empty_runs, parts = [], None
        for i in range(args.repeat):
            home = tmp / f"empty{i}"
            # A run on no data: nothing to ingest, the warehouse built and published empty.
            started = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "pipelines.cli", "run"],
                cwd=ROOT,
                env=_env(home, empty_input),
                capture_output=True,
            )
            empty_runs.append(time.perf_counter() - started)
            parts = _step_seconds(home)
    imports = {m: round(_import_seconds(m), 2) for m in ("pipelines.cli", "dagster", "pipelines.definitions")}
    python = round(_import_seconds("sys"), 2)
    out = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "new_year_rows": rows,
        "load_new_year_to_published_and_report_s": round(statistics.median(loads), 2),
        "load_runs_s": [round(x, 2) for x in loads],
        "load_last_run": load_parts,
        "report_s": round(statistics.median(reports), 2),
        "query_select_1_s": round(statistics.median(queries), 2),
        "run_on_no_data_s": round(statistics.median(empty_runs), 2),
        "run_on_no_data_parts": {"python_start_s": python, "imports_s": imports, "last_run": parts},
        "targets": {"load_to_report_s": 4.0, "report_s": 1.0, "query_s": 0.5},
    }
    (ROOT / "bench" / "results" / "analyst_loop.json").write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
