"""A home can be copied or moved (`cp -a home1 home2`, `mv`): the inbox ledger names its places
relative to the inbox, and a ledger written before that (absolute paths under the old home) is
read and rewritten as if it had been. Every file delivered again to the new home is a duplicate,
the extract still waiting for its run is made current by the new home's run, and a rebuild
(`overgang run --rebuild`, as after a key rotation) publishes the same rows."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import duckdb
import pytest

from intake.inbox.ledger import ledger_rows
from intake.inbox.receive import receive
from overgang.settings import Settings
from tests.cli import overgang, settled
from tests.conftest import TEST_KEY
from tests.extracts import row, write_extract

pytestmark = pytest.mark.integration

YEARS = {
    2023: [row(CPR=f"{n + 1:02d}0107-{1000 + n}", **{"Ansøgningsdato": "2023-02-20"}) for n in range(12)],
    2024: [row(CPR=f"{n + 1:02d}0108-{2000 + n}", Uddannelse="eud_gf1" if n % 3 else "stx") for n in range(15)],
}
PENDING = (2025, [row(CPR=f"{n + 1:02d}0109-{3000 + n}", **{"Ansøgningsdato": "2025-02-20"}) for n in range(14)])
TABLES = ("applications", "application_shares", "ingested_files", "file_ledger", "year_loads")


def _settings(base: Path) -> Settings:
    home = base / "home"
    return Settings(home=home, input_dir=base / "none", pipeline=Settings.load().pipeline, inbox=home / "inbox")


def _run(base: Path, *args: str):
    home = base / "home"
    done = overgang(
        base,
        "run",
        *args,
        OVERGANG_INBOX=str(home / "inbox"),
        OVERGANG_INPUT_DIR=str(base / "none"),
        OVERGANG_CPR_KEY=TEST_KEY,
    )
    out = done.stdout + done.stderr
    assert done.returncode == 0 and "Traceback" not in out, out
    return out


def _published(base: Path) -> dict[str, list]:
    """The published rows of the tables the extracts make, without the columns naming the run."""
    found = {}
    with duckdb.connect(str(_settings(base).warehouse), read_only=True) as con:
        for table in TABLES:
            columns = [
                c
                for (c,) in con.execute(
                    "SELECT column_name FROM information_schema.columns WHERE table_name = $t "
                    "AND column_name NOT IN ('run_id', 'loaded_at', 'ingested_at') ORDER BY ordinal_position",
                    {"t": table},
                ).fetchall()
            ]
            found[table] = con.execute(
                f"SELECT {', '.join(columns)} FROM {table} ORDER BY ALL"  # noqa: S608 (names from the catalogue)
            ).fetchall()
    return found


@pytest.fixture(scope="module")
def originals(tmp_path_factory) -> list[Path]:
    folder = tmp_path_factory.mktemp("originals")
    return [settled(write_extract(folder / f"optagelse_{y}.csv", rows)) for y, rows in YEARS.items()]


def _home1(base: Path, originals: list[Path]) -> None:
    """A home whose published warehouse holds 2023 and 2024, loaded through the inbox, and whose
    2025 extract waits in pending/ for its run."""
    settings = _settings(base)
    settings.inbox_dir.mkdir(parents=True)
    for path in originals:
        assert receive(path, settings, copy=True).outcome == "accepted"
    _run(base)
    pending = settled(write_extract(originals[0].parent / f"optagelse_{PENDING[0]}.csv", PENDING[1]))
    assert receive(pending, settings, copy=True).outcome == "accepted"


def _old_ledger(settings: Settings, old_inbox: Path) -> None:
    """The ledger as the code before relative places wrote it: eight columns, absolute paths."""
    rows = ledger_rows(settings)
    columns = ["received_at", "file", "sha256", "outcome", "kind", "year", "stored_as", "message"]
    with (settings.inbox_dir / "processed" / "ledger.csv").open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, columns, extrasaction="ignore")
        writer.writeheader()
        for r in rows:
            place = Path(r["stored_as"]).relative_to(settings.inbox_dir) if r["stored_as"] else None
            writer.writerow({**r, "stored_as": str(old_inbox / place) if place else ""})


@pytest.fixture(scope="module")
def home1(originals, tmp_path_factory) -> Path:
    """_home1 made once for the module (a run through the command), copied by each test to its
    own place. Each test's home is so itself a copy before it is copied or moved again: anything
    in it that names the place it was made (this folder) is stale in every test, and the ledger
    is searched for this folder's path as well as the test's own."""
    base = tmp_path_factory.mktemp("home1")
    _home1(base, originals)
    return base


@pytest.mark.parametrize("how", ["copied", "moved", "moved, ledger of the old layout"])
def test_a_copied_or_moved_home_takes_its_files_again_and_rebuilds_the_same_rows(how, originals, home1, tmp_path):
    old, new = tmp_path / "home1", tmp_path / "home2"
    shutil.copytree(home1, old, symlinks=True)
    before = _published(old)
    if how == "copied":
        shutil.copytree(old, new, symlinks=True)
    else:
        old.rename(new)
    settings = _settings(new)
    if how.endswith("old layout"):
        _old_ledger(settings, old / "home" / "inbox")

    for path in originals:
        outcome = receive(path, settings, copy=True)
        assert outcome.outcome == "duplicate", outcome.message
        assert "already loaded as processed/applications/" in outcome.message, outcome.message
    _run(new, "--rebuild")

    after = _published(new)
    for table in TABLES:
        assert [r for r in after[table] if PENDING[0] not in r] == before[table], table
    assert len([r for r in after["applications"] if PENDING[0] in r]) == len(PENDING[1])
    year = settings.inbox_dir / "processed" / "applications" / str(PENDING[0])
    assert (year / f"optagelse_{PENDING[0]}.csv").exists(), "the waiting extract was not made current"
    assert not list((year / "pending").iterdir())
    words = [(r["file"], r["outcome"]) for r in ledger_rows(settings)]
    assert words[-1] == (f"optagelse_{PENDING[0]}.csv", "loaded"), words
    text = (settings.inbox_dir / "processed" / "ledger.csv").read_text(encoding="utf-8")
    for made_in in (tmp_path, home1):
        assert str(made_in) not in text, f"the ledger still names a place by its absolute path ({made_in})"
