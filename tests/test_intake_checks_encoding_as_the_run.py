"""An extract the inbox accepts is never refused later by the run for its encoding: one that mixes
UTF-8 and Windows-1252 lines (rows pasted from another export) is refused at intake with the
run's own reason, wherever in the file the other encoding starts. A file in one encoding,
UTF-8 or Windows-1252, is accepted as before."""

from __future__ import annotations

import pytest

from intake.inbox.receive import receive
from overgang.encoding import UnreadableFile, inspect
from overgang.settings import Settings
from tests.corpus import many
from tests.extracts import row, write_extract

UTF8_ROW = row(CPR="101008-1111", **{"Skolens navn": "Høje-Taastrup Nordskole"})
CP1252_LINE = ";".join(row(CPR="111008-2222", **{"Skolens navn": "Ørstedskolen"}).values())


@pytest.fixture
def settings(tmp_path) -> Settings:
    found = Settings(
        home=tmp_path / "home", input_dir=tmp_path / "none", pipeline=Settings.load().pipeline, inbox=tmp_path / "inbox"
    )
    found.inbox_dir.mkdir(parents=True)
    return found


def _mixed(path, rows_before: int):
    """UTF-8 rows, then one line in Windows-1252 after `rows_before` more rows (2000 rows: past the
    first 64 KB the inbox used to look at)."""
    write_extract(path, [UTF8_ROW, *many(rows_before, start=100)])
    with path.open("ab") as f:
        f.write(CP1252_LINE.encode("cp1252") + b"\r\n")
    return path


@pytest.mark.parametrize("rows_before", [0, 2000], ids=["in the first lines", "after 64 KB"])
def test_a_mixed_encoding_extract_is_refused_at_intake_with_the_runs_reason(settings, rows_before):
    path = _mixed(settings.inbox_dir / "optagelse_2024.csv", rows_before)
    with pytest.raises(UnreadableFile) as run_says:
        inspect(path)  # what the run's staging says about this file
    outcome = receive(path, settings)
    assert outcome.outcome == "rejected", outcome.message
    assert "mixed encodings" in outcome.message and str(run_says.value) in outcome.message, outcome.message
    reason = (settings.inbox_dir / "rejected" / "optagelse_2024.csv.reason.txt").read_text(encoding="utf-8")
    assert "mixed encodings" in reason
    assert not list((settings.inbox_dir / "processed").rglob("optagelse_2024.csv"))
    # The same rows in one encoding, whichever, are accepted.
    for encoding in ("utf-8", "utf-8-sig", "cp1252"):
        again = write_extract(
            settings.inbox_dir / f"optagelse_2024_{encoding}.csv", [UTF8_ROW, *many(rows_before, start=100)], encoding
        )
        with again.open("ab") as f:
            f.write(CP1252_LINE.encode(encoding.removesuffix("-sig")) + b"\r\n")
        outcome = receive(again, settings)
        assert outcome.outcome == "accepted", (encoding, outcome.message)
