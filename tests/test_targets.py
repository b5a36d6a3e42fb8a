"""Måltal as the council decided them: a later decision supersedes an earlier one (both kept),
and a target is shown with its decimals, never rounded to a whole per cent."""

from __future__ import annotations

import shutil

import duckdb

from reports.render import render_report
from tests.cli import overgang


def test_a_later_decision_supersedes_and_keeps_its_decimals(sample_run, tmp_path):
    home = tmp_path / "home"
    shutil.copytree(sample_run.settings.home, home)
    revised = tmp_path / "maaltal_revideret.csv"
    revised.write_text(
        "kommune_code,target_year,target_group,target_pct,value_basis,decided_year,decided_on,decided_by,"
        "stated_growth_pp_per_year,source\n"
        "169,2025,EUD,32.5,published,2024,2024-05-28,Høje-Taastrup Kommune,,https://example.dk/revideret\n",
        encoding="utf-8",
    )
    done = overgang(tmp_path, "load", str(revised))
    assert "accepted" in done.stderr, done.stderr[-2000:]
    settings = sample_run.settings.__class__(
        home=home,
        input_dir=sample_run.settings.input_dir,
        pipeline=sample_run.settings.pipeline,
        inbox=tmp_path / "inbox",
    )
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        kept = con.execute(
            "SELECT decided_year, target_pct FROM targets WHERE kommune_code = 169 AND target_year = 2025 "
            "AND target_group = 'EUD' ORDER BY decided_year"
        ).fetchall()
    assert kept == [(2021, 30.0), (2024, 32.5)]  # both decisions stay in the warehouse
    html = render_report(settings, 169, 2025, tmp_path / "r.html").read_text(encoding="utf-8")
    card = html.split('id="card-htk_eud_maaltal"', 1)[1].split("</article>", 1)[0]
    assert '<dd class="target">32,5 %</dd>' in card
