"""Wall time of the analyst's quick commands, `overgang query 'select 1'` and `overgang report`,
and what they import.

Both run the installed `overgang` console script (as an analyst types it) against a warehouse
built once by `overgang run` on the shipped sample in a temporary home. Wall time is the median
of N runs, each a fresh process. Imports are read from one extra run of each command under
PYTHONPROFILEIMPORTTIME=1 (what `python -X importtime` prints): the total import time and whether
Dagster or pandera was imported (issue 17: neither should be, for these two commands).

Results go under a label in bench/results/cli_startup.json; other labels in the file are kept.
With --baseline DIR (another checkout with its own `make setup`, e.g. a worktree of the commit
before a change) its `overgang` runs in turn with this one's, against the same warehouse, and is
stored as `before`: on a shared machine only runs made side by side can be compared.

    uv run python bench/cli_startup.py --label after [--repeat 5] [--baseline ../before]
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
OUT = ROOT / "bench" / "results" / "cli_startup.json"
OVERGANG = str(Path(sys.executable).parent / "overgang")
COMMANDS = {"query": ["query", "select 1"], "report": ["report"]}
HEAVY = ("dagster", "pandera")


def _env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OVERGANG_", "DAGSTER_"))}
    return {**env, "OVERGANG_HOME": str(home), **extra}


def _run(home: Path, args: list[str], overgang: str = OVERGANG, cwd: Path = ROOT, **extra: str):
    out = subprocess.run([overgang, *args], cwd=cwd, env=_env(home, **extra), capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"overgang {' '.join(args)} failed:\n{out.stderr[-2000:]}")
    return out


def imports(stderr: str) -> dict:
    """Top-level packages imported and the total import time, from `-X importtime` lines
    ("import time: self [us] | cumulative | imported package")."""
    total_us, packages = 0, set()
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "imported package" in line:
            continue
        self_us, _, name = line.removeprefix("import time:").split("|")
        total_us += int(self_us)
        packages.add(name.strip().split(".")[0])
    return {
        "import_seconds": round(total_us / 1e6, 2),
        "modules_imported": sum(1 for line in stderr.splitlines() if line.startswith("import time:")) - 1,
        **{f"imports_{name}": name in packages for name in HEAVY},
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--label", required=True, help="Key in the results file, e.g. before or after.")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--baseline", type=Path, help="Another checkout (with .venv) measured in turn with this one.")
    args = parser.parse_args()
    sides = {args.label: (OVERGANG, ROOT)}
    if args.baseline:
        sides["before"] = (str(args.baseline.resolve() / ".venv" / "bin" / "overgang"), args.baseline.resolve())
    results: dict[str, dict] = {label: {} for label in sides}
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        print("building the warehouse (overgang run) …", flush=True)
        _run(home, ["run"])
        for name, command in COMMANDS.items():
            times: dict[str, list[float]] = {label: [] for label in sides}
            for overgang, cwd in sides.values():
                _run(home, command, overgang, cwd)  # warm the file cache; not counted
            for _ in range(args.repeat):
                for label, (overgang, cwd) in sides.items():
                    started = time.perf_counter()
                    _run(home, command, overgang, cwd)
                    times[label].append(time.perf_counter() - started)
            for label, (overgang, cwd) in sides.items():
                profile = imports(_run(home, command, overgang, cwd, PYTHONPROFILEIMPORTTIME="1").stderr)
                results[label][name] = {
                    "command": "overgang " + " ".join(f"'{a}'" if " " in a else a for a in command),
                    "wall_seconds_median": round(statistics.median(times[label]), 3),
                    "wall_seconds_all": [round(t, 3) for t in times[label]],
                    **profile,
                }
                print(f"{label}: {json.dumps(results[label][name])}", flush=True)
    everything = json.loads(OUT.read_text(encoding="utf-8")) if OUT.exists() else {}
    for label in sides:
        everything[label] = {
            **results[label],
            "commit": subprocess.run(
                ["git", "rev-parse", "--short", "HEAD"], cwd=sides[label][1], capture_output=True, text=True
            ).stdout.strip(),
            "repeat": args.repeat,
            "load_average_1min": round(os.getloadavg()[0], 1),
            "machine": f"{platform.machine()}, {os.cpu_count()} cores (shared), Python {platform.python_version()}",
            "measured_at": time.strftime("%Y-%m-%d %H:%M"),
        }
    OUT.write_text(json.dumps(everything, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
