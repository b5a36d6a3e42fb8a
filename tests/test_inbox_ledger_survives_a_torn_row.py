"""The inbox ledger (intake/inbox/ledger.py) keeps every row whole when the ledger before it is not:
a last row cut short (the process killed while appending, the disk full) or a ledger file left
empty. Before, the next row was glued onto the torn one (its file, hash and outcome read as the
torn row's later columns), or an empty file's first row was taken as its header: the row of a
file just received was lost, so the same file was taken again instead of being a duplicate, and a
waiting extract had no `received` row for its run to make it current."""

from __future__ import annotations

import pytest

from intake.inbox.ledger import ledger_path, ledger_rows
from intake.inbox.receive import promote, receive
from overgang.settings import DATA_DIR, Settings
from tests.corpus import TWO_ROWS
from tests.extracts import write_extract


@pytest.fixture
def settings(tmp_path) -> Settings:
    s = Settings(
        home=tmp_path / "home", input_dir=tmp_path / "none", pipeline=Settings.load().pipeline, inbox=tmp_path / "inbox"
    )
    s.inbox_dir.mkdir(parents=True)
    return s


def _torn(settings: Settings) -> None:
    """A ledger whose last row was cut off mid-way, as a kill during the append leaves it."""
    first = receive(DATA_DIR / "targets" / "maaltal.csv", settings, copy=True)
    assert first.outcome == "accepted", first.message
    with ledger_path(settings).open("ab") as f:
        f.write(b"2026-05-01T10:00:00,goals.csv,5e1f0c")


def _empty(settings: Settings) -> None:
    ledger_path(settings).parent.mkdir(parents=True)
    ledger_path(settings).write_bytes(b"")


@pytest.mark.parametrize("damage", [_torn, _empty], ids=["torn-last-row", "empty-file"])
def test_a_file_received_after_a_damaged_ledger_has_its_own_row(settings, tmp_path, damage):
    damage(settings)
    extract = write_extract(tmp_path / "optagelse_2024.csv", TWO_ROWS)
    taken = receive(extract, settings, copy=True)
    assert taken.outcome == "accepted" and taken.year == 2024, taken.message

    last = ledger_rows(settings)[-1]
    assert (last["file"], last["sha256"], last["outcome"], last["year"]) == (
        "optagelse_2024.csv",
        taken.sha256,
        "received",
        "2024",
    )
    assert last["stored_as"] == str(taken.stored_as)
    # What the ledger is for: the same file again is a duplicate, and the run makes it current.
    assert receive(extract, settings, copy=True).outcome == "duplicate"
    assert [o.file for o in promote(settings, {2024: {taken.sha256}})] == ["optagelse_2024.csv"]
