"""The source registry (schemas/sources.py): a new source is a schema, a reader and one entry.

A toy source (antal elever pr. kommune, a count of pupils) is declared here, in the test, and
nothing else is edited: the test shows that the entry alone gives it an asset, a quarantine
check, a place in the sources job and the warehouse's dependencies, an analyst view and a
Parquet mart, a place in the inbox's recognition, and that its asset loads its files with the
rows that break its schema held back in quarantine.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pandera.pandas as pa
import pytest
from dagster import AssetKey, instance_for_test, materialize

from assets.resources import ProjectSettings, WorkDatabase
from assets.sources.registry import source_asset
from intake.inbox.recognise import recognise
from intake.sources.quarantine import split_valid
from intake.sources.tables import FileRejected, read_rows
from overgang.settings import Settings
from pipelines.jobs import SOURCE_ASSETS, SOURCES_JOB
from schemas.sources import SOURCES, Source
from schemas.warehouse import PARQUET, VIEWS, parquet, views
from tests.test_definitions import SNAPSHOT

TOY_HEADER = ["kommune_code", "year", "pupils"]

toy_schema = pa.DataFrameSchema(
    {
        "kommune_code": pa.Column(int, pa.Check.between(101, 860), description="Kommune code."),
        "year": pa.Column(int, description="School year."),
        "pupils": pa.Column(int, pa.Check.ge(0), description="Pupils in 9th grade (elever i 9. klasse)."),
        "source_file": pa.Column(str, description="File the row came from."),
    },
    name="toy_pupils",
    description="Pupils in 9th grade per kommune (a toy source of the registry's test).",
)


def read_toy(path: Path, source: Source, settings) -> tuple[pd.DataFrame, list]:
    table = read_rows(path)
    raw = pd.DataFrame(table.rows, columns=table.header, dtype=str)
    frame = pd.DataFrame(
        {
            "kommune_code": pd.to_numeric(raw["kommune_code"], errors="coerce").astype("Int64"),
            "year": pd.to_numeric(raw["year"], errors="coerce").astype("Int64"),
            "pupils": pd.to_numeric(raw["pupils"], errors="coerce").astype("Int64"),
            "source_file": path.name,
            "source_line": table.lines,
        }
    )
    checked = toy_schema.add_columns({"source_line": pa.Column(int)})
    return split_valid(frame, checked, path.name, raw.assign(source_line=table.lines))


def recognise_toy(seen, source: Source) -> str | None:
    if [h.strip().casefold() for h in seen.header] != TOY_HEADER:
        return None
    return f"toy table, {len(read_rows(seen.path).rows)} rows"


TOY = Source(
    name="toy_pupils",
    schema=toy_schema,
    reader="tests.test_source_registry:read_toy",
    recogniser="tests.test_source_registry:recognise_toy",
    recognition=99,
    kind="toy",
    shipped=None,
    key=("kommune_code", "year"),
    group="toy",
    description="Pupils in 9th grade per kommune.",
    expected="a toy table (kommune_code, year, pupils)",
    parquet=True,
)
WITH_TOY = (*SOURCES, TOY)


def _settings(tmp_path: Path) -> Settings:
    base = Settings.load()
    return Settings(home=tmp_path / "home", input_dir=base.input_dir, pipeline=base.pipeline, inbox=tmp_path / "inbox")


def test_the_registry_makes_the_lists_that_were_written_by_hand():
    names = [s.name for s in SOURCES]
    assert SOURCE_ASSETS == names
    assert [v for v in VIEWS if v in names] == names
    assert {"targets", "goals", "completion_status"} <= set(PARQUET)
    snapshot = SNAPSHOT.read_text(encoding="utf-8")
    for name in names:
        assert f"check {name}:{name}_rows_held_back" in snapshot
        assert f"asset {name} [" in snapshot
    warehouse = next(line for line in snapshot.splitlines() if line.startswith("asset warehouse "))
    assert all(name in warehouse.split("<-")[1].split(", ") for name in names)


def test_one_entry_gives_a_toy_source_its_asset_check_job_warehouse_dependency_and_view(tmp_path):
    from pipelines.definitions import build_definitions

    defs = build_definitions(_settings(tmp_path), sources=WITH_TOY)
    graph = defs.resolve_asset_graph()
    toy = AssetKey("toy_pupils")
    assert graph.get(toy).group_name == "toy"
    assert toy in graph.get(AssetKey("warehouse")).parent_keys
    assert any(c.asset_key == toy and c.name == "toy_pupils_rows_held_back" for c in graph.asset_check_keys)
    assert toy in defs.resolve_job_def(SOURCES_JOB).asset_layer.selected_asset_keys
    # The column schema the Dagster UI shows comes from the pandera schema.
    shown = graph.get(toy).metadata["dagster/column_schema"]
    assert [c.name for c in shown.columns] == list(toy_schema.columns)
    assert list(views(WITH_TOY)["toy_pupils"].columns) == list(toy_schema.columns)
    assert "toy_pupils" in parquet(WITH_TOY)
    # The real registry is untouched: the toy exists only where it was passed.
    assert (
        AssetKey("toy_pupils") not in build_definitions(_settings(tmp_path)).resolve_asset_graph().get_all_asset_keys()
    )


def test_the_inbox_recognises_the_toy_source_only_when_it_is_registered(tmp_path):
    path = tmp_path / "elever.csv"
    path.write_text("kommune_code;year;pupils\r\n169;2025;612\r\n259;2025;701\r\n", encoding="utf-8")
    found = recognise(path, sources=WITH_TOY)
    assert (found.kind, found.detail) == ("toy", "toy table, 2 rows")
    with pytest.raises(FileRejected, match="unknown layout"):
        recognise(path)
    with pytest.raises(FileRejected, match=r"a toy table \(kommune_code, year, pupils\)"):
        recognise(_unknown(tmp_path), sources=WITH_TOY)


def _unknown(tmp_path: Path) -> Path:
    path = tmp_path / "noget.csv"
    path.write_text("a;b;c\r\n1;2;3\r\n", encoding="utf-8")
    return path


@pytest.mark.integration
def test_the_toy_asset_loads_its_files_and_holds_back_bad_rows(tmp_path):
    settings = _settings(tmp_path)
    folder = settings.inbox_dir / "processed" / "toy"
    folder.mkdir(parents=True)
    (folder / "elever.csv").write_text("kommune_code;year;pupils\r\n169;2025;612\r\n259;2025;-3\r\n", encoding="utf-8")
    (tmp_path / "dagster").mkdir()
    with instance_for_test(temp_dir=str(tmp_path / "dagster")) as instance:
        result = materialize(
            [source_asset(TOY)],
            instance=instance,
            resources={
                "duckdb": WorkDatabase(database=str(settings.work_db)),
                "project": ProjectSettings.from_settings(settings),
            },
        )
    assert result.success
    with duckdb.connect(str(settings.work_db), read_only=True) as con:
        assert con.execute("SELECT kommune_code, year, pupils FROM toy_pupils").fetchall() == [(169, 2025, 612)]
        held = con.execute("SELECT source_line, column_name, value FROM quarantine WHERE dataset = 'toy_pupils'")
        assert held.fetchall() == [(3, "pupils", "-3")]
