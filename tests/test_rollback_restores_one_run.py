"""After `overgang rollback` the warehouse, its Parquet marts, the data dictionary and the
publication set all come from one run: the run of the previous warehouse.

Two runs are published over a copy of the sample's home (the second one's run id is "run-b");
the second either completes or stops between publishing the warehouse and the publication set
(a kill, a full disk). Before, rollback put the warehouse and Parquet back but left the newer
publication set (publication.py deleted its previous version) and the newer data dictionary.
"""

from __future__ import annotations

import shutil

import duckdb
import pytest
from click.testing import CliRunner

from assets.warehouse.assets import PARQUET_MARK, publish
from assets.warehouse.publication import PUBLICATION_MARK, write_publication_set
from overgang.settings import Settings
from pipelines.cli import main
from schemas.dictionary import dictionary_markdown

pytestmark = pytest.mark.integration


@pytest.fixture
def two_runs(sample_run, tmp_path, monkeypatch):
    home = tmp_path / "home"
    shutil.copytree(sample_run.settings.home, home, ignore=shutil.ignore_patterns("dagster"))
    monkeypatch.setenv("OVERGANG_HOME", str(home))
    settings = Settings(home=home, input_dir=sample_run.settings.input_dir, pipeline=sample_run.settings.pipeline)
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        first = con.execute("SELECT run_id FROM publication").fetchone()[0]
    return settings, first


def _publish_run_b(settings: Settings, with_publication_set: bool) -> None:
    """A second run, "run-b", without 2025, so that its artefacts differ from the first's."""
    with duckdb.connect(str(settings.work_db)) as work:
        work.execute("UPDATE publication SET run_id = 'run-b', published_at = now()::TIMESTAMP")
        for table in ("application_shares", "school_application_shares", "application_shares_by_sex", "applications"):
            work.execute(f"DELETE FROM {table} WHERE year = 2025")
        work.execute("COMMENT ON TABLE applications IS 'changed by run-b'")
        publish(work, settings.warehouse, settings.pipeline.storage_compatibility_version)
    if with_publication_set:
        write_publication_set(
            settings.warehouse, settings.publication_dir, settings.pipeline.small_cell, "v1.0.0", None
        )


def _runs_of_every_artefact(settings: Settings) -> dict[str, str]:
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        warehouse = con.execute("SELECT run_id FROM publication").fetchone()[0]
        dictionary_now = dictionary_markdown(con)
    folder = settings.warehouse.parent
    return {
        "warehouse": warehouse,
        "parquet": (folder / "parquet" / PARQUET_MARK).read_text(encoding="utf-8"),
        "publication set": (settings.publication_dir / PUBLICATION_MARK).read_text(encoding="utf-8"),
        "data dictionary": warehouse
        if (folder / "data_dictionary.md").read_text(encoding="utf-8") == dictionary_now
        else "another run",
    }


def _cells(settings: Settings):
    with duckdb.connect(str(settings.publication_dir / "overgang_publication.duckdb"), read_only=True) as con:
        return con.execute("FROM cells ORDER BY ALL").fetchall()


@pytest.mark.parametrize("second_run", ["completed", "stopped before the publication set"])
def test_rollback_puts_every_published_artefact_back_to_one_run(two_runs, second_run):
    settings, first = two_runs
    cells_first = _cells(settings)
    _publish_run_b(settings, with_publication_set=second_run == "completed")
    assert _runs_of_every_artefact(settings)["warehouse"] == "run-b"
    if second_run == "completed":
        assert _cells(settings) != cells_first, "run-b's publication set must differ for the test to mean anything"

    done = CliRunner().invoke(main, ["rollback"])

    assert done.exit_code == 0, done.output
    assert "Rolled back:" in done.output
    assert _runs_of_every_artefact(settings) == dict.fromkeys(
        ["warehouse", "parquet", "publication set", "data dictionary"], first
    )
    assert _cells(settings) == cells_first


def test_rollback_makes_a_missing_publication_set_version_again(two_runs):
    """The previous publication set gone (removed by hand, or a home from before this version):
    it is made again from the restored warehouse, never left from the newer run."""
    settings, first = two_runs
    cells_first = _cells(settings)
    _publish_run_b(settings, with_publication_set=True)
    shutil.rmtree(settings.publication_dir.with_name(settings.publication_dir.name + ".previous"))
    shutil.rmtree(settings.warehouse.parent / "parquet.previous")

    done = CliRunner().invoke(main, ["rollback"])

    assert done.exit_code == 0, done.output
    assert "made again" in done.output
    assert set(_runs_of_every_artefact(settings).values()) == {first}
    assert _cells(settings) == cells_first
