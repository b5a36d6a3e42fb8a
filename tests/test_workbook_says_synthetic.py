"""A workbook made from the synthetic sample says so where a forwarded copy is read: row 1 of
every sheet, the "Om tallene" sheet, each printed page's header and the document's properties.
A workbook of real data carries no such mark."""

from __future__ import annotations

import duckdb
from openpyxl import load_workbook

from reports.data import load_report_data
from reports.render import render_report, write_workbook


def test_every_sheet_and_the_properties_say_synthetic_and_only_then(sample_run, tmp_path):
    path = render_report(sample_run.settings, 169, 2024, tmp_path / "rapport.html").with_suffix(".xlsx")
    book = load_workbook(path)
    assert len(book.worksheets) >= 5
    for sheet in book.worksheets:
        assert str(sheet["A1"].value).startswith("SYNTETISKE DATA – ikke rigtige tal"), sheet.title
        assert "SYNTETISKE DATA" in sheet.oddHeader.center.text, sheet.title
    notes = [r[0] for r in book["Om tallene"].iter_rows(min_row=3, values_only=True)]
    assert any("opdigtede eksempeldata" in str(n) for n in notes)
    props = book.properties
    assert props.title.startswith("SYNTETISKE DATA") and "SYNTETISKE DATA" in props.subject
    assert "syntetiske data" in props.keywords
    assert any(p.name == "Syntetiske data" and p.value is True for p in book.custom_doc_props.props)
    # The same report from real extracts carries no mark: its headings stay in row 1.
    with duckdb.connect(str(sample_run.settings.warehouse), read_only=True) as con:
        data = load_report_data(con, 169, 2024, sample_run.settings)
    data.publication["synthetic_data"] = False
    book = load_workbook(write_workbook(data, tmp_path / "echt.xlsx"))
    assert all(not str(s["A1"].value).startswith("SYNTETISKE") for s in book.worksheets)
    assert "SYNTETISKE" not in (book.properties.title or "")
