"""Cost of looking for CPR numbers in every column at staging (issue 11).

    uv run python bench/cpr_guard.py --size 10m --repeat 3

Stages the same generated extracts (bench/data/<size>, made by bench/scale.py's generator) with
the pipeline's own staging statement twice per repetition, in a fresh DuckDB file each time:
once with every column guarded (ingest.cpr_guarded, as the pipeline runs) and once with the
columns passed through unguarded (the statement before the guard). Only the staging statement
is timed: that is where the guard runs. Results: bench/results/cpr_guard.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from scale import _files  # noqa: E402

from intake.applications import ingest  # noqa: E402


def _stage_all(files: list[Path], guarded: bool) -> float:
    original = ingest.cpr_guarded
    if not guarded:
        ingest.cpr_guarded = lambda sources: (
            {
                **sources,
                "cpr_in_row": ingest.SQL("false"),
                "cpr_hits": ingest.SQL("NULL"),
                "cpr_found_in": ingest.SQL("NULL"),
            },
            {},
        )
    try:
        with tempfile.TemporaryDirectory() as tmp:
            con = duckdb.connect(str(Path(tmp) / "bench.duckdb"))
            con.execute(ingest.read_sql("applications", "create_staging_applications"))
            con.execute(ingest.read_sql("applications", "quarantine"))
            started, cpu = time.perf_counter(), time.process_time()
            for path in files:
                ingest.stage_file(con, path, int(path.stem[-4:]), b"k" * 32, False, "bench")
            elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
            rows = con.execute("SELECT count(*) FROM staging_applications").fetchone()[0]
            con.close()
    finally:
        ingest.cpr_guarded = original
    print(f"  {'guarded' if guarded else 'unguarded'}: {rows:,} rows in {elapsed:.2f} s ({cpu:.2f} s CPU)", flush=True)
    return elapsed, cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", default="10m")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    files = _files(args.size)
    wall, cpu = {"guarded": [], "unguarded": []}, {"guarded": [], "unguarded": []}
    for i in range(args.repeat):
        # Alternate the order so that neither always runs with a warmer page cache.
        for guarded in (True, False) if i % 2 == 0 else (False, True):
            name = "guarded" if guarded else "unguarded"
            w, c = _stage_all(files, guarded)
            wall[name].append(w)
            cpu[name].append(c)
    medians = {k: statistics.median(v) for k, v in wall.items()}
    cpu_medians = {k: statistics.median(v) for k, v in cpu.items()}
    # CPU time (all of DuckDB's threads) is reported beside wall time: on a shared machine it is
    # the steadier measure of the work the guard adds.
    result = {
        "size": args.size,
        "files": len(files),
        "repeat": args.repeat,
        "seconds": wall,
        "cpu_seconds": cpu,
        "median_seconds": medians,
        "median_cpu_seconds": cpu_medians,
        "overhead_pct": round(100 * (medians["guarded"] / medians["unguarded"] - 1), 1),
        "cpu_overhead_pct": round(100 * (cpu_medians["guarded"] / cpu_medians["unguarded"] - 1), 1),
    }
    out = ROOT / "bench" / "results" / "cpr_guard.json"
    out.write_text(json.dumps(result, indent=1) + "\n")
    print(
        json.dumps(result["median_seconds"]),
        f"overhead {result['overhead_pct']} % wall, {result['cpu_overhead_pct']} % CPU",
    )


if __name__ == "__main__":
    main()
