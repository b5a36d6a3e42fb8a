"""Publishing a new year by appending it to a copy of the published warehouse, against copying
every row into a fresh file (issue 17, item 4; assets/warehouse/append.py).

Setup (not timed): the working database of `scale.py`'s pipeline on its generated rows (1 M or
10 M), with a `publication` row as the warehouse step writes one; a copy of it without its newest
year, published the full way. Timed, in this process: `publish()` of the whole working database
onto that published file (appended), and into an empty folder (copied), in turn. Medians.
Results: bench/results/publish_append.json.

    uv run python bench/publish_append.py --size 10m --repeat 3
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATA = ROOT / "bench" / "data"


def _without_year(con, year: int) -> None:
    """Every row of `year` deleted, by `year` or, in a table without it, `file_year`."""
    # max(): 'year' sorts after 'file_year', so a table with both is cut by its year.
    for table, column in con.execute(
        "SELECT table_name, max(column_name) FROM duckdb_columns() WHERE schema_name = 'main' "
        "AND column_name IN ('year', 'file_year') GROUP BY table_name"
    ).fetchall():
        con.execute(f'DELETE FROM "{table}" WHERE "{column}" = {year}')


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", default="10m", choices=["1m", "10m"])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    import assets.warehouse.assets as warehouse
    from overgang.settings import Settings

    version = Settings.load().pipeline.storage_compatibility_version
    # The bench's pipeline makes no small sources, whose marts export_parquet writes: Parquet is
    # left out of both ways alike.
    warehouse.export_parquet = lambda con, folder: folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=DATA) as tmp:
        tmp = Path(tmp)
        home = tmp / "home"
        subprocess.run(
            [sys.executable, str(ROOT / "bench" / "scale.py"), "_child", "pipeline", args.size, str(home)],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        work = home / "work" / "overgang.duckdb"
        with duckdb.connect(str(work)) as con:
            con.execute(
                "CREATE OR REPLACE TABLE publication AS SELECT 'bench' AS run_id, now()::TIMESTAMP AS published_at, "
                "false AS synthetic_data"
            )
            newest = con.execute("SELECT max(year) FROM applications").fetchone()[0]
            rows = con.execute("SELECT count(*) FROM applications").fetchone()[0]
            added = con.execute("SELECT count(*) FROM applications WHERE year = $y", {"y": newest}).fetchone()[0]
        before = tmp / "before.duckdb"
        shutil.copy(work, before)
        with duckdb.connect(str(before)) as con:
            _without_year(con, newest)
        runs: dict[str, list[float]] = {"appended": [], "copied": []}
        sizes: dict[str, int] = {}
        for _ in range(args.repeat):
            for way in runs:
                out = tmp / way
                shutil.rmtree(out, ignore_errors=True)
                published = out / "overgang.duckdb"
                if way == "appended":
                    with duckdb.connect(str(before)) as con:
                        assert warehouse.publish(con, published, version)["method"] == "copied"
                with duckdb.connect(str(work)) as con:
                    started = time.perf_counter()
                    meta = warehouse.publish(con, published, version)
                    runs[way].append(round(time.perf_counter() - started, 2))
                assert meta["method"] == way, meta
                sizes[way] = meta["bytes"]
                print(f"{way:8s} {runs[way][-1]:6.2f} s  {meta['bytes'] / 1e6:6.1f} MB", flush=True)
    out = {
        "measured_at": time.strftime("%Y-%m-%d %H:%M"),
        "size": args.size,
        "rows": rows,
        "new_year": newest,
        "new_year_rows": added,
        **{way: {"seconds": statistics.median(t), "all_seconds": t, "bytes": sizes[way]} for way, t in runs.items()},
    }
    path = ROOT / "bench" / "results" / "publish_append.json"
    results = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    results[args.size] = out
    path.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
