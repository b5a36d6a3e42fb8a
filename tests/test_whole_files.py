"""A year is published only from a whole file: an extract written on after it was taken (a writer
that paused longer than the settle time) publishes nothing, and a new year whose extract is far
smaller than the year before it stops the run unless --accept-smaller says it is right."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from overgang.generator import HEADER
from overgang.settings import PROJECT_DIR
from tests.cli import child_env, overgang, settled
from tests.conftest import TEST_KEY
from tests.corpus import many
from tests.extracts import write_extract

pytestmark = pytest.mark.integration

ENV = {"OVERGANG_CPR_KEY": TEST_KEY, "OVERGANG_INBOX_SETTLE_SECONDS": "1"}


def _rows(tmp_path: Path, year: int) -> int | None:
    warehouse = tmp_path / "home" / "warehouse" / "overgang.duckdb"
    if not warehouse.exists():
        return None
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute("SELECT count(*) FROM applications WHERE year = $y", {"y": year}).fetchone()[0]


def _lines(rows: list[dict]) -> str:
    return "".join(";".join(r[c] for c in HEADER) + "\r\n" for r in rows)


def test_an_extract_written_on_after_the_run_read_it_publishes_nothing(tmp_path):
    folder = tmp_path / "input"
    rows = many(400)
    extract = write_extract(folder / "optagelse_2024.csv", rows[:200])  # the writer's first half …
    settled(extract)  # … then a pause longer than the settle time
    env = child_env(tmp_path, **ENV)
    run = subprocess.Popen(
        [sys.executable, "-m", "pipelines.cli", "run", "--input", str(folder), "--year", "2024"],
        cwd=PROJECT_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    printed = []
    for line in run.stdout:
        printed.append(line)
        if "application_extracts" in line and "optagelse_2024.csv: 200 rows" in line:
            with extract.open("a", encoding="utf-8", newline="") as f:  # the writer goes on: the rest
                f.write(_lines(rows[200:]))
            break
    printed.append(run.communicate(timeout=600)[0])
    out = "".join(printed)
    assert "optagelse_2024.csv: 200 rows" in out, out
    assert run.returncode == 1 and "Traceback" not in out, out
    said = " ".join(out.split())
    assert (
        "optagelse_2024.csv (2024) changed while it was being read; deliver it again when the export is finished"
        in said
    ), out
    assert "Nothing was published" in said, out
    assert _rows(tmp_path, 2024) in (None, 0), "the half year was published"

    # The analyst's file stays where it is and is taken again, whole, by the next run.
    again = overgang(tmp_path, "run", "--input", str(folder), "--year", "2024", **ENV)
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    assert _rows(tmp_path, 2024) == 400


def test_a_new_year_half_the_size_of_the_year_before_needs_accept_smaller(tmp_path):
    folder = tmp_path / "input"
    write_extract(folder / "optagelse_2023.csv", many(300, Ansøgningsdato="2023-02-20"))
    first = overgang(tmp_path, "run", "--input", str(folder), "--year", "2023", **ENV)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]

    write_extract(folder / "optagelse_2024.csv", many(140))  # no 2024 published before
    refused = overgang(tmp_path, "run", "--input", str(folder), "--year", "2024", **ENV)
    out = " ".join((refused.stdout + refused.stderr).split())
    assert refused.returncode == 1 and "Traceback" not in out, out
    assert "2024: optagelse_2024.csv has 140 valid rows, 53.3% fewer than the 300 of 2023" in out, out
    assert "overgang run --year 2024 --accept-smaller" in out and "Nothing was published" in out, out
    assert _rows(tmp_path, 2024) == 0 and _rows(tmp_path, 2023) == 300

    accepted = overgang(tmp_path, "run", "--input", str(folder), "--year", "2024", "--accept-smaller", **ENV)
    assert accepted.returncode == 0, accepted.stdout[-3000:] + accepted.stderr[-3000:]
    assert _rows(tmp_path, 2024) == 140
