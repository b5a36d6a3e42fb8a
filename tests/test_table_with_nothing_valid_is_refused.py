"""A small table none of whose rows would be loaded (every figure fails a rule, holds a
CPR-shaped number, or there is none below the header) is refused at intake with the reasons,
never "accepted, 0 figures": through the inbox and `overgang load` (exit 1).
A table with one good row is still accepted, its bad rows quarantined as before."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from intake.inbox.receive import receive
from overgang.settings import Settings
from pipelines.cli import main
from tests.cli import settled
from tests.corpus import LONG, SIDE

TARGETS_HEADER = (
    "kommune_code,target_year,target_group,target_pct,value_basis,decided_year,decided_by,"
    "stated_growth_pp_per_year,source\r\n"
)
PROFIL_HEADER = "Kommune;Årgang;År efter 9. klasse;Andel;Profilmodel\r\n"

# name, content, description beside it, phrases of the refusal
NOTHING_VALID = {
    "percentages over 100": (
        "alt_over.csv",
        LONG + "169;2024;9+10;EUD;150\r\n169;2024;9+10;GYM;250\r\n169;2024;9+10;Øvrige;-7\r\n",
        SIDE,
        ["every one of its figures", "between 0 and 100", "lines 2, 3, 4"],
    ),
    "years that are words": (
        "aar.csv",
        LONG + "169;toogtyve;9+10;EUD;20\r\n169;toogtyve;9+10;GYM;73\r\n",
        SIDE,
        ["every one of its figures", "column year", "cannot be read"],
    ),
    "a header only": ("tom.csv", LONG, SIDE, ["no figures below the header"]),
    "CPR numbers in every row": (
        "maal_noter.csv",
        TARGETS_HEADER
        + "169,2026,EUD,31,published,2025,Byrådet,1.3,notat 010108-1234\r\n"
        + "169,2026,GYM,60,published,2025,Byrådet,,notat 020208-4321\r\n",
        None,
        ["every one of its rows", "CPR-shaped", "lines 2, 3"],
    ),
    "targets out of range": (
        "maal.csv",
        TARGETS_HEADER + "169,2026,GYM,150,published,2025,Børne- og Skoleudvalget,,test\r\n",
        None,
        ["every one of its rows", "target_pct", "line 2"],
    ),
    "targets in YAML, none valid": (
        "maal.yaml",
        "targets:\n  - kommune_code: 169\n    target_year: 2026\n    target_group: GYM\n    target_pct: 150\n"
        "    value_basis: published\n    decided_year: 2025\n    decided_by: Byrådet\n    source: test\n",
        None,
        ["every one of its rows", "target_pct"],
    ),
    "profilmodel shares over 100": (
        "profil.csv",
        PROFIL_HEADER + "169;2023;25;188,1;2024\r\n169;2022;25;250;2024\r\n",
        None,
        ["every one of its rows", "lines 2, 3"],
    ),
}


@pytest.fixture
def settings(tmp_path) -> Settings:
    found = Settings(
        home=tmp_path / "home", input_dir=tmp_path / "none", pipeline=Settings.load().pipeline, inbox=tmp_path / "inbox"
    )
    found.inbox_dir.mkdir(parents=True)
    return found


def _write(folder: Path, name: str, text: str, side: str | None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    if side is not None:
        path.with_suffix(".yaml").write_text(side, encoding="utf-8")
    return path


@pytest.mark.parametrize("case", NOTHING_VALID.values(), ids=NOTHING_VALID.keys())
def test_a_table_with_no_valid_row_is_rejected_by_the_inbox_with_its_reasons(settings, case):
    name, text, side, says = case
    outcome = receive(_write(settings.inbox_dir, name, text, side), settings)
    assert outcome.outcome == "rejected", outcome.message
    for phrase in says:
        assert phrase in outcome.message, outcome.message
    assert "Nothing was loaded" in outcome.message
    assert "010108" not in outcome.message and "020208" not in outcome.message
    reason = settings.inbox_dir / "rejected" / f"{name}.reason.txt"
    assert says[0] in reason.read_text(encoding="utf-8")
    assert not list((settings.inbox_dir / "processed").rglob(name)), "nothing of it is filed as loaded"


def test_overgang_load_exits_1_for_it_and_takes_the_table_once_one_row_is_good(tmp_path):
    name, text, side, _ = NOTHING_VALID["percentages over 100"]
    path = _write(tmp_path / "send", name, text, side)
    refused = CliRunner().invoke(main, ["load", "--no-run", str(settled(path))])
    assert refused.exit_code == 1, refused.output
    assert "0 figures" not in refused.output and "between 0 and 100" in refused.output, refused.output
    # One good figure: accepted, the bad ones quarantined by the run as before.
    path.write_text(text + "169;2024;10;EUD;30\r\n169;2024;10;GYM;60\r\n169;2024;10;Øvrige;10\r\n", encoding="utf-8")
    taken = CliRunner().invoke(main, ["load", "--no-run", str(settled(path))])
    assert taken.exit_code == 0 and "3 figures" in taken.output, taken.output
