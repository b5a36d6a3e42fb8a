"""`overgang clean-rejected --older-than DAYS` clears the inbox's rejected/: each refused file goes
with its reason and its description once the refusal is that old, what it removed is printed,
newer refusals stay, a link is removed itself (never what it points at), and nothing outside
rejected/ is touched. `--dry-run` only lists."""

from __future__ import annotations

import os
import time
from pathlib import Path

from click.testing import CliRunner

from intake.inbox.receive import receive
from overgang.settings import Settings
from pipelines.cli import main
from tests.corpus import SIDE

DAY = 86400


def _age(path: Path, days: float) -> None:
    past = time.time() - days * DAY
    os.utime(path, (past, past), follow_symlinks=False)


def _refuse(settings: Settings, name: str, side: bool = False) -> Path:
    path = settings.inbox_dir / name
    path.write_text("Navn;Telefon\r\nAnna;12345678\r\n", encoding="utf-8")
    if side:
        path.with_suffix(".yaml").write_text(SIDE, encoding="utf-8")
    assert receive(path, settings).outcome == "rejected"
    return settings.inbox_dir / "rejected" / f"{name}.reason.txt"


def test_old_refusals_are_removed_with_their_reasons_and_new_ones_stay(tmp_path):
    settings = Settings.load()
    settings.inbox_dir.mkdir(parents=True)
    rejected = settings.inbox_dir / "rejected"
    old_reason = _refuse(settings, "gammel.csv", side=True)
    new_reason = _refuse(settings, "ny.csv")
    outside = tmp_path / "elsewhere.csv"
    outside.write_text("keep me", encoding="utf-8")
    (rejected / "link.csv").symlink_to(outside)  # e.g. a link dropped into the inbox and refused unread
    (rejected / "link.csv.reason.txt").write_text("link.csv was not loaded.\n", encoding="utf-8")
    for path in (old_reason, rejected / "link.csv.reason.txt", rejected / "link.csv"):
        _age(path, 40)
    _age(new_reason, 2)
    processed = sorted(p.name for p in (settings.inbox_dir / "processed").rglob("*"))

    listed = CliRunner().invoke(main, ["clean-rejected", "--older-than", "30", "--dry-run"])
    assert listed.exit_code == 0, listed.output
    assert "would remove rejected/gammel.csv" in listed.output and (rejected / "gammel.csv").exists()

    done = CliRunner().invoke(main, ["clean-rejected", "--older-than", "30"])
    assert done.exit_code == 0, done.output
    for name in ("gammel.csv", "gammel.csv.reason.txt", "gammel.yaml", "link.csv", "link.csv.reason.txt"):
        assert f"removed rejected/{name}" in done.output, done.output
        assert not (rejected / name).exists() and not (rejected / name).is_symlink()
    assert "Removed 2 refusal(s)" in done.output and "2 file(s) left" in done.output, done.output
    assert sorted(p.name for p in rejected.iterdir()) == ["ny.csv", "ny.csv.reason.txt"]
    assert outside.read_text(encoding="utf-8") == "keep me", "a link's target is never removed"
    assert sorted(p.name for p in (settings.inbox_dir / "processed").rglob("*")) == processed

    everything = CliRunner().invoke(main, ["clean-rejected", "--older-than", "0"])
    assert everything.exit_code == 0 and not list(rejected.iterdir()), everything.output


def test_without_an_age_nothing_is_removed(tmp_path):
    settings = Settings.load()
    settings.inbox_dir.mkdir(parents=True)
    reason = _refuse(settings, "x.csv")
    result = CliRunner().invoke(main, ["clean-rejected"])
    assert result.exit_code == 2 and "--older-than" in result.output
    assert reason.exists()
