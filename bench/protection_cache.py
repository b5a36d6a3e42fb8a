"""The persistent protection cache (issue 17 item 4): a new spring's run with and without it.

Setup (not timed) as in `analyst_loop.py`: a home whose warehouse holds the shipped sample's
2015-2024, made by `overgang run` (which also fills `<home>/cache/protection/` when the code has
the cache). Each timed `overgang load optagelse_2025.csv` starts from a copy of that home; with
`--cold` the copy's protection cache is removed first, so every cube is protected again (the
code's behaviour before the cache). From the run's Dagster event log: the `publication_set` and
`council_report` steps' durations (STEP_START to STEP_SUCCESS). Then `publication_rows` alone in
a fresh process (wall and CPU time: without a cache, filling an empty one, from a filled one),
and `overgang report --kommune 169` on the loaded home (warm) and on a copy without the cache
(cold). Every command is the
real CLI in a fresh Python process. Medians. Results: bench/results/protection_cache.json.

    uv run python bench/protection_cache.py [--repeat 3] [--label after] [--baseline DIR]

With `--baseline DIR` (a checkout of the code before the cache, e.g. `git worktree add` or
`git archive ce53b7c | tar -x -C DIR`), its `overgang` runs in turn with this one's as the mode
"before", from its own base home, with this checkout's Python environment.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from analyst_loop import SAMPLE, _env  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
STEPS = ("publication_set", "council_report")


def _timed(root: Path, env: dict, *args: str) -> float:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pipelines.cli", *args], cwd=root, env=env, capture_output=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"overgang {' '.join(args)} failed:\n{done.stdout.decode()[-2000:]}{done.stderr.decode()[-2000:]}")
    return seconds


def step_durations(home: Path) -> dict[str, float]:
    """Each step's seconds in the home's last Dagster run (STEP_START to STEP_SUCCESS)."""
    from dagster import DagsterEventType, DagsterInstance

    os.environ["DAGSTER_HOME"] = str(home / "dagster")
    with DagsterInstance.get() as instance:
        run = instance.get_runs(limit=1)[0]
        events = instance.all_logs(run.run_id)
    starts, out = {}, {}
    for e in events:
        if e.dagster_event is None:
            continue
        kind = e.dagster_event.event_type
        if kind == DagsterEventType.STEP_START:
            starts[e.step_key] = e.timestamp
        elif kind == DagsterEventType.STEP_SUCCESS and e.step_key in starts:
            out[e.step_key] = round(e.timestamp - starts.pop(e.step_key), 3)
    return out


ROWS = """
import json, sys, time
from pathlib import Path
import duckdb
from overgang.protection_cache import ProtectionCache
from assets.warehouse.publication import publication_rows
from overgang.pipeline_settings import SmallCell
home = Path(sys.argv[1])
store = ProtectionCache(home / "cache" / "protection") if sys.argv[2] == "yes" else None
wall, cpu = time.perf_counter(), time.process_time()
with duckdb.connect(str(home / "warehouse" / "overgang.duckdb"), read_only=True) as con:
    publication_rows(con, SmallCell(min_count=5, min_denominator=20), store)
print(json.dumps([time.perf_counter() - wall, time.process_time() - cpu]))
"""


def publication_rows_seconds(root: Path, home: Path, store: bool) -> tuple[float, float]:
    """publication_rows (every cube protected or taken from the cache, and audited) in a fresh
    process: wall and CPU seconds, imports excluded. CPU time suffers less from a loaded machine."""
    done = subprocess.run(
        [sys.executable, "-c", ROWS, str(home), "yes" if store else "no"],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    )
    return tuple(json.loads(done.stdout.strip().splitlines()[-1]))


def _median(xs: list[float]) -> float:
    return round(statistics.median(xs), 3)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--label", default="after")
    parser.add_argument("--baseline", type=Path, help="a checkout of the code before the cache")
    args = parser.parse_args()
    roots = {"cold": ROOT, "warm": ROOT}
    if args.baseline:
        roots = {"before": args.baseline.resolve(), **roots}
    with tempfile.TemporaryDirectory(prefix="overgang-protect-") as tmp:
        tmp = Path(tmp)
        base_input = tmp / "input"
        base_input.mkdir()
        for year in range(2015, 2025):
            shutil.copy(SAMPLE / f"optagelse_{year}.csv", base_input)
        base = tmp / "base"
        _timed(ROOT, _env(base, base_input), "run")
        if args.baseline:
            _timed(roots["before"], _env(tmp / "base-before", base_input), "run")
        cached_entries = len(list((base / "cache" / "protection").glob("*.json")))
        new_year = tmp / "spring" / "optagelse_2025.csv"
        new_year.parent.mkdir()
        shutil.copy(SAMPLE / "optagelse_2025.csv", new_year)

        modes: dict[str, dict] = {}
        for i in range(args.repeat):
            # The modes in turn, so a burst of load from elsewhere falls on both.
            for mode, root in roots.items():
                home = tmp / f"{mode}{i}"
                shutil.copytree(tmp / "base-before" if mode == "before" else base, home, symlinks=True)
                if mode == "cold":
                    shutil.rmtree(home / "cache", ignore_errors=True)
                wall = _timed(root, _env(home, base_input), "load", str(new_year))
                steps = step_durations(home)
                m = modes.setdefault(mode, {"wall": [], **{s: [] for s in STEPS}})
                m["wall"].append(wall)
                for s in STEPS:
                    m[s].append(steps[s])
        # publication_rows alone, on the home after the new spring (2015-2025): without the cache
        # (the code as before), with an empty cache (it fills it), with the filled cache.
        rows: dict[str, list] = {"no cache": [], "empty cache": [], "filled cache": []}
        for i in range(max(5, args.repeat)):
            plain = tmp / f"rows{i}"
            shutil.copytree(tmp / "warm0", plain, symlinks=True)
            shutil.rmtree(plain / "cache", ignore_errors=True)
            rows["no cache"].append(publication_rows_seconds(ROOT, plain, False))
            rows["empty cache"].append(publication_rows_seconds(ROOT, plain, True))
            rows["filled cache"].append(publication_rows_seconds(ROOT, plain, True))
        reports: dict[str, list[float]] = {mode: [] for mode in roots}
        warm_home = tmp / "warm0"
        for i in range(max(5, args.repeat)):
            if args.baseline:
                before_home = tmp / "before0"
                reports["before"].append(
                    _timed(roots["before"], _env(before_home, base_input), "report", "--kommune", "169")
                )
            cold_home = tmp / f"report-cold{i}"
            shutil.copytree(warm_home, cold_home, symlinks=True)
            shutil.rmtree(cold_home / "cache", ignore_errors=True)
            reports["cold"].append(_timed(ROOT, _env(cold_home, base_input), "report", "--kommune", "169"))
            reports["warm"].append(_timed(ROOT, _env(warm_home, base_input), "report", "--kommune", "169"))
    out = {
        "label": args.label,
        "measured": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "load_average_after": os.getloadavg()[0],
        "repeat": args.repeat,
        "cache_entries_after_base_run": cached_entries,
        "new_spring_load": {
            mode: {
                "wall_s": _median(m["wall"]),
                "wall_runs_s": [round(x, 2) for x in m["wall"]],
                **{f"{s}_s": _median(m[s]) for s in STEPS},
                **{f"{s}_runs_s": m[s] for s in STEPS},
            }
            for mode, m in modes.items()
        },
        "publication_rows_2015_2025": {
            mode: {
                "wall_s": _median([w for w, _ in xs]),
                "cpu_s": _median([c for _, c in xs]),
                "wall_runs_s": [round(w, 3) for w, _ in xs],
            }
            for mode, xs in rows.items()
        },
        "report_169_s": {mode: _median(xs) for mode, xs in reports.items()},
        "report_169_runs_s": {mode: [round(x, 2) for x in xs] for mode, xs in reports.items()},
    }
    results = ROOT / "bench" / "results" / "protection_cache.json"
    previous = json.loads(results.read_text()) if results.exists() else {}
    previous[args.label] = out
    results.write_text(json.dumps(previous, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(out, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
