# ruff: noqa
"""Round-2 hostile extract contents: ESC and NUL in a school name, a ';=' school name, an
unreadable line holding a superscript CPR number, a CPR number split across two columns.
Usage: .venv/bin/python hostile_findings/e2e_contents.py /tmp/hh_e2e2"""

from __future__ import annotations
import subprocess, sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.test_privacy_hostile import HEADER, _env, _row  # noqa: E402

ROOT = Path(sys.argv[1])


def cli(env, *a):
    return subprocess.run(
        [sys.executable, "-m", "pipelines.cli", *a],
        cwd=Path(__file__).resolve().parents[1],
        env=env,
        capture_output=True,
        timeout=900,
    )


home, inbox, tmp, key = ROOT / "home", ROOT / "inbox", ROOT / "tmp", ROOT / "secret" / "key"
tmp.mkdir(parents=True, exist_ok=True)
env = _env(home, inbox, tmp, key)
cli(env, "key", "new", str(key))
rows = [_row(i, 2024) for i in range(3000)]
special = {
    "esc": "Skole\x1b[2J\x1b[31m ESC",
    "nul": "Skole 061207\x004418",
    "semicolon": '"Skole;=2+5"',
    "split": "Skole 071207",  # + EUX column 4419
}
for j, (k, name) in enumerate(special.items()):
    extra = {"EUX": "4419"} if k == "split" else {}
    rows += [
        _row(4000 + 50 * j + n, 2024, **{"Skolens navn": name, "Skolens institutionsnummer": f"16905{j}", **extra})
        for n in range(40)
    ]
lines = [";".join(HEADER)] + [";".join(r[c] for c in HEADER) for r in rows]
# an unreadable line (too many fields) holding a superscript CPR number
lines.append(";".join(_row(9999, 2024)[c] for c in HEADER) + ";⁰⁸¹²⁰⁷⁻⁴⁴²⁰;extra")
folder = ROOT / "given"
folder.mkdir(parents=True, exist_ok=True)
(folder / "optagelse_2024.csv").write_bytes(("\r\n".join(lines) + "\r\n").encode())
r = cli(env, "run", "--input", str(folder))
out = (r.stdout + r.stderr).decode(errors="replace")
print("run rc", r.returncode)
print(out[-5000:].replace("\x1b", "<ESC>").replace("\x00", "<NUL>"))
q = cli(env, "query", "--csv", "SELECT DISTINCT school_name FROM applications")
print("query:", (q.stdout + q.stderr).decode(errors="replace").replace("\x1b", "<ESC>").replace("\x00", "<NUL>"))
q = cli(env, "query", "SELECT * FROM quarantine")
print("quarantine:", (q.stdout + q.stderr).decode(errors="replace").replace("\x1b", "<ESC>")[-3000:])
for p in [*inbox.rglob("*.reason.txt")]:
    print(p, p.read_text(errors="replace")[:800])
