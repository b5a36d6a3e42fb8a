"""Wall time and peak memory of the main command (`overgang run`) on the shipped sample.

Each repetition runs the real command in a fresh OVERGANG_HOME (new warehouse, new Dagster
instance), as `make run` does on a fresh clone after setup. Peak memory is the largest resident
set of the command and its children (getrusage). Results: bench/results/main_command.json.

    uv run python bench/main_command.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def one_run(home: Path) -> tuple[float, float]:
    env = {**os.environ, "OVERGANG_HOME": str(home)}
    env.pop("DAGSTER_HOME", None)
    started = time.perf_counter()
    # A fresh Python per run so that getrusage's children maximum is this run's alone.
    code = (
        "import resource, subprocess, sys; "
        "r = subprocess.run([sys.executable, '-m', 'pipelines.cli', 'run'], capture_output=True); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(r.returncode)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if out.returncode != 0:
        sys.exit(f"overgang run failed:\n{out.stderr[-2000:]}")
    return elapsed, int(out.stdout.strip()) / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    times, peaks = [], []
    for i in range(args.repeat):
        with tempfile.TemporaryDirectory() as tmp:
            seconds, mb = one_run(Path(tmp) / "home")
            report = next((Path(tmp) / "home" / "reports").glob("*.html"))
            warehouse = Path(tmp) / "home" / "warehouse" / "overgang.duckdb"
            sizes = {"report_mb": report.stat().st_size / 1e6, "warehouse_mb": warehouse.stat().st_size / 1e6}
        times.append(seconds)
        peaks.append(mb)
        print(f"run {i + 1}/{args.repeat}: {seconds:.2f} s, peak RSS {mb:.0f} MB", flush=True)
    result = {
        "command": "overgang run (shipped sample, fresh OVERGANG_HOME each time)",
        "repeat": args.repeat,
        "wall_seconds_median": round(statistics.median(times), 2),
        "wall_seconds_all": [round(t, 2) for t in times],
        "peak_rss_mb_median": round(statistics.median(peaks)),
        **{k: round(v, 2) for k, v in sizes.items()},
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "measured_at": time.strftime("%Y-%m-%d %H:%M"),
    }
    out = ROOT / "bench" / "results" / "main_command.json"
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
