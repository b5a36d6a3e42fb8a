"""A run with another CPR key than the warehouse's years is refused in words an analyst can act
on ("another key", the years concerned), and the key's fingerprint is shown nowhere: not on the
console, not in rejected/*.reason.txt, the inbox ledger or Dagster's run history. A fingerprint
lets a guessed key be tested with one HMAC, so it stays in the working database only."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from assets.applications.assets import refuse_mixing
from intake.sources.tables import FileRejected
from intake.sql import ensure_work_schema
from overgang.pseudonymise import key_fingerprint
from tests.cli import overgang, settled
from tests.corpus import many
from tests.extracts import write_extract

KEY_A = "first-municipal-key-" + "a" * 44
KEY_B = "second-municipal-key-" + "b" * 43


def test_the_refusal_names_the_years_and_no_fingerprint(tmp_path):
    stored, run = key_fingerprint(KEY_A.encode()), key_fingerprint(KEY_B.encode())
    with duckdb.connect(str(tmp_path / "work.duckdb")) as con:
        ensure_work_schema(con)
        con.executemany("INSERT INTO year_keys VALUES (?, ?, false)", [(2022, stored), (2023, stored)])
        with pytest.raises(FileRejected) as err:
            refuse_mixing(con, [2024, 2025], run, False)
    message = str(err.value)
    assert "another key than the warehouse's" in message, message
    assert "2022, 2023" in message and "2024, 2025" in message, message
    assert "--rebuild" in message
    assert stored not in message and run not in message and "fingerprint" not in message, message


def _text_of(path: Path) -> str:
    return path.read_bytes().decode("utf-8", errors="replace")


@pytest.mark.integration
def test_a_load_with_another_key_prints_and_files_no_fingerprint(tmp_path):
    first = settled(write_extract(tmp_path / "send" / "optagelse_2024.csv", many(30)))
    done = overgang(tmp_path, "load", str(first), OVERGANG_CPR_KEY=KEY_A)
    assert done.returncode == 0, done.stderr[-2000:]

    second = settled(write_extract(tmp_path / "send2" / "optagelse_2025.csv", many(30, Ansøgningsdato="2025-02-20")))
    refused = overgang(tmp_path, "load", str(second), OVERGANG_CPR_KEY=KEY_B)
    assert refused.returncode == 1, refused.stderr[-2000:]
    printed = refused.stdout + refused.stderr
    assert "another key than the warehouse's" in printed, printed[-3000:]
    assert "2024" in printed and "Traceback" not in printed

    fingerprints = {key_fingerprint(KEY_A.encode()), key_fingerprint(KEY_B.encode())}
    home, inbox = tmp_path / "home", tmp_path / "inbox"
    reasons = list((inbox / "rejected").glob("*.reason.txt"))
    assert reasons and all("another key" in _text_of(p) for p in reasons)
    # Everything the two commands wrote, but the working database (where year_keys keeps it).
    work = home / "work"
    written = [
        p
        for p in [*home.rglob("*"), *inbox.rglob("*")]
        if p.is_file() and not p.is_symlink() and not p.is_relative_to(work)
    ]
    assert any(p.suffix == ".db" for p in written), "Dagster's run history is scanned too"
    for fingerprint in fingerprints:
        assert fingerprint not in printed
        shown = [p for p in written if fingerprint in _text_of(p)]
        assert not shown, f"the key fingerprint is in {shown}"
