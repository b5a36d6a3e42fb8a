"""No CPR number past the door, tried as a hostile tester would.

Distinctive CPR numbers are typed into every column an extract is read from, into every kind
of small source (published table, targets, goals YAML, StatBank export, profilmodel), into a
file name; the main job, the sources job and the report run through the command line with an
own key; one run is killed with SIGKILL while it stages a Windows-1252 extract. Then every file
under OVERGANG_HOME, the inbox and the processes' temp folder, and everything they printed, is
searched for each number with and without its dash: in raw bytes, in every VARCHAR column of
every DuckDB and Parquet file, in every text column of Dagster's SQLite storage and inside
every zip (xlsx). The only files allowed to hold them are the analyst's own input files and
their byte-identical copies in the inbox.
"""

from __future__ import annotations

import hashlib
import io
import os
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import duckdb
import pytest

from overgang.generator import HEADER as GENERATOR_HEADER
from overgang.settings import PROJECT_DIR
from schemas.reference import column_map
from tests.cli import child_env
from tests.cpr_spellings import digit_forms, scannable, spellings

# The generator's layout plus the optional status column: every column an extract can be read from.
HEADER = [*GENERATOR_HEADER, "Status"]
READ_COLUMNS = [c for c, spec in column_map()["applications"].items() if not spec.get("drop") and c != "cpr"]
HEADER_OF = {c: next(h for h in HEADER if h in column_map()["applications"][c]["source"]) for c in READ_COLUMNS}


def _cpr(i: int, dash: str = "-") -> str:
    # Day 10-28, month 11, year 99: never produced by the tests' ordinary rows (010108-…, 0201…).
    return f"{10 + i % 19:02d}11{99 - i // 19:02d}{dash}{7000 + i:04d}"


HOSTILE = {column: _cpr(i) for i, column in enumerate(READ_COLUMNS)}  # one number per read column
SPELLINGS = {"no dash": _cpr(40, ""), "space": _cpr(41, " "), "spaced dash": _cpr(42, " - ")}
SOURCES = {kind: _cpr(50 + i) for i, kind in enumerate(["published", "targets", "goals", "statbank", "profilmodel"])}
IN_NAME = _cpr(60, "")
KILLED = _cpr(61)


def _cpr0(i: int) -> str:
    # Day 01-09 (so that dropping the leading zero is a spelling), month 11, year 80 and down.
    return f"0{1 + i % 9}11{80 - i // 9:02d}-{5000 + i:04d}"


# Every unusual spelling (tests/cpr_spellings.py) of its own number in every read column:
# (column, spelling) -> (number, as spelled).
SPELLED = {
    (column, name): (number, spelled)
    for i, (column, name) in enumerate((c, n) for c in READ_COLUMNS for n in spellings(_cpr0(0)))
    for number in [_cpr0(i)]
    for spelled in [spellings(number)[name]]
}
EVERY = [*HOSTILE.values(), *SPELLINGS.values(), *SOURCES.values(), IN_NAME, KILLED]
EVERY += [number for number, _ in SPELLED.values()]


def _forms(cpr: str) -> set[bytes]:
    digits = "".join(ch for ch in cpr if ch.isdigit())
    return {f"{digits[:6]}-{digits[6:]}".encode(), digits.encode()}


def _row(i: int, year: int, **changes) -> dict:
    base = {
        "CPR": f"{1 + i % 28:02d}0{1 + i % 9}0{year % 10}-{i % 10_000:04d}",  # unique: indices with one serial lie 10,000 apart
        "Fornavn": "Aya",
        "Efternavn": "Aasen",
        "Adresse": "Ahornvej 1",
        "Postnr": "2630",
        "By": "Taastrup",
        "Telefon": "12345678",
        "Adressebeskyttelse": "N",
        "Skolens institutionsnummer": "169001",
        "Skolens navn": "Nordskolen",
        "Skolens kommunenr": "169",
        "Bopælskommunenr": "169",
        "Klassetrin": "9",
        "Ansøgertype": "Direkte fra skole",
        "Prioritet": "1",
        "Uddannelse": "stx" if i % 3 else "eud_gf1",
        "EUX": "",
        "Ansøgningsdato": f"{year}-02-20",
        "Status": "Modtaget",
    }
    return {**base, **changes}


def _write(path: Path, rows: list[dict], encoding: str = "utf-8") -> Path:
    lines = [";".join(HEADER)] + [";".join(r[c] for c in HEADER) for r in rows]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


# Enough ordinary rows that the hostile ones stay under the run's quarantine limit (2 %).
ORDINARY_2024 = 14_000


def _extract_2024(path: Path) -> Path:
    rows = [_row(i, 2024) for i in range(ORDINARY_2024)]
    for j, (column, cpr) in enumerate(HOSTILE.items()):
        rows.append(_row(20_000 + j, 2024, **{HEADER_OF[column]: cpr}))
    for j, cpr in enumerate(SPELLINGS.values()):
        rows.append(_row(20_100 + j, 2024, **{"Skolens navn": f"Skole {cpr}"}))
    for j, ((column, _), (_, spelled)) in enumerate(SPELLED.items()):
        rows.append(_row(20_200 + j, 2024, **{HEADER_OF[column]: spelled}))
    return _write(path, rows)


def _extract_2023_cp1252(path: Path, rows: int = 1500, hostile: str | None = None) -> Path:
    # Characters where Windows-1252 differs from Latin-1 (€, en dash) force the in-memory copy.
    body = [_row(i, 2023, **{"Skolens navn": "Skole – €"}) for i in range(rows)]
    if hostile:
        body.append(_row(9999, 2023, **{"Skolens navn": f"Skole – {hostile}"}))
    return _write(path, body, "cp1252")


SIDE = "denominator: leavers_excl_10th_grade_applicants\ngeography_basis: school\nsource: test\n"


def _sources(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    published = folder / "soegetal_2024.csv"
    published.write_text(
        "Kommune;År;Klassetrin;Uddannelsesgruppe;Procent\r\n169;2024;9+10;EUD;23,7\r\n"
        "169;2024;9+10;GYM;70,1\r\n169;2024;9+10;Øvrige;6,2\r\n"
        f"{SOURCES['published']};2024;9+10;EUD;100\r\n",
        encoding="utf-8",
    )
    published.with_suffix(".yaml").write_text(SIDE, encoding="utf-8")
    targets = folder / "maaltal_2026.csv"
    targets.write_text(
        "kommune_code,target_year,target_group,target_pct,value_basis,decided_year,decided_by,"
        "stated_growth_pp_per_year,source\r\n"
        "169,2026,EUD,31,published,2025,Børne- og Skoleudvalget,1.3,test\r\n"
        f"169,2026,GYM,62,published,2025,Udvalget {SOURCES['targets']},,test\r\n",
        encoding="utf-8",
    )
    goals = folder / "maal.yaml"
    goals.write_text(
        "goals:\n  - goal_id: htk_eud_30\n    scope: kommune\n    kommune_code: 169\n"
        "    indicator: eud_share\n    indicator_kind: application\n    target_pct: 30\n"
        "    or_national_average: nej\n    set_by: Byrådet\n"
        f"    description_da: 30 % søger EUD, spurgt af {SOURCES['goals']}\n    source: test\n"
        # A second goal without one: a file none of whose rows would load is refused at intake.
        "  - goal_id: htk_gym_60\n    scope: kommune\n    kommune_code: 169\n"
        "    indicator: gym_share\n    indicator_kind: application\n    target_pct: 60\n"
        "    or_national_average: nej\n    set_by: Byrådet\n"
        "    description_da: 60 % søger GYM\n    source: test\n",
        encoding="utf-8",
    )
    statbank = folder / "statusu6_2025.csv"
    statbank.write_bytes(
        (
            '"I alt","2025","Hele landet",601166,404435,105009,41847,49875\r\n'
            '"I alt","2025","Høje-Taastrup",3443,2388,528,298,229\r\n'
            f'"I alt","2025","{SOURCES["statbank"]}",10,5,2,2,1\r\n'
        ).encode("cp1252")
    )
    profil = folder / "profilmodel_2024.csv"
    profil.write_text(
        "Kommune;Årgang;År efter 9. klasse;Andel;Profilmodel\r\n169;2023;25;88,1;2024\r\n"
        f"{SOURCES['profilmodel']};2023;25;90,0;2024\r\n",
        encoding="utf-8",
    )
    return [published, targets, goals, statbank, profil]


def _env(home: Path, inbox: Path, tmp: Path, key: Path) -> dict:
    return {
        **child_env(),
        "OVERGANG_HOME": str(home),
        "OVERGANG_INBOX": str(inbox),
        "OVERGANG_CPR_KEY_FILE": str(key),
        "TMPDIR": str(tmp),
        "TEMP": str(tmp),
        "TMP": str(tmp),
        "PYTHONUNBUFFERED": "1",
    }


def _overgang(env: dict, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", *args], cwd=PROJECT_DIR, env=env, capture_output=True, timeout=600
    )
    assert b"Traceback" not in done.stderr + done.stdout, (args, done.stderr.decode(errors="replace")[-3000:])
    if check:
        assert done.returncode == 0, (args, done.stderr.decode(errors="replace")[-3000:])
    return done


def _texts_of(path: Path, data: bytes) -> list[bytes]:
    """Every piece of text a file holds, as bytes: raw, and what its format hides from a byte
    search (compressed DuckDB and Parquet strings, SQLite pages, zip members)."""
    out = [data]
    if data[8:12] == b"DUCK" or data[:4] == b"PAR1":
        con = duckdb.connect()
        if data[:4] == b"PAR1":
            rel = con.execute("SELECT * FROM read_parquet($p)", {"p": str(path)})
            out += [repr(r).encode() for r in rel.fetchall()]
        else:
            con.execute(f"ATTACH '{path}' AS db (READ_ONLY)")
            columns = con.execute(
                "SELECT schema_name, table_name, column_name FROM duckdb_columns() "
                "WHERE database_name = 'db' AND data_type LIKE '%VARCHAR%'"
            ).fetchall()
            for schema, table, column in columns:
                out += [
                    str(v).encode()
                    for (v,) in con.execute(
                        f'SELECT DISTINCT "{column}" FROM db."{schema}"."{table}" WHERE "{column}" IS NOT NULL'
                    ).fetchall()
                ]
        con.close()
    elif data[:15] == b"SQLite format 3":
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
                out += [repr(r).encode() for r in db.execute(f'SELECT * FROM "{table}"').fetchall()]
    elif data[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            out += [z.read(n) for n in z.namelist()]
    return out


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    home, inbox, tmp, given = root / "home", root / "inbox", root / "systemtmp", root / "given"
    tmp.mkdir()
    key = root / "secret" / "cpr-key"
    env = _env(home, inbox, tmp, key)
    printed: list[bytes] = []

    def cli(*args, check=True):
        done = _overgang(env, *args, check=check)
        printed.extend([done.stdout, done.stderr])
        return done

    cli("key", "new", str(key))
    extracts = given / "extracts"
    inputs = [_extract_2024(extracts / "optagelse_2024.csv"), _extract_2023_cp1252(extracts / "optagelse_2023.csv")]
    inputs += _sources(given / "sources")
    named = _write(given / "other" / f"optagelse_2024_{IN_NAME}.csv", [_row(1, 2024)])
    link = given / "other" / "passwd.csv"
    link.symlink_to("/etc/passwd")
    inputs.append(named)

    runs = {"main": cli("run", "--input", str(extracts))}
    runs["sources"] = cli("load", *map(str, inputs[2:7]))
    runs["name"] = cli("load", str(named), check=False)
    runs["link"] = cli("load", str(link), check=False)
    runs["report"] = cli("report", "--kommune", "169", "--year", "2024")
    runs["query"] = cli("query", "FROM analyst.quarantine", "--csv")

    # A run killed with SIGKILL while it reads a larger Windows-1252 extract (its copy in memory).
    big = given / "big"
    inputs.append(_extract_2023_cp1252(big / "optagelse_2023.csv", rows=150_000, hostile=KILLED))
    process = subprocess.Popen(
        [sys.executable, "-m", "pipelines.cli", "run", "--input", str(big), "--year", "2023"],
        cwd=PROJECT_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        # Staging has begun once the run holds the working database open and writes to it.
        if (home / "work" / "overgang.duckdb.wal").exists():
            time.sleep(0.5)
            break
        time.sleep(0.05)
    killed_mid_run = process.poll() is None
    os.kill(process.pid, signal.SIGKILL)
    out, err = process.communicate()
    printed.extend([out, err])
    return {
        "home": home,
        "inbox": inbox,
        "tmp": tmp,
        "inputs": inputs,
        "printed": printed,
        "runs": runs,
        "killed_mid_run": killed_mid_run,
        "link": link,
    }


def _hits(hostile) -> list[str]:
    """Every place any of the numbers put in is found, in any spelling: each text is normalised
    as the guard normalises (overgang.cpr) and searched for the number's digits."""
    allowed = {hashlib.sha256(p.read_bytes()).hexdigest() for p in hostile["inputs"]}
    forms = {f: cpr for cpr in EVERY for f in digit_forms(cpr)}

    def numbers_in(text: bytes | str) -> set[str]:
        plain = scannable(text if isinstance(text, str) else text.decode("utf-8", errors="replace"))
        return {forms[f] for f in forms if f in plain}

    found, scanned = [], 0
    for folder in (hostile["home"], hostile["inbox"], hostile["tmp"]):
        for path in sorted(folder.rglob("*")):
            if path.is_symlink() or not path.is_file():
                continue
            found += [f"{cpr} in file name {path}" for cpr in numbers_in(path.name)]
            data = path.read_bytes()
            if hashlib.sha256(data).hexdigest() in allowed:
                continue  # the analyst's own file, kept as given
            scanned += 1
            for text in _texts_of(path, data):
                found += [f"{cpr} in {path}" for cpr in numbers_in(text)]
    for i, text in enumerate(hostile["printed"]):
        found += [f"{cpr} in printed output {i}" for cpr in numbers_in(text)]
    assert scanned > 20, "the scan must have looked at the warehouse, Dagster storage, report and ledger"
    return sorted(set(found))


def test_no_cpr_number_anywhere_after_runs_loads_reports_and_a_kill(hostile):
    assert hostile["killed_mid_run"], "the run ended before it could be killed: make the extract larger"
    assert _hits(hostile) == []


@pytest.mark.parametrize("column", READ_COLUMNS)
def test_cpr_in_each_read_column_is_quarantined_and_withheld(hostile, column):
    with duckdb.connect(str(hostile["home"] / "warehouse" / "overgang.duckdb"), read_only=True) as con:
        rows = con.execute(
            "SELECT source_file, value, message FROM quarantine WHERE rule = 'cpr_in_wrong_column' "
            "AND column_name = $c",
            {"c": column},
        ).fetchall()
        loaded = con.execute("SELECT count(*) FROM applications WHERE year = 2024").fetchone()[0]
    spelled = len(SPELLINGS) if column == "school_name" else 0  # the other spellings are in school names
    spelled += sum(c == column for c, _ in SPELLED)  # and every unusual spelling in every column
    assert [(f, v) for f, v, _ in rows] == [("optagelse_2024.csv", None)] * (1 + spelled)
    assert "withheld" in rows[0][2]
    assert loaded == ORDINARY_2024  # the ordinary rows all loaded; none of the hostile ones


def test_every_spelling_of_a_cpr_number_is_caught(hostile):
    with duckdb.connect(str(hostile["home"] / "warehouse" / "overgang.duckdb"), read_only=True) as con:
        school = con.execute(
            "SELECT count(*) FROM quarantine WHERE rule = 'cpr_in_wrong_column' AND column_name = 'school_name'"
        ).fetchone()[0]
    assert school == 1 + len(SPELLINGS) + sum(c == "school_name" for c, _ in SPELLED)


@pytest.mark.parametrize(
    "kind, table",
    [
        ("published", "published_application_shares"),
        ("targets", "targets"),
        ("goals", "goals"),
        ("profilmodel", "profilmodel_projections"),
    ],
)
def test_cpr_in_a_small_source_is_quarantined(hostile, kind, table):
    with duckdb.connect(str(hostile["home"] / "warehouse" / "overgang.duckdb"), read_only=True) as con:
        rules = con.execute(
            "SELECT rule, value FROM quarantine WHERE dataset = $t AND rule IN ('cpr_in_wrong_column', 'known_area')",
            {"t": table},
        ).fetchall()
    # Either withheld as a CPR, or held back as an unknown area with the number withheld.
    assert rules and all(v is None or "withheld" in v for _, v in rules)


def test_a_file_name_with_a_cpr_number_is_refused_unread(hostile):
    done = hostile["runs"]["name"]
    assert done.returncode == 1 and b"CPR-shaped number" in done.stderr + done.stdout


def test_a_symlink_to_a_system_file_is_refused_without_reading_it(hostile):
    done = hostile["runs"]["link"]
    said = (done.stderr + done.stdout).decode()
    assert done.returncode == 1 and "symbolic link" in said and "root:" not in said
    rejected = hostile["inbox"] / "rejected"
    assert not any("root:" in p.read_text(errors="replace") for p in rejected.glob("*")) if rejected.exists() else True
    assert not (rejected / "passwd.csv").exists()


def test_an_input_folder_file_named_with_a_cpr_number_is_refused_unread(tmp_path):
    """The input folder goes through the inbox: the file is refused before it is read, the number
    is in no message, ledger or file name, and the original stays where it was."""
    from intake.applications.ingest import FileRejected
    from intake.inbox.intake import extracts as extract_sources
    from overgang.settings import Settings

    folder = tmp_path / "input"
    _write(folder / "optagelse_2024.csv", [_row(1, 2024)])
    named = _write(folder / f"optagelse_2023_{IN_NAME}.csv", [_row(1, 2023)])
    settings = Settings(
        home=tmp_path / "home", input_dir=folder, pipeline=Settings.load().pipeline, inbox=tmp_path / "in"
    )
    with pytest.raises(FileRejected) as err:
        extract_sources(settings)
    message = str(err.value)
    assert "CPR-shaped number" in message and not any(f.decode() in message for f in _forms(IN_NAME))
    assert named.exists(), "the original in the input folder is never moved"
    # Asked again (the sensor every minute): refused again, and still nowhere in the inbox.
    with pytest.raises(FileRejected, match="CPR-shaped number"):
        extract_sources(settings)
    kept = [str(p) for p in (tmp_path / "in").rglob("*")]
    kept += [p.read_text(encoding="utf-8") for p in (tmp_path / "in").rglob("*") if p.is_file() and not p.is_symlink()]
    assert not any(f.decode() in text for f in _forms(IN_NAME) for text in kept)
