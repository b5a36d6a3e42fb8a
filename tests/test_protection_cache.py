"""The protection cache on disk (overgang/protection_cache.py, reports/cells.py: _protected), tested
as someone who wants it to leak or to lie would: a cached result must be the one protect() gives,
anything that changes the result must miss, a tampered, torn or garbage entry must never be
trusted, two processes at once and a process killed mid-write must leave nothing half-read, a
cache that cannot be written must cost time and nothing else, and the files must hold no counts.

The attacker at the end (tests/attacker.py) solves with scipy, apart from the code under test."""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import duckdb
import pytest

import overgang.groups as groups
import overgang.protection_cache as protection_cache
import overgang.suppression as suppression
import reports.cells as cells
from overgang.groups import GroupScheme
from overgang.pipeline_settings import SmallCell
from overgang.protection_cache import ProtectionCache
from overgang.settings import PROJECT_DIR
from overgang.suppression import MIN_SPAN, PRIMARY, SECONDARY, check
from schemas.reference import GROUP_COLUMNS, read_groups
from tests.attacker import Knowledge
from tests.cli import overgang, overgang_process

SMALL = SmallCell(min_count=5, min_denominator=20)
# The shipped education groups, as the report's cube reads them (data/config/education_groups.csv).
SCHEME = GroupScheme.from_rows([r[c] for c in GROUP_COLUMNS[:5]] for r in read_groups())


@pytest.fixture(autouse=True)
def _cold_process():
    """Each test starts as a new process would: nothing protected or proven in memory."""
    cells._CACHE.clear()
    suppression._PROVEN.clear()
    protection_cache._OPEN.clear()
    yield
    cells._CACHE.clear()
    suppression._PROVEN.clear()
    protection_cache._OPEN.clear()


def new_process() -> None:
    cells._CACHE.clear()
    suppression._PROVEN.clear()


def part(shift: int = 0) -> dict:
    """One kommune-year's counts as load_published gathers them, consistent in every sum: a small
    group (FGU 2) that needs a second cell hidden, a 10th grade with a small cell (left out), three
    schools of which one is too small to show (pooled).
    `shift` moves pupils from GYM to EUD everywhere (another input, still consistent)."""
    schools = {
        "101001": {"EUD": 12 + shift, "GYM": 30 - shift, "OEVRIGE": 6},
        "101002": {"EUD": 9, "GYM": 26, "OEVRIGE": 7},
        "101003": {"EUD": 1, "GYM": 8, "OEVRIGE": 0},
    }
    total = {t: sum(s[t] for s in schools.values()) for t in ("EUD", "GYM", "OEVRIGE")}
    grade10 = {"EUD": 6, "GYM": 9, "OEVRIGE": 4}
    boys = {"EUD": 13, "GYM": 29, "OEVRIGE": 6}
    return {
        "groups": {"EUD": total["EUD"], "GYM": total["GYM"], "FGU": 2, "STU": 6, "OEVRIGT": 5, "TIENDE": 7},
        "grade": {"9": {t: total[t] - grade10[t] for t in total}, "10": grade10},
        "sex": {"M": boys, "K": {t: total[t] - boys[t] for t in total}},
        "school": schools,
        "names": {f"school:{k}": f"Skole {k}" for k in schools},
    }


def fresh(p: dict, small: SmallCell = SMALL):
    """protect() without any cache, as the code did before the cache."""
    new_process()
    out = cells._protected(p, small, SCHEME)
    new_process()
    return out


def result(found) -> tuple:
    cube, labels, leave, pooled = found
    return cube.values, cube.sums, labels, leave, pooled


def entries(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.json"))


def verified(store: ProtectionCache, path: Path) -> bool:
    """An entry file whole and written with the home's key."""
    try:
        entry = json.loads(path.read_bytes())
    except ValueError:
        return False
    return entry.get("mac") == store._mac(store.key(), path.stem, entry.get("value"))


def forge(store: ProtectionCache, path: Path, value) -> None:
    """Rewrite an entry as someone holding the home's key would: it verifies."""
    data = {"format": protection_cache.FORMAT, "value": value, "mac": store._mac(store.key(), path.stem, value)}
    path.write_bytes(protection_cache.canonical(data))


def counting_protect(monkeypatch) -> list:
    calls = []
    real = cells.protect

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(cells, "protect", counted)
    return calls


# -- the same answer, from the cache -------------------------------------------------------------


def test_a_second_process_gets_protects_answer_from_the_cache_without_protecting(tmp_path, monkeypatch):
    want = fresh(part())
    assert any(v == PRIMARY for v in want[1].values()) and any(v == SECONDARY for v in want[1].values())
    store = ProtectionCache(tmp_path / "cache" / "protection")
    assert result(cells._protected(part(), SMALL, SCHEME, store)) == result(want)
    assert len(entries(store.folder)) == 1
    new_process()
    calls = counting_protect(monkeypatch)
    again = cells._protected(part(), SMALL, SCHEME, ProtectionCache(store.folder))
    assert result(again) == result(want) and calls == []
    # The cached labels were audited on the way in: the later checks (publication set, report) are free.
    assert suppression._signature(again[0], again[1], 5, MIN_SPAN) in suppression._PROVEN


@pytest.mark.parametrize(
    "change",
    ["count", "min_count", "min_denominator", "code", "key"],
)
def test_anything_the_result_depends_on_changed_is_a_miss(tmp_path, monkeypatch, change):
    folder = tmp_path / "protection"
    cells._protected(part(), SMALL, SCHEME, ProtectionCache(folder))
    new_process()
    p, small, store = part(), SMALL, ProtectionCache(folder)
    if change == "count":
        p = part(shift=1)
    elif change in ("min_count", "min_denominator"):
        small = replace(small, **{change: getattr(small, change) + 1})
    elif change == "code":
        monkeypatch.setattr(cells, "_FINGERPRINT", ["0" * 64])
    else:
        store.key_file.write_bytes(os.urandom(protection_cache.KEY_BYTES))
        store = ProtectionCache(folder)
    calls = counting_protect(monkeypatch)
    got = cells._protected(p, small, SCHEME, store)
    assert calls, "a changed input was answered from the cache"
    assert result(got) == result(fresh(p, small))
    assert len(entries(folder)) == 2


def test_the_code_fingerprint_follows_the_bytes_of_the_code(tmp_path):
    a, b = tmp_path / "a.py", tmp_path / "b.py"
    a.write_text("x = 1\n")
    b.write_text("y = 2\n")
    first = protection_cache.code_fingerprint(a, b)
    a.write_text("x = 1  # a comment\n")
    assert protection_cache.code_fingerprint(a, b) != first
    # The files' boundaries count: moving bytes from one file to the other is another code.
    a.write_text("x = 1\ny")
    b.write_text(" = 2\n")
    assert protection_cache.code_fingerprint(a, b) != first
    assert cells._fingerprint() == protection_cache.code_fingerprint(
        cells.__file__, suppression.__file__, groups.__file__, protection_cache.__file__, extra=_solver_extra()
    )


def _solver_extra() -> str:
    from highspy import _core

    return "highs " + ".".join(str(getattr(_core, f"HIGHS_VERSION_{p}")) for p in ("MAJOR", "MINOR", "PATCH"))


# -- tampered entries: never trusted ---------------------------------------------------------------


def _filled(tmp_path) -> tuple[ProtectionCache, Path, tuple]:
    store = ProtectionCache(tmp_path / "protection")
    want = cells._protected(part(), SMALL, SCHEME, store)
    (path,) = entries(store.folder)
    new_process()
    return ProtectionCache(store.folder), path, want


def _tampered(value: dict, want: tuple, how: str) -> dict:
    cube, labels, leave, _ = want
    hidden = dict(value["hidden"])
    if how == "primary shown":
        hidden.pop(min(c for c, v in hidden.items() if v == PRIMARY))
    elif how == "secondary shown":
        for c in [c for c, v in hidden.items() if v == SECONDARY]:
            hidden.pop(c)
    elif how == "primary as x":
        c = min(c for c, v in hidden.items() if v == PRIMARY)
        hidden[c] = SECONDARY
    elif how == "<5 on a large cell":
        c = min(c for c, v in labels.items() if v is None)
        hidden[c] = PRIMARY
    elif how == "unknown cell":
        hidden["school:999999/EUD"] = SECONDARY
    elif how == "unknown label":
        hidden[next(iter(hidden))] = "<3"
    elif how == "nothing hidden":
        hidden = {}
    elif how == "a split put back":
        return {"hidden": hidden, "leave": []}
    elif how == "not a dict":
        return {"hidden": list(hidden), "leave": value["leave"]}
    return {"hidden": hidden, "leave": value["leave"]}


TAMPERINGS = [
    "primary shown",
    "secondary shown",
    "primary as x",
    "<5 on a large cell",
    "unknown cell",
    "unknown label",
    "nothing hidden",
    "a split put back",
    "not a dict",
]


@pytest.mark.parametrize("how", TAMPERINGS)
@pytest.mark.parametrize("with_key", [False, True], ids=["edited", "forged with the key"])
def test_a_tampered_entry_is_not_used_and_is_rewritten(tmp_path, monkeypatch, how, with_key):
    store, path, want = _filled(tmp_path)
    value = json.loads(path.read_bytes())["value"]
    bad = _tampered(value, want, how)
    assert bad != value
    if with_key:
        forge(store, path, bad)
    else:
        entry = json.loads(path.read_bytes())
        entry["value"] = bad
        path.write_bytes(protection_cache.canonical(entry))
    calls = counting_protect(monkeypatch)
    got = cells._protected(part(), SMALL, SCHEME, store)
    assert calls, f"the tampered entry ({how}) was used"
    assert result(got) == result(want)
    check(got[0], got[1])
    assert json.loads(path.read_bytes())["value"] == value, "the entry was not rewritten"


def test_a_forged_entry_that_hides_more_and_still_protects_is_safe_to_use(tmp_path):
    """With the key, one can make the cache hide more than protect() would (publish less). That
    cannot leak: the labels keep every "<5" and pass the audit. (It is the only way a cached
    result may differ from protect()'s, and it needs the home's key.)"""
    store, path, want = _filled(tmp_path)
    value = json.loads(path.read_bytes())["value"]
    cube, labels = want[0], want[1]
    extra = None
    for c in sorted(c for c, v in labels.items() if v is None):
        try:
            check(cube, {**labels, c: SECONDARY})
        except cells.DisclosureError:
            continue
        extra = c
        break
    assert extra is not None
    new_process()
    forge(store, path, {**value, "hidden": {**value["hidden"], extra: SECONDARY}})
    got = cells._protected(part(), SMALL, SCHEME, store)
    assert got[1][extra] == SECONDARY
    assert all(got[1][c] == v for c, v in labels.items() if v is not None)
    new_process()
    check(got[0], got[1])


def test_a_refusal_is_kept_and_a_forged_refusal_refuses_only(tmp_path, monkeypatch):
    """Nothing is published from a cube protect() cannot protect; the cache keeps that answer.
    A forged refusal can stop a publication, never open one."""
    store, path, want = _filled(tmp_path)
    forge(store, path, {"refused": "cannot protect g/FGU"})
    with pytest.raises(cells.DisclosureError, match="cannot protect g/FGU"):
        cells._protected(part(), SMALL, SCHEME, store)

    def cannot(*args, **kwargs):
        raise cells.DisclosureError("cannot protect g/STU: every related cell is hidden already")

    new_process()
    path.unlink()
    monkeypatch.setattr(cells, "protect", cannot)
    with pytest.raises(cells.DisclosureError):
        cells._protected(part(), SMALL, SCHEME, store)
    assert json.loads(path.read_bytes())["value"] == {
        "refused": "cannot protect g/STU: every related cell is hidden already"
    }


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"{",
        b"\x00" * 100,
        os.urandom(300),
        b"[]",
        b"null",
        b'{"format": 1}',
        b'{"format": 2, "value": {}, "mac": ""}',
        "half",
        "other mac",
    ],
    ids=["empty", "brace", "zeros", "random", "list", "null", "no value", "other format", "torn", "other mac"],
)
def test_a_torn_or_garbage_entry_is_ignored_and_replaced(tmp_path, monkeypatch, content):
    store, path, want = _filled(tmp_path)
    good = path.read_bytes()
    if content == "half":
        content = good[: len(good) // 2]
    elif content == "other mac":
        entry = json.loads(good)
        entry["mac"] = "0" * 64
        content = protection_cache.canonical(entry)
    path.write_bytes(content)
    calls = counting_protect(monkeypatch)
    assert result(cells._protected(part(), SMALL, SCHEME, store)) == result(want)
    assert calls and path.read_bytes() == good


def test_an_entry_copied_to_another_inputs_name_is_not_used(tmp_path, monkeypatch):
    """The mac binds an entry to its name: another cube's labels under this cube's name fail."""
    store = ProtectionCache(tmp_path / "protection")
    cells._protected(part(), SMALL, SCHEME, store)
    (a,) = entries(store.folder)
    cells._protected(part(shift=2), SMALL, SCHEME, store)
    (b,) = [p for p in entries(store.folder) if p != a]
    new_process()
    shutil.copy(b, a)
    calls = counting_protect(monkeypatch)
    assert result(cells._protected(part(), SMALL, SCHEME, ProtectionCache(store.folder))) == result(fresh(part()))
    assert calls


def test_a_damaged_key_is_replaced_and_only_costs_misses(tmp_path, monkeypatch):
    store, path, want = _filled(tmp_path)
    store.key_file.write_bytes(b"")
    store = ProtectionCache(store.folder)
    calls = counting_protect(monkeypatch)
    assert result(cells._protected(part(), SMALL, SCHEME, store)) == result(want)
    assert calls and len(store.key_file.read_bytes()) == protection_cache.KEY_BYTES
    assert len(entries(store.folder)) == 2  # the old entry is unreachable, never read


def test_a_stray_temporary_file_is_never_read(tmp_path, monkeypatch):
    store, path, want = _filled(tmp_path)
    (store.folder / ".tmp-abc.part").write_bytes(b'{"format": 1, "value": {"hidden": {}')
    calls = counting_protect(monkeypatch)
    assert result(cells._protected(part(), SMALL, SCHEME, store)) == result(want) and not calls


# -- where it is and what it holds -----------------------------------------------------------------


def test_the_home_cache_lies_in_the_home_apart_from_what_is_published(tmp_path):
    from overgang.settings import Settings

    settings = Settings.load()
    store = protection_cache.at_home(settings.home)
    assert store is protection_cache.at_home(settings.home)
    assert store.folder == settings.home / "cache" / "protection"
    for published in (settings.publication_dir, settings.warehouse.parent, settings.reports_dir):
        assert not store.folder.is_relative_to(published) and not store.key_file.is_relative_to(published)
    assert store.key_file.parent != store.folder  # copying the entries does not copy the key
    cells._protected(part(), SMALL, SCHEME, store)
    assert store.key_file.stat().st_mode & 0o777 == 0o600
    assert all(p.stat().st_mode & 0o777 == 0o600 for p in entries(store.folder))


def _assert_no_counts(folder: Path, cubes: list) -> None:
    """Every entry holds labels and cell names only: no number but the format, and no cube's value
    anywhere once the cell names, marks and the mac are taken out."""
    names = {c for cube in cubes for c in cube.values}
    for path in entries(folder):
        text = path.read_text(encoding="ascii")
        entry = json.loads(text)
        assert set(entry) == {"format", "value", "mac"} and entry["format"] == 1
        value = entry["value"]
        if "refused" in value:
            assert set(value) == {"refused"} and isinstance(value["refused"], str)
            continue
        assert set(value) == {"hidden", "leave"}
        assert set(value["leave"]) <= set(cells.LEAVE_OUT_ORDER)
        assert set(value["hidden"]) <= names
        assert all(v in (PRIMARY, SECONDARY, "<20") for v in value["hidden"].values())
        rest = text.replace(entry["mac"], "")
        for name in sorted(names, key=len, reverse=True):
            rest = rest.replace(json.dumps(name), "")
        rest = rest.replace('"<5"', "").replace('"<20"', "").replace('"format":1', "")
        assert not re.search(r"\d", rest), (path.name, rest)


def test_the_cache_holds_no_counts(tmp_path):
    store = ProtectionCache(tmp_path / "protection")
    cubes = [cells._protected(part(s), SMALL, SCHEME, store)[0] for s in range(4)]
    _assert_no_counts(store.folder, cubes)
    # A file name is keyed: without the home's key, nobody can try the hidden cells' possible
    # values against it. The same counts under another home's key have another name.
    other = ProtectionCache(tmp_path / "other" / "protection")
    new_process()
    cells._protected(part(0), SMALL, SCHEME, other)
    assert not {p.name for p in entries(other.folder)} & {p.name for p in entries(store.folder)}


# -- a cache that cannot be written ----------------------------------------------------------------


def test_a_cache_path_taken_by_a_file_costs_time_not_the_run(tmp_path, caplog):
    (tmp_path / "cache").write_text("not a folder")
    store = ProtectionCache(tmp_path / "cache" / "protection")
    with caplog.at_level(logging.WARNING, logger="overgang.protection_cache"):
        for s in range(3):
            new_process()
            assert result(cells._protected(part(s), SMALL, SCHEME, store)) == result(fresh(part(s)))
    assert len(caplog.records) == 1 and caplog.records[0].exc_info is None
    assert "protected without it" in caplog.records[0].getMessage()


def test_entries_that_cannot_be_written_cost_time_not_the_run(tmp_path, monkeypatch, caplog):
    store = ProtectionCache(tmp_path / "protection")
    store.key()  # the key was made earlier; now the folder refuses writes

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(protection_cache.tempfile, "mkstemp", refuse)
    with caplog.at_level(logging.WARNING, logger="overgang.protection_cache"):
        assert result(cells._protected(part(), SMALL, SCHEME, store)) == result(fresh(part()))
    assert entries(store.folder) == [] and len(caplog.records) == 1
    assert "Permission denied" in caplog.records[0].getMessage()


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a read-only folder")
def test_a_read_only_cache_folder_is_read_and_not_written(tmp_path, monkeypatch):
    store = ProtectionCache(tmp_path / "protection")
    want = cells._protected(part(), SMALL, SCHEME, store)
    new_process()
    store.folder.chmod(0o500)
    try:
        calls = counting_protect(monkeypatch)
        store = ProtectionCache(store.folder)
        assert result(cells._protected(part(), SMALL, SCHEME, store)) == result(want) and not calls
        assert result(cells._protected(part(1), SMALL, SCHEME, store)) == result(fresh(part(1)))
        assert len(entries(store.folder)) == 1
    finally:
        store.folder.chmod(0o700)


# -- two processes at once, and kill -9 ------------------------------------------------------------

CHILD = """
import json, sys, time
from pathlib import Path
import reports.cells as cells
from overgang.protection_cache import ProtectionCache
from tests.test_protection_cache import SCHEME, SMALL, part
folder, go = Path(sys.argv[1]), Path(sys.argv[2])
store = ProtectionCache(folder)
while not go.exists():
    time.sleep(0.001)
out = []
for s in range(int(sys.argv[3])):
    cells._CACHE.clear()
    cube, labels, leave, pooled = cells._protected(part(s), SMALL, SCHEME, store)
    out.append([labels, list(leave), pooled])
print(json.dumps(out))
"""


@pytest.mark.hostile
def test_two_processes_at_once_share_one_key_and_whole_entries(tmp_path):
    folder, go, n = tmp_path / "cache" / "protection", tmp_path / "go", 6
    env = {**os.environ, "PYTHONPATH": str(PROJECT_DIR)}
    children = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, str(folder), str(go), str(n)],
            cwd=PROJECT_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    time.sleep(1.5)  # every child has imported and waits for the same moment
    go.touch()
    outs = []
    for child in children:
        out, err = child.communicate(timeout=120)
        assert child.returncode == 0, err
        assert "Traceback" not in err
        outs.append(json.loads(out))
    want = [[labels, list(leave), pooled] for _, labels, leave, pooled in (fresh(part(s)) for s in range(n))]
    assert all(out == want for out in outs)
    store = ProtectionCache(folder)
    # One key won: every child named the same inputs alike, so there is one entry per input.
    assert len(entries(folder)) == n and all(verified(store, p) for p in entries(folder))
    assert not list(folder.glob(".tmp-*"))


KILLED = """
import sys
from pathlib import Path
from overgang.protection_cache import ProtectionCache
store = ProtectionCache(Path(sys.argv[1]))
value = {"hidden": {f"school:{i:06d}/EUD": "x" for i in range(2000)}, "leave": []}
i = 0
print("ready", flush=True)
while True:
    store.put("f" * 64, {"i": i % 50}, value)
    i += 1
"""


def test_kill_9_while_writing_leaves_only_whole_entries(tmp_path):
    folder = tmp_path / "protection"
    for delay in (0.05, 0.2, 0.4):
        child = subprocess.Popen(
            [sys.executable, "-c", KILLED, str(folder)],
            cwd=PROJECT_DIR,
            env={**os.environ, "PYTHONPATH": str(PROJECT_DIR)},
            stdout=subprocess.PIPE,
        )
        assert child.stdout.readline() == b"ready\n"
        time.sleep(delay)
        child.send_signal(signal.SIGKILL)
        child.wait()
    store = ProtectionCache(folder)
    written = entries(folder)
    assert written and all(verified(store, p) for p in written)
    value = {"hidden": {f"school:{i:06d}/EUD": "x" for i in range(2000)}, "leave": []}
    assert all(store.get("f" * 64, {"i": i}) in (None, value) for i in range(50))
    # What a kill leaves behind is a temporary file, never read as an entry.
    assert all(p.name.startswith(".tmp-") for p in folder.iterdir() if p.suffix != ".json")


# -- the whole sample: publication set, report command, attacker ------------------------------------


def _published(warehouse: Path, store: ProtectionCache | None) -> dict:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return cells.load_published(con, SMALL, store=store)


def _same(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for key in a:
        assert a[key].cube.values == b[key].cube.values and a[key].cube.sums == b[key].cube.sums, key
        assert (a[key].labels, a[key].left_out, a[key].pooled_schools) == (
            b[key].labels,
            b[key].left_out,
            b[key].pooled_schools,
        ), key


@pytest.mark.integration
def test_every_sample_cube_has_the_same_labels_with_and_without_the_cache(sample_run, tmp_path, monkeypatch):
    warehouse = sample_run.settings.warehouse
    without = _published(warehouse, None)
    assert len(without) == 220
    new_process()
    store = ProtectionCache(tmp_path / "protection")
    _same(_published(warehouse, store), without)
    assert len(entries(store.folder)) == len(without)
    _assert_no_counts(store.folder, [p.cube for p in without.values()])
    new_process()

    def refuse(*args, **kwargs):
        raise AssertionError("protect() ran on a cached cube")

    monkeypatch.setattr(cells, "protect", refuse)
    _same(_published(warehouse, ProtectionCache(store.folder)), without)


@pytest.mark.integration
def test_forged_entries_for_every_cube_publish_nothing_an_attacker_can_pin(sample_run, tmp_path):
    """Every entry rewritten with the home's key to show its cells (its "<5" cells, or its "x"
    cells): the publication set is written from the warehouse anyway, identical to one written
    without a cache, and an attacker solving on it with scipy narrows no hidden cell."""
    from assets.warehouse.publication import write_publication_set
    from tests.test_disclosure import _pool_truth, _truth, assert_protected

    warehouse = sample_run.settings.warehouse
    store = ProtectionCache(tmp_path / "cache" / "protection")
    _published(warehouse, store)
    for i, path in enumerate(entries(store.folder)):
        value = json.loads(path.read_bytes())["value"]
        if "hidden" not in value:
            continue
        drop = PRIMARY if i % 2 else SECONDARY
        forge(store, path, {**value, "hidden": {c: v for c, v in value["hidden"].items() if v != drop}})
    new_process()
    cached = tmp_path / "cached" / "publication"
    cached.parent.mkdir()
    write_publication_set(warehouse, cached, SMALL, "v1.0.0", ProtectionCache(store.folder))
    new_process()
    plain = tmp_path / "plain" / "publication"
    plain.parent.mkdir()
    write_publication_set(warehouse, plain, SMALL, "v1.0.0")
    for name in ("soegetal", "soegetal_split"):
        with duckdb.connect() as con:
            a = con.execute("FROM read_parquet($p) ORDER BY ALL", {"p": str(cached / "parquet" / f"{name}.parquet")})
            a = a.fetchall()
            b = con.execute("FROM read_parquet($p) ORDER BY ALL", {"p": str(plain / "parquet" / f"{name}.parquet")})
            assert a == b.fetchall(), name
    truth = _truth(warehouse)
    knowledge = Knowledge()
    knowledge.read_publication(cached)
    _pool_truth(truth, knowledge)
    assert_protected(knowledge, knowledge.intervals(), truth)


def _seen(path: Path) -> tuple:
    """What a reader takes from a report page: counts, marks and shares (the page also carries the
    time it was made)."""
    k = Knowledge()
    k.read_html(path.read_text(encoding="utf-8"))
    return k.counts, dict(k.marks), dict(k.shares)


def _home_with(sample_run, tmp_path) -> Path:
    home = tmp_path / "home"
    (home / "warehouse").mkdir(parents=True)
    shutil.copy(sample_run.settings.warehouse, home / "warehouse")
    return home


@pytest.mark.integration
def test_the_report_command_fills_and_uses_the_cache_and_survives_one_it_cannot_write(sample_run, tmp_path):
    home = _home_with(sample_run, tmp_path)
    first = overgang(tmp_path, "report", "--kommune", "169")
    assert first.returncode == 0, first.stderr
    store = ProtectionCache(home / "cache" / "protection")
    # 169's eleven years and the two peers' newest, and every loaded kommune of each year whose
    # printed national or region share the loaded kommuner add up to (reports/aggregates.py).
    assert len(entries(store.folder)) >= 13
    page = _seen(next((home / "reports").glob("rapport_169_*.html")))
    # Every entry forged to show its "<5" cells: the command protects again and writes the same page.
    for path in entries(store.folder):
        value = json.loads(path.read_bytes())["value"]
        forge(store, path, {**value, "hidden": {c: v for c, v in value["hidden"].items() if v != PRIMARY}})
    again = overgang(tmp_path, "report", "--kommune", "169")
    assert again.returncode == 0, again.stderr
    assert _seen(next((home / "reports").glob("rapport_169_*.html"))) == page
    knowledge = Knowledge()
    knowledge.read_html(next((home / "reports").glob("rapport_169_*.html")).read_text(encoding="utf-8"))
    pinned = {c: iv for c, iv in knowledge.intervals().items() if iv[1] - iv[0] < MIN_SPAN}
    assert not knowledge.findings and not pinned, (knowledge.findings[:3], sorted(pinned.items())[:3])
    # A home whose cache cannot be written: the report is written, with a warning and no traceback.
    shutil.rmtree(home / "cache")
    (home / "cache").write_text("not a folder")
    (home / "reports").joinpath(next((home / "reports").glob("rapport_169_*.html")).name).unlink()
    # In a child: the warning is a logging record, which reaches standard error through Python's
    # last-resort handler in the analyst's process (pytest's own handler takes it in this one).
    blocked = overgang_process(tmp_path, "report", "--kommune", "169")
    assert blocked.returncode == 0, blocked.stderr
    assert "Traceback" not in blocked.stderr and "protection cache" in blocked.stderr
    assert _seen(next((home / "reports").glob("rapport_169_*.html"))) == page
