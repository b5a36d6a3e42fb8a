# ruff: noqa
"""Round-2 hostile end-to-end: CPR spellings outside overgang/cpr.py's normalisation, in an
extract's school name (published) and date column (quarantine), a CPR in the input sub-folder
name, in an extra header cell, and in a published-table sidecar description.

Usage: .venv/bin/python hostile_findings/e2e_spellings.py /tmp/hh_e2e
Then it scans home/inbox/tmp and printed output with NFKC + its own needles.
"""

from __future__ import annotations

import os, subprocess, sys, unicodedata, re, json
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.test_privacy_hostile import HEADER, _env, _row, _texts_of  # noqa: E402

ROOT = Path(sys.argv[1])
KEYCAP = lambda d: "".join(c + "\ufe0f\u20e3" for c in d)  # noqa: E731 phone emoji digits
SUP = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
CIRC = dict(zip("0123456789", "⓪①②③④⑤⑥⑦⑧⑨"))


def cpr(i):  # day 0x, month 05, year 93: not used by the team's tests
    return f"0{1 + i}0593{8100 + i:04d}"


SPELL = {
    "keycap emoji": lambda d: KEYCAP(d[:6]) + "-" + KEYCAP(d[6:]),
    "superscript": lambda d: (d[:6] + "-" + d[6:]).translate(SUP),
    "circled": lambda d: "".join(CIRC[c] for c in d),
    "letter O for zero": lambda d: d.replace("0", "O"),
    "combining mark": lambda d: "\u0301".join(d),
    "hangul filler": lambda d: d[:6] + "\u3164" + d[6:],
    "braille blank": lambda d: d[:6] + "\u2800" + d[6:],
    "comma": lambda d: d[:6] + "," + d[6:],
    "colon": lambda d: d[:6] + ":" + d[6:],
    "plus": lambda d: d[:6] + "+" + d[6:],
    "4-digit year": lambda d: f"{d[:2]}.{d[2:4]}.19{d[4:6]}-{d[6:]}",
}
NUMBERS = {name: cpr(i) for i, name in enumerate(SPELL)}
SPELLED = {name: SPELL[name](NUMBERS[name]) for name in SPELL}
IN_FOLDER = "020493-8201"  # sub-folder name of --input
IN_HEADER = "030493" + "\u3164" + "8202"  # header cell, hangul-filler spelling
IN_SIDECAR = "040493-8203"  # sidecar yaml of a published table


def cli(env, *args):
    p = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", *args],
        cwd=Path(__file__).resolve().parents[1],
        env=env,
        capture_output=True,
        timeout=900,
    )
    return p


def main():
    home, inbox, tmp, key = ROOT / "home", ROOT / "inbox", ROOT / "tmp", ROOT / "secret" / "key"
    tmp.mkdir(parents=True, exist_ok=True)
    env = _env(home, inbox, tmp, key)
    printed = []
    r = cli(env, "key", "new", str(key))
    printed.append(r.stdout + r.stderr)
    header = HEADER + [f"Note {IN_HEADER}"]
    rows = [_row(i, 2024) for i in range(3000)]
    # A whole school named with each spelling (40 pupils: shown by name in the report).
    for j, (name, s) in enumerate(SPELLED.items()):
        rows += [
            _row(
                4000 + 50 * j + k,
                2024,
                **{"Skolens navn": f"Skole {s}", "Skolens institutionsnummer": f"1690{20 + j:02d}"},
            )
            for k in range(40)
        ]
    # One row per spelling in the date column (fails validation: value goes to quarantine).
    for j, s in enumerate(SPELLED.values()):
        rows.append(_row(9000 + j, 2024, **{"Ansøgningsdato": s}))
    folder = ROOT / "given" / f"elev {IN_FOLDER}"
    folder.mkdir(parents=True, exist_ok=True)
    lines = [";".join(header)] + [";".join(r[c] for c in HEADER) + ";x" for r in rows]
    (folder / "optagelse_2024.csv").write_bytes(("\r\n".join(lines) + "\r\n").encode())
    r = cli(env, "run", "--input", str(folder))
    printed.append(r.stdout + r.stderr)
    print("run rc", r.returncode)
    print(r.stdout.decode()[-4000:])
    print(r.stderr.decode()[-4000:])
    # A published table whose sidecar description holds a CPR number in its source field.
    pub = ROOT / "given" / "pub"
    pub.mkdir(parents=True, exist_ok=True)
    (pub / "soegetal.csv").write_text(
        "Søgetal for Høje-Taastrup Kommune, 9. og 10. klasse\n\nUddannelse;2022;2023\n"
        "Erhvervsuddannelser (EUD/EUX);17,2%;16,1%\nGymnasiale uddannelser;72,0%;73,5%\n"
        "Forberedende uddannelser/FGU;5,1%;4,9%\nØvrige ungdomsuddannelser/STU;1,4 %;1,2%\n"
        "Øvrigt;4,3%;4,3%\nI alt;100,0%;100,0%\n",
        encoding="utf-8",
    )
    (pub / "soegetal.yaml").write_text(
        "denominator: leavers_excl_10th_grade_applicants\ngeography_basis: school\n"
        f"source: mail fra elev {IN_SIDECAR}\n",
        encoding="utf-8",
    )
    r = cli(env, "load", str(pub / "soegetal.csv"))
    printed.append(r.stdout + r.stderr)
    print("load rc", r.returncode, r.stdout.decode()[-1500:], r.stderr.decode()[-1500:])
    r = cli(env, "report", "--kommune", "169", "--year", "2024")
    printed.append(r.stdout + r.stderr)
    print("report rc", r.returncode, r.stderr.decode()[-1500:])
    r = cli(env, "query", "--csv", "FROM analyst.quarantine")
    printed.append(r.stdout + r.stderr)
    r = cli(env, "query", "SELECT * FROM quarantine")
    printed.append(r.stdout + r.stderr)
    (ROOT / "printed.bin").write_bytes(b"\n".join(printed))
    scan(ROOT, printed)


def digits_nfkc(text: str) -> str:
    t = unicodedata.normalize("NFKC", text).replace("O", "0")
    return re.sub(
        r"\D", "", "".join(str(unicodedata.digit(c)) if unicodedata.digit(c, None) is not None else c for c in t)
    )


def scan(root: Path, printed):
    needles = {
        **NUMBERS,
        "folder": IN_FOLDER.replace("-", ""),
        "header": "0304938202",
        "sidecar": IN_SIDECAR.replace("-", ""),
    }
    hits = {}
    for folder in (root / "home", root / "inbox", root / "tmp"):
        for path in sorted(folder.rglob("*")):
            if path.is_symlink() or not path.is_file():
                continue
            texts = _texts_of(path, path.read_bytes())
            for t in texts:
                s = t.decode("utf-8", "replace")
                for chunk in [s[i : i + 20000] for i in range(0, len(s), 19000)]:
                    d = digits_nfkc(chunk)
                    for k, n in needles.items():
                        if n in d or n in s:
                            hits.setdefault(k, set()).add(str(path.relative_to(root)))
    for k, n in needles.items():
        for p in printed:
            s = p.decode("utf-8", "replace")
            if n in digits_nfkc(s):
                hits.setdefault(k, set()).add("printed output")
    for k in needles:
        print(f"{k:20} {sorted(hits.get(k, []))[:8]}")


if __name__ == "__main__":
    main()
