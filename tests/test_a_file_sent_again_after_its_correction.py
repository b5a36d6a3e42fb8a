"""Attack on the inbox's duplicate check (intake/inbox/ledger.py `loaded_as`): a file sent again
after its correction took its place is taken back. Promise: a duplicate is refused exactly when
the content is what is loaded (or waiting) now; nothing is ever deleted; the ledger tells what
happened.

Break: an extract loaded for its year (A), its correction waiting for its run (B, same name or
another), then A sent again (B was wrong). A was refused as a duplicate ("already loaded:
nothing changes"), and the next run made B current: the analyst's last word was lost and the
ledger said nothing would change. The waiting correction is what the year will hold: A is not
loaded *from now on*, so it is taken (it waits in B's place, B kept in superseded/).

Found holding (pinned): third and fourth rounds of the same name, each loaded; corrections under
other names; the same content under two names; a description (.yaml) changed and changed back;
nothing deleted along the way.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from intake.inbox.ledger import ledger_rows
from intake.inbox.receive import promote, receive
from overgang.settings import Settings
from tests.corpus import SIDE, TWO_ROWS
from tests.extracts import row, write_extract
from tests.test_inbox import published_table


@pytest.fixture
def settings(tmp_path) -> Settings:
    s = Settings(
        home=tmp_path / "home", input_dir=tmp_path / "none", pipeline=Settings.load().pipeline, inbox=tmp_path / "inbox"
    )
    s.inbox_dir.mkdir(parents=True)
    return s


VERSIONS = {
    "A": [*TWO_ROWS],
    "B": [*TWO_ROWS, row(CPR="030308-1238", Uddannelse="eud_gf1")],
}


def _send(settings: Settings, name: str, version: str):
    return receive(write_extract(settings.inbox_dir / name, VERSIONS[version]), settings)


def _run_loads(settings: Settings, outcome) -> None:
    """What a successful run does with the waiting extract: publishes it, makes it current."""
    assert [o.file for o in promote(settings, {2024: {outcome.sha256}})] == [outcome.file]


def _year(settings: Settings) -> Path:
    return settings.inbox_dir / "processed" / "applications" / "2024"


def _all_files(settings: Settings) -> int:
    return sum(1 for p in (settings.inbox_dir / "processed").rglob("*.csv") if p.name != "ledger.csv")


@pytest.mark.parametrize("correction_name", ["optagelse_2024.csv", "rettet_2024.csv"])
def test_the_original_sent_while_its_correction_waits_is_taken_back(settings, keyed, correction_name):
    a = _send(settings, "optagelse_2024.csv", "A")
    _run_loads(settings, a)
    b = _send(settings, correction_name, "B")
    assert b.outcome == "accepted"  # waits in pending/ for its run
    again = _send(settings, "optagelse_2024.csv", "A")
    assert again.outcome == "accepted", again.message
    pending = sorted((_year(settings) / "pending").iterdir())
    assert [p.read_bytes() for p in pending] == [write_extract(settings.home / "a.csv", VERSIONS["A"]).read_bytes()]
    # B is kept, not deleted; the ledger says A was received again.
    assert any(p.name.endswith(correction_name) for p in (settings.inbox_dir / "processed" / "superseded").iterdir())
    assert ledger_rows(settings)[-1]["outcome"] == "received"
    # And once more while A waits: now a duplicate of what waits.
    assert _send(settings, "kopi_2024.csv", "A").outcome == "duplicate"


def test_four_rounds_under_one_name_each_loaded_nothing_deleted(settings, keyed):
    for version in ("A", "B", "A", "B"):
        outcome = _send(settings, "optagelse_2024.csv", version)
        assert outcome.outcome == "accepted", (version, outcome.message)
        _run_loads(settings, outcome)
        # What is loaded now, sent again under the same or another name: a duplicate.
        assert _send(settings, "optagelse_2024.csv", version).outcome == "duplicate"
        assert _send(settings, "kopi.csv", version).outcome == "duplicate"
    assert _all_files(settings) == 4 + 8  # every file sent is kept: loaded, superseded or a duplicate
    words = [r["outcome"] for r in ledger_rows(settings)]
    assert words.count("received") == 4 and words.count("loaded") == 4 and words.count("duplicate") == 8


def test_corrections_under_other_names(settings, keyed):
    for name, version in (("a_2024.csv", "A"), ("b_2024.csv", "B"), ("a_2024.csv", "A"), ("b_2024.csv", "B")):
        outcome = _send(settings, name, version)
        assert outcome.outcome == "accepted", (name, outcome.message)
        _run_loads(settings, outcome)
    assert [p.name for p in _year(settings).iterdir() if p.is_file()] == ["b_2024.csv"]
    assert _send(settings, "a_2024.csv", "A").outcome == "accepted"  # A is not loaded now
    assert _send(settings, "c_2024.csv", "A").outcome == "duplicate"  # but waits now


def test_a_description_changed_and_changed_back(settings):
    other = SIDE.replace("\n", "\n# corrected description\n", 1)
    outcomes = [
        receive(published_table(settings, "marts.csv", "20,0", s), settings).outcome for s in (SIDE, other, SIDE)
    ]
    assert outcomes == ["accepted", "accepted", "accepted"]
    assert receive(published_table(settings, "marts.csv", "20,0", SIDE), settings).outcome == "duplicate"
    assert receive(published_table(settings, "april.csv", "20,0", SIDE), settings).outcome == "duplicate"
    assert receive(published_table(settings, "april.csv", "20,0", other), settings).outcome == "accepted"
    kept = list((settings.inbox_dir / "processed").rglob("*.yaml"))
    assert len(kept) == 6  # 4 accepted + 2 duplicates: each description kept beside its table


@pytest.mark.integration
def test_the_real_command_loads_the_original_sent_while_its_correction_waits(tmp_path):
    """The break end to end: `overgang load A` (a run), `overgang load --no-run B` (B waits),
    `overgang load A` again: A is taken and its run publishes A's rows, not B's."""
    import duckdb

    from tests.cli import overgang, settled
    from tests.conftest import TEST_KEY

    a = settled(write_extract(tmp_path / "send" / "optagelse_2024.csv", VERSIONS["A"]))
    first = overgang(tmp_path, "load", str(a), OVERGANG_CPR_KEY=TEST_KEY)
    assert first.returncode == 0, first.stderr[-2000:]
    b = settled(write_extract(tmp_path / "fix" / "optagelse_2024.csv", VERSIONS["B"]))
    waits = overgang(tmp_path, "load", "--no-run", str(b), OVERGANG_CPR_KEY=TEST_KEY)
    assert waits.returncode == 0 and "accepted" in waits.stderr, waits.stderr[-2000:]
    again = overgang(tmp_path, "load", "--accept-smaller", str(a), OVERGANG_CPR_KEY=TEST_KEY)
    assert again.returncode == 0, again.stderr[-2000:]
    assert again.stderr.startswith("accepted") and "already loaded" not in again.stderr, again.stderr[-2000:]
    warehouse = tmp_path / "home" / "warehouse" / "overgang.duckdb"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute("SELECT count(*) FROM applications WHERE year = 2024").fetchone()[0]
    assert rows == len(VERSIONS["A"])
