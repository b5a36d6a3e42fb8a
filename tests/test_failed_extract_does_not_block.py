"""A missing CPR key, as a new analyst meets it: `overgang run --input FOLDER` with their own
extract and no key is refused before any Dagster run starts, in one plain message that says the
truth about a fresh home (it has no warehouse yet); the extract moves to rejected/ with the
reason, as README promises, so a later run without it is not blocked; set the key, and the next
run with the same folder loads it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli import overgang, settled
from tests.conftest import TEST_KEY, _dagster_runs_under
from tests.corpus import many
from tests.extracts import write_extract

pytestmark = pytest.mark.integration

NOISE = (
    "Dependencies for step",
    "Not executing",
    "MissingKey",
    "overgang.pseudonymise",
    "Traceback",
    "as it was before",
)


@pytest.fixture
def refused(tmp_path) -> tuple[Path, Path, str, int]:
    folder = settled(write_extract(tmp_path / "udtraek" / "optagelse_2024.csv", many(60))).parent
    done = overgang(tmp_path, "run", "--input", str(folder))
    return tmp_path, folder, done.stdout + done.stderr, done.returncode


def test_missing_key_is_refused_before_the_run_in_one_plain_message(refused):
    tmp_path, _, out, code = refused
    assert code != 0, out
    assert not _dagster_runs_under(tmp_path / "home"), "a Dagster run was started"
    said = " ".join(out.split())
    assert "No key for pseudonymising CPR numbers is configured" in said and "overgang key new" in said
    assert "Nothing was published: this home has no warehouse yet." in said
    assert [n for n in NOISE if n in out] == [], out
    assert said.count("Error:") == 1, out


def test_refused_extract_moves_to_rejected_with_its_reason(refused):
    tmp_path, _, out, _ = refused
    inbox = tmp_path / "inbox"
    pending = inbox / "processed" / "applications" / "2024" / "pending"
    assert not pending.exists() or not any(pending.iterdir()), "the extract still waits for a run"
    reason = (inbox / "rejected" / "optagelse_2024.csv.reason.txt").read_text(encoding="utf-8")
    assert "No key for pseudonymising CPR numbers" in reason and "load the file again" in reason
    assert str(inbox / "rejected" / "optagelse_2024.csv") in " ".join(out.split())


def test_a_later_run_without_it_is_not_blocked_and_with_the_key_it_loads(refused):
    tmp_path, folder, _, _ = refused
    later = overgang(tmp_path, "run")  # the shipped sample, which needs no key
    assert later.returncode == 0, later.stdout + later.stderr
    assert "No key" not in later.stdout + later.stderr
    # The sample's 2024 is larger than the 60 hand-made rows: the analyst says the smaller year is meant.
    again = overgang(tmp_path, "run", "--input", str(folder), "--accept-smaller", OVERGANG_CPR_KEY=TEST_KEY)
    assert again.returncode == 0, again.stdout + again.stderr
    assert (tmp_path / "inbox" / "processed" / "applications" / "2024" / "optagelse_2024.csv").exists()


def test_a_run_that_fails_in_a_fresh_home_says_there_is_no_warehouse_yet(tmp_path):
    """A run that starts and fails (here: too many rows in quarantine) in a home that never had a
    warehouse says so, not that the warehouse 'is as it was before this run'."""
    rows = many(50) + many(10, start=50, Klassetrin="7")
    folder = settled(write_extract(tmp_path / "udtraek" / "optagelse_2024.csv", rows)).parent
    done = overgang(tmp_path, "run", "--input", str(folder), OVERGANG_CPR_KEY=TEST_KEY)
    said = " ".join((done.stdout + done.stderr).split())
    assert done.returncode != 0, said
    assert "this home has no warehouse yet" in said and "as it was before" not in said, said
