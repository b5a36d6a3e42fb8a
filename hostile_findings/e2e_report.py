# ruff: noqa
"""Does a school named with an uncaught CPR spelling reach the council report (HTML, .xlsx) and
the publication set? Schools of 60 pupils with every group >= 5, so they are shown by name.
Usage: .venv/bin/python hostile_findings/e2e_report.py /tmp/hh_e2e3"""

from __future__ import annotations
import subprocess, sys, zipfile, re, html
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.test_privacy_hostile import HEADER, _env, _row

ROOT = Path(sys.argv[1])
EDU = ["eud_gf1", "stx", "fgu", "arbejde"]
NAMES = {
    "keycap": "Skole "
    + "".join(c + "\ufe0f\u20e3" for c in "010693")
    + "-"
    + "".join(c + "\ufe0f\u20e3" for c in "8301"),
    "superscript": "Skole ⁰²⁰⁶⁹³⁻⁸³⁰²",
    "hangul": "Skole 030693\u31648303",
    "plain": "Vestskolen",
}


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
rows, n = [], 0
for j, name in enumerate(["Nordskolen", *NAMES.values()]):
    for k in range(400 if j == 0 else 80):
        rows.append(
            _row(n, 2024, **{"Skolens navn": name, "Skolens institutionsnummer": f"16906{j}", "Uddannelse": EDU[k % 4]})
        )
        n += 1
lines = [";".join(HEADER)] + [";".join(r[c] for c in HEADER) for r in rows]
folder = ROOT / "given"
folder.mkdir(parents=True, exist_ok=True)
(folder / "optagelse_2024.csv").write_bytes(("\r\n".join(lines) + "\r\n").encode())
r = cli(env, "run", "--input", str(folder))
print("run rc", r.returncode, r.stderr.decode()[-1500:])
rep = home / "reports" / "rapport_169_2024.html"
text = html.unescape(re.sub(r"<[^>]+>", " ", rep.read_text(encoding="utf-8")))
with zipfile.ZipFile(rep.with_suffix(".xlsx")) as z:
    xlsx = "".join(z.read(m).decode("utf-8", "replace") for m in z.namelist())
for k, name in NAMES.items():
    core = name.removeprefix("Skole ")
    pub = [
        str(p.relative_to(home))
        for p in (home / "publication").rglob("*")
        if p.is_file() and core.encode() in p.read_bytes()
    ]
    print(f"{k:12} report.html={core in text} report.xlsx={core in xlsx} publication files={pub}")
