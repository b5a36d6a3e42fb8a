"""The analyst's loop on one municipality's data (issue 17): a new spring's extract from
`overgang load` to the published warehouse and report, then `overgang report` and
`overgang query`, and the fixed cost of a run on no data with its parts.

Setup (not timed): a home whose warehouse holds the shipped sample's 2015-2024. Each timed
`load` starts from a copy of that home and loads the sample's 2025 file (3,720 rows, about one
municipality's year). Every command is the real CLI in a fresh Python process. Medians.
`bare_duckdb_s` is the reference of issue 33's query target: a bare
`python -c "import duckdb; duckdb.connect().execute('select 1')"`.
Results: bench/results/analyst_loop.json.

With --baseline DIR (another checkout, e.g. `git clone -q . ../before && git -C ../before checkout
<commit>`), its code runs the same commands in turn with this one's, each in a home its own
`overgang run` built, with this checkout's Python and packages; its figures are under `baseline`.
On a shared machine only runs made side by side can be compared.

    uv run python bench/analyst_loop.py [--repeat 3] [--baseline ../before]
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


def _timed(env: dict, *args: str, root: Path = ROOT) -> float:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pipelines.cli", *args], cwd=root, env=env, capture_output=True)
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


def _bare_seconds() -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import duckdb; duckdb.connect().execute('select 1')"], check=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--baseline", type=Path, default=None, help="another checkout, run in turn with this one")
    args = parser.parse_args()
    roots = {"this": ROOT} | ({"baseline": args.baseline.resolve()} if args.baseline else {})
    times: dict[str, dict[str, list[float]]] = {label: {} for label in roots}

    def note(label: str, what: str, seconds: float) -> None:
        times[label].setdefault(what, []).append(seconds)

    load_parts, parts, rows = {}, {}, 0
    with tempfile.TemporaryDirectory(prefix="overgang-loop-") as tmp:
        tmp = Path(tmp)
        base_input = tmp / "input"
        base_input.mkdir()
        for year in range(2015, 2025):
            shutil.copy(SAMPLE / f"optagelse_{year}.csv", base_input)
        for label, root in roots.items():
            _timed(_env(tmp / f"base-{label}", base_input), "run", root=root)
        new_year = tmp / "spring" / "optagelse_2025.csv"
        new_year.parent.mkdir()
        shutil.copy(SAMPLE / "optagelse_2025.csv", new_year)
        # As if downloaded a minute ago: `load` waits until a file has not changed for 10 s (one
        # still being written), which put a wait of about 9 s into the first timed load.
        a_minute_ago = time.time() - 60
        os.utime(new_year, (a_minute_ago, a_minute_ago))
        rows = sum(1 for _ in new_year.open(encoding="utf-8")) - 1

        for i in range(args.repeat):
            for label, root in roots.items():
                home = tmp / f"home-{label}-{i}"
                shutil.copytree(tmp / f"base-{label}", home, symlinks=True)
                note(label, "load", _timed(_env(home, base_input), "load", str(new_year), root=root))
        for label in roots:
            load_parts[label] = _step_seconds(tmp / f"home-{label}-{args.repeat - 1}")
        for _ in range(max(5, args.repeat)):
            for label, root in roots.items():
                env = _env(tmp / f"home-{label}-0", base_input)
                note(label, "report", _timed(env, "report", "--kommune", "169", root=root))
                note(label, "query", _timed(env, "query", "select 1", root=root))
            note("this", "bare", _bare_seconds())

        empty_input = tmp / "empty"
        empty_input.mkdir()
        for i in range(args.repeat):
            for label, root in roots.items():
                home = tmp / f"empty-{label}-{i}"
                # A run on no data: nothing to ingest, the warehouse built and published empty.
                started = time.perf_counter()
                subprocess.run(
                    [sys.executable, "-m", "pipelines.cli", "run"],
                    cwd=root,
                    env=_env(home, empty_input),
                    capture_output=True,
                )
                note(label, "empty", time.perf_counter() - started)
                parts[label] = _step_seconds(home)
    imports = {m: round(_import_seconds(m), 2) for m in ("pipelines.cli", "dagster", "pipelines.definitions")}
    python = round(_import_seconds("sys"), 2)
    bare = statistics.median(times["this"]["bare"])

    def figures(label: str) -> dict:
        t = times[label]
        query = statistics.median(t["query"])
        return {
            "load_new_year_to_published_and_report_s": round(statistics.median(t["load"]), 2),
            "load_runs_s": [round(x, 2) for x in t["load"]],
            "load_last_run": load_parts[label],
            "report_s": round(statistics.median(t["report"]), 2),
            "report_runs_s": [round(x, 2) for x in t["report"]],
            "query_select_1_s": round(query, 2),
            "query_over_bare_duckdb": round(query / bare, 2),
            "run_on_no_data_s": round(statistics.median(t["empty"]), 2),
            "run_on_no_data_last_run": parts[label],
        }

    out = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "load_average_at_end": [round(x, 1) for x in os.getloadavg()],
        "new_year_rows": rows,
        **figures("this"),
        "bare_duckdb_s": round(bare, 2),
        "run_on_no_data_parts": {"python_start_s": python, "imports_s": imports},
        "targets": {"load_to_report_s": 2.5, "report_s": 0.5, "query_over_bare_duckdb": 1.5},
    }
    if args.baseline:
        out["baseline"] = {"checkout": str(roots["baseline"]), **figures("baseline")}
    (ROOT / "bench" / "results" / "analyst_loop.json").write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
