"""Synthetic figures never pass for real ones: the shipped sample and real extracts are never
loaded into one warehouse, and a warehouse built from the sample says so."""

from __future__ import annotations

import shutil

import duckdb
import pytest

from assets.applications.assets import refuse_mixing, synthetic_files
from intake.sources.tables import FileRejected
from intake.sql import ensure_work_schema
from overgang.settings import SAMPLE_DIR
from tests.extracts import row, write_extract
from tests.test_report_browser import browser  # noqa: F401  (the shared Chromium fixture)


def test_sample_and_real_files_in_one_run_are_refused(tmp_path):
    sample = sorted(SAMPLE_DIR.glob("*.csv"))
    assert synthetic_files(sample) is True
    real = write_extract(tmp_path / "optagelse_2026.csv", [row()])
    assert synthetic_files([real]) is False
    with pytest.raises(FileRejected, match="never mixed"):
        synthetic_files([sample[0], real])


def test_a_sample_file_changed_by_one_byte_is_not_the_sample(tmp_path):
    copy = tmp_path / SAMPLE_DIR.glob("*.csv").__next__().name
    shutil.copyfile(next(SAMPLE_DIR.glob("*.csv")), copy)
    copy.write_bytes(copy.read_bytes() + b"\r\n")
    assert synthetic_files([copy]) is False


@pytest.mark.parametrize(
    "stored, run, says",
    [
        ((2023, "a" * 16, True), ("a" * 16, False), "are synthetic"),
        ((2023, "a" * 16, False), ("a" * 16, True), "are real"),
        ((2023, "a" * 16, False), ("b" * 16, False), "another key than the warehouse"),
    ],
)
def test_a_run_refuses_to_mix_with_the_years_already_loaded(tmp_path, stored, run, says):
    with duckdb.connect(str(tmp_path / "work.duckdb")) as con:
        ensure_work_schema(con)
        con.execute("INSERT INTO year_keys VALUES (?, ?, ?)", list(stored))
        with pytest.raises(FileRejected, match=says):
            refuse_mixing(con, [2024], *run)
        refuse_mixing(con, [2023], *run)  # replacing the very year is allowed
        refuse_mixing(con, [2024], stored[1], stored[2])  # same key and kind: fine


def test_reports_from_the_sample_say_synthetic_on_every_printed_page(sample_run, browser):  # noqa: F811
    from datetime import datetime

    from reports.data import load_report_data
    from reports.render import render_html, render_report

    path = render_report(sample_run.settings, 169, 2025)
    page = browser.new_page()
    page.goto(path.as_uri(), wait_until="load")
    mark = page.locator("#synthetic-mark")
    assert "Syntetiske data – ikke rigtige tal" in mark.inner_text()
    # Printed, the mark is in page 1's flow above the title (never over it), and every page's
    # running header says it (tests/test_report_on_paper.py reads the PDF).
    page.emulate_media(media="print")
    assert mark.evaluate("e => getComputedStyle(e).position") == "static"
    assert "SYNTETISKE DATA – ikke rigtige tal" in path.read_text(encoding="utf-8").split("@top-left", 1)[1][:200]
    page.close()
    with duckdb.connect(str(sample_run.settings.warehouse), read_only=True) as con:
        data = load_report_data(con, 169, 2025, sample_run.settings)
    assert data.publication["synthetic_data"] is True
    data.publication["synthetic_data"] = False  # as a warehouse of real extracts says
    real = render_html(data, datetime.now())
    assert "synthetic-mark" not in real and "SYNTETISKE DATA" not in real
