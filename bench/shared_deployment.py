"""The shared deployment against one kommune after another (issue 32): N generated kommuner, one
spring each (the generator's national year, split by the school's kommune), run

- `sequential`: `overgang run` once per kommune, one after another, each in its own home with its
  own key (what a shared service does today without the deployment);
- `shared`: deploy/shared/ with real PostgreSQL, Redis, a daemon and two Celery workers (the
  test's own servers, tests/shared_deployment.py), every tenant submitted at once.

Both start from the same extracts in fresh homes. Wall time from the first command to the last
published warehouse; peak memory as the largest sum of the resident memory of every process of
the mode at one moment (sampled every 0.2 s: the servers, daemon, workers and their children,
or the one `overgang run` child). Every home must end with a published warehouse.

    uv run python bench/shared_deployment.py --kommuner 98 [--modes sequential,shared]

Results in bench/results/shared_deployment.json. A benchmark, not a test: run as root (the
servers run as their own users) on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from overgang.generator import ENCODING_BY_YEAR, Generator, write_csv  # noqa: E402
from overgang.settings import PROJECT_DIR  # noqa: E402
from tests.cli import child_env  # noqa: E402
from tests.shared_deployment import deployment, servers  # noqa: E402

YEAR = 2024
RESULTS = PROJECT_DIR / "bench" / "results" / "shared_deployment.json"


def _processes() -> dict[int, tuple[int, int, str]]:
    """pid -> (parent pid, resident bytes, command line) of every process, from /proc (Linux)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            rss = int((entry / "statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, IndexError, ValueError):
            continue
        found[int(entry.name)] = (ppid, rss, cmdline)
    return found


class PeakMemory:
    """The largest summed RSS of `roots` and all their descendants, sampled in a thread."""

    def __init__(self, roots: list[int]) -> None:
        self.roots = roots
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            procs = _processes()
            # Each process once, though it may descend from two roots.
            mine, todo = set(), [pid for pid in self.roots if pid in procs]
            while todo:
                pid = todo.pop()
                if pid not in mine:
                    mine.add(pid)
                    todo.extend(c for c, (parent, _, _) in procs.items() if parent == pid)
            total = sum(procs[pid][1] for pid in mine)
            self.peak = max(self.peak, total)
            time.sleep(0.2)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def extracts(folder: Path, n: int) -> dict[int, Path]:
    """One extract per kommune: the generator's national year split by the school's kommune;
    the `n` kommuner with the most pupils."""
    frame = Generator(scale=1.0, all_municipalities=True, years=(YEAR, YEAR)).year_frame(YEAR)
    counts = frame["Skolens kommunenr"].value_counts()
    codes = [int(c) for c in counts.index if str(c).isdigit()][:n]
    out = {}
    for code in codes:
        path = folder / str(code) / "extracts" / f"optagelse_{YEAR}.csv"
        path.parent.mkdir(parents=True)
        write_csv(frame[frame["Skolens kommunenr"].astype(str) == str(code)], path, ENCODING_BY_YEAR.get(YEAR, "utf-8"))
        old = time.time() - 3600  # settled: the inbox's wait for a file still being written is not measured
        os.utime(path, (old, old))
        out[code] = path
    return out


def key(code: int) -> str:
    return f"bench-key-{code}-not-secret-".ljust(64, "k")


def published(home: Path) -> bool:
    return (home / "warehouse" / "overgang.duckdb").is_file()


def failed_runs(url: str) -> int:
    """Runs the deployment's history in PostgreSQL holds as failed (a retry is a new run)."""
    import psycopg2

    with psycopg2.connect(url) as con, con.cursor() as cur:
        cur.execute("SELECT count(*) FROM runs WHERE status = 'FAILURE'")
        row = cur.fetchone()
    return int(row[0]) if row else 0


def sequential(folder: Path, codes: dict[int, Path]) -> dict:
    started = time.perf_counter()
    peak = 0
    for code, extract in codes.items():
        home = folder / "homes" / str(code)
        env = child_env(
            OVERGANG_HOME=str(home),
            OVERGANG_INPUT_DIR=str(extract.parent),
            OVERGANG_CPR_KEY=key(code),
            OVERGANG_MUNICIPALITY__KOMMUNE_CODE=str(code),
        )
        proc = subprocess.Popen(
            [sys.executable, "-m", "pipelines.cli", "run"],
            env=env,
            cwd=PROJECT_DIR,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        with PeakMemory([proc.pid]) as mem:
            _, err = proc.communicate()
        peak = max(peak, mem.peak)
        if proc.returncode != 0 or not published(home):
            raise RuntimeError(f"kommune {code}: overgang run failed: {err.decode()[-2000:]}")
    return {"wall_s": round(time.perf_counter() - started, 1), "peak_mb": round(peak / 2**20)}


def shared(folder: Path, codes: dict[int, Path]) -> dict:
    entries, env = [], {}
    for code, extract in codes.items():
        name = f"k{code}"
        entries.append(
            {"name": name, "kommuner": [code], "home": str(extract.parent.parent), "cpr_key_env": f"KEY_{code}"}
        )
        env[f"KEY_{code}"] = key(code)
    tenants_file = folder / "tenants.yaml"
    tenants_file.write_text(yaml.safe_dump({"tenants": entries}))
    with servers() as box, deployment(box, folder / "deployment", tenants_file, **env) as dep:
        # The daemon and workers, Redis, and PostgreSQL's postmaster (pg_ctl detaches it: found by
        # its data folder in the servers' own folder).
        server_pids = [pid for pid, (_, _, cmd) in _processes().items() if str(box.folder) in cmd]
        roots = [p.pid for p in dep.processes.values()] + ([box.redis.pid] if box.redis else []) + server_pids
        started = time.perf_counter()
        with PeakMemory(roots) as mem:
            dep.submit(*(e["name"] for e in entries), timeout=1800)  # 98 runs queued by one command
            homes = [extract.parent.parent for extract in codes.values()]
            while not all(published(h) for h in homes):
                time.sleep(0.5)
                if failed := failed_runs(box.postgres_url):
                    raise RuntimeError(f"{failed} run(s) failed: see {folder / 'deployment' / 'logs'}")
                if time.perf_counter() - started > 3600:
                    raise RuntimeError("not every tenant published within an hour")
            wall = time.perf_counter() - started
        return {"wall_s": round(wall, 1), "peak_mb": round(mem.peak / 2**20)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kommuner", type=int, default=98)
    parser.add_argument("--modes", default="sequential,shared")
    args = parser.parse_args()
    results: dict = {"kommuner": args.kommuner, "year": YEAR}
    for mode in args.modes.split(","):
        with tempfile.TemporaryDirectory(prefix=f"overgang-bench-{mode}-") as tmp:
            folder = Path(tmp)
            folder.chmod(0o755)  # the servers' own users walk through it
            codes = extracts(folder / "tenants", args.kommuner)
            results["rows"] = sum(sum(1 for _ in p.open("rb")) - 1 for p in codes.values())
            results[mode] = sequential(folder, codes) if mode == "sequential" else shared(folder, codes)
            print(mode, results[mode], flush=True)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
