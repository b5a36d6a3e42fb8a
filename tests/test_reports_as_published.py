"""Reports as published (issue 30, item 7).

A report a run publishes is kept as published: a copy under
$OVERGANG_HOME/reports/archive/<year>/<run id>/, never overwritten by a later run. A report
rendered later for an earlier year (`overgang report --year 2022`) says on its first page that
it uses today's data, names what is newer than that spring, and points to the archived copy.
"""

from __future__ import annotations

import html as htmllib
import re

import pytest
from click.testing import CliRunner

from pipelines.cli import main
from tests.conftest import run_pipeline
from tests.extracts import row, write_extract


def _extract(folder, year: int, eud: int) -> None:
    rows = []
    mix = {"eud_gf1": eud, "stx": 40, "fgu": 6, "stu": 5, "arbejde": 6}
    serial = 10 * year
    for code, n in mix.items():
        for _ in range(n):
            serial += 1
            day, month = 1 + serial % 28, 1 + (serial // 28) % 12
            rows.append(
                row(
                    CPR=f"{day:02d}{month:02d}{year - 2016:02d}-{serial % 10000:04d}",
                    **{
                        "Skolens institutionsnummer": "169001",
                        "Skolens navn": "Skole 169",
                        "Skolens kommunenr": "169",
                        "Bopælskommunenr": "169",
                        "Uddannelse": code,
                        "Ansøgningsdato": f"{year}-02-20",
                    },
                )
            )
    write_extract(folder / f"optagelse_{year}.csv", rows)


def _first_page(page: str) -> str:
    """The page's header: what a reader sees before the first section."""
    body = page.split("<header>", 1)[1].split("</header>", 1)[0]
    return re.sub(r"\s+", " ", htmllib.unescape(re.sub(r"<[^>]+>", " ", body)))


@pytest.mark.integration
def test_every_published_report_is_kept_unchanged_in_the_archive(keyed, tmp_path):
    home, inbox = tmp_path / "home", tmp_path / "input"
    _extract(inbox, 2022, eud=20)
    first = run_pipeline(home, inbox)
    assert first.result.success
    archive = home / "reports" / "archive" / "2022"
    kept = sorted(archive.glob("*/rapport_169_2022.*"))
    assert {p.suffix for p in kept} == {".html", ".xlsx"}, kept
    assert kept[0].parent.name == first.result.run_id
    before = {p: p.read_bytes() for p in kept}

    # A second spring's run (a new extract for 2022, say corrected): a new report, a new copy.
    _extract(inbox, 2022, eud=21)
    second = run_pipeline(home, inbox)
    assert second.result.success
    runs = sorted(p.name for p in archive.iterdir())
    assert runs == sorted([first.result.run_id, second.result.run_id])
    for path, content in before.items():
        assert path.read_bytes() == content, f"{path} was changed after it was published"
    current = (home / "reports" / "rapport_169_2022.html").read_bytes()
    assert (archive / second.result.run_id / "rapport_169_2022.html").read_bytes() == current


@pytest.mark.integration
def test_a_report_for_an_earlier_year_says_on_page_one_what_is_newer(keyed, tmp_path, monkeypatch):
    home, inbox = tmp_path / "home", tmp_path / "input"
    _extract(inbox, 2021, eud=20)
    spring_2021 = run_pipeline(home, inbox)
    assert spring_2021.result.success
    published = home / "reports" / "rapport_169_2021.html"
    assert "dagens data" not in _first_page(published.read_text("utf-8"))

    # A year later: the 2022 extract arrives, then the 2021 report is rendered again.
    _extract(inbox, 2022, eud=25)
    assert run_pipeline(home, inbox).result.success
    monkeypatch.setenv("OVERGANG_HOME", str(home))
    out = tmp_path / "again.html"
    result = CliRunner().invoke(main, ["report", "--kommune", "169", "--year", "2021", "--out", str(out)])
    assert result.exit_code == 0, result.output
    first = _first_page(out.read_text("utf-8"))
    assert "dagens data" in first, first
    assert "udtræk fra Optagelse.dk for 2022" in first, first
    assert f"reports/archive/2021/{spring_2021.result.run_id}/rapport_169_2021.html" in first, first
