"""The source registry: one declaration per small source (kilde) an analyst can load.

A new source is a pandera schema, a reader and one entry in SOURCES. From the entries are made:
the asset and its quarantine check (assets/sources/registry.py), the inbox's recognition order
(intake/inbox/recognise.py), the folders it is read from (intake/sources/files.py), the
sources job and the warehouse's dependencies (pipelines/), and the analyst views and Parquet
marts (schemas/warehouse.py).

The reader, the recogniser and the finishing step live in the intake layer, above this one, so
they are named here as ``"module:function"`` and resolved there: the registry stays importable
by the schemas (views, data dictionary) without importing what reads files.

Reader: ``read(path, source, settings) -> (frame, failures)``, rows that passed and those held
back. Recogniser: ``recognise(seen, source) -> str | None``, a short description of what the
file holds when it is this source (the reader may raise FileRejected to say what is wrong),
None when it is not.

The Optagelse.dk extracts (applications) are not in the registry: they are partitioned by
year, staged by DuckDB rather than read by pandas, and published by their own run.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandera.pandas as pa

from schemas.completion import completion_status_schema
from schemas.profilmodel import profilmodel_schema
from schemas.published import PUBLICATION_KEY, published_application_shares_schema
from schemas.reference import goals_schema, targets_schema


@dataclass(frozen=True)
class Source:
    name: str  # asset, table, view and quarantine dataset
    schema: pa.DataFrameSchema | Callable[[], pa.DataFrameSchema]
    reader: str  # "module:function" in intake/, see the module docstring
    recogniser: str  # "module:function" in intake/
    # Where the inbox tries it: the most specific test first; a StatBank layout match, the loosest, last.
    recognition: int
    kind: str  # the inbox's name for it: processed/<kind>/ and the ledger's `kind`
    shipped: str | None  # folder under data/ with the files the project ships
    key: tuple[str, ...]  # a later file's row replaces an earlier one's with the same key
    group: str  # Dagster asset group
    description: str
    expected: str  # what the inbox says it would have needed, when a file fits no source
    column_map: str | None = None  # section of data/config/column_map.yaml with its header spellings
    config_table: bool = False  # a CSV with the schema's columns or a YAML list under `<name>:`
    parquet: bool = False  # also written as a Parquet mart beside the warehouse
    finish: str | None = None  # "module:function" over all files' rows together
    view_description: str | None = None  # the view's comment, when the schema has no description

    def frame_schema(self) -> pa.DataFrameSchema:
        return self.schema if isinstance(self.schema, pa.DataFrameSchema) else self.schema()


# In the order of the analyst views and the data dictionary; the inbox tries them by `recognition`.
SOURCES: tuple[Source, ...] = (
    Source(
        name="targets",
        schema=targets_schema,
        reader="intake.reference.config_files:read",
        recogniser="intake.reference.config_files:recognise",
        recognition=3,
        kind="targets",
        shipped="targets",
        key=("kommune_code", "target_year", "target_group", "decided_year", "decided_on"),
        group="reference",
        description="Municipal måltal: target shares per year and group, with who decided them and the source "
        "(data/targets/*.csv|yaml and the inbox).",
        expected="targets (the columns of data/targets/maaltal.csv, or YAML)",
        config_table=True,
        parquet=True,
        view_description="Måltal: the municipality's target shares per year and group, with who decided them and "
        "the source.",
    ),
    Source(
        name="goals",
        schema=goals_schema,
        reader="intake.reference.config_files:read",
        recogniser="intake.reference.config_files:recognise",
        recognition=4,
        kind="goals",
        shipped="goals",
        key=("goal_id",),
        group="reference",
        description="Completion and application goals (målsætninger), dated and sourced (data/goals/*.csv|yaml "
        "and the inbox).",
        expected="goals (the columns of data/goals/goals.csv, or YAML)",
        config_table=True,
        parquet=True,
        view_description="Goals (målsætninger) with target, deadline, 'or the national average', indicator kind "
        "and source.",
    ),
    Source(
        name="completion_status",
        schema=completion_status_schema,
        reader="intake.statbank.reader:read",
        recogniser="intake.statbank.reader:recognise",
        recognition=5,
        kind="statbank",
        shipped="statbank",
        key=("table_code", "year", "kommune_code", "status"),
        group="statbank",
        description="Status of young people by kommune (STATUSU6: completed, in progress, dropped out, none). "
        "Observed figures, one of the three kinds of completion number: never on one axis with the profilmodel's "
        "projections or transition rates. Files from data/statbank/ and the inbox; a later file replaces an "
        "earlier one's figures for the same table, year and area.",
        expected="a StatBank table (see data/config/statbank.yaml)",
        parquet=True,
        view_description="Youth-education status (uddannelsesstatus) from Danmarks Statistik, e.g. STATUSU6.",
    ),
    Source(
        name="published_application_shares",
        schema=published_application_shares_schema,
        reader="intake.published.reader:read",
        recogniser="intake.published.reader:recognise",
        recognition=1,
        kind="published_application_shares",
        shipped="published",
        key=tuple(PUBLICATION_KEY),
        group="published",
        description="Published søgetal tables (offentliggjorte søgetal) from data/published/ and the inbox, each row "
        "with its denominator definition and geography basis; percentages checked to add up to 100. Two "
        "publications of the same figure are both kept; `current` marks the one reports use.",
        expected="a søgetal table (Kommune, År, and Uddannelsesgruppe or EUD/GYM/Øvrige columns)",
        column_map="published_application_shares",
        finish="intake.published.publications:mark_current",
    ),
    Source(
        name="profilmodel_projections",
        schema=profilmodel_schema,
        reader="intake.profilmodel.reader:read",
        recogniser="intake.profilmodel.reader:recognise",
        recognition=2,
        kind="profilmodel",
        shipped="profilmodel",
        key=("vintage", "kommune_code", "cohort", "horizon_years"),
        group="profilmodel",
        description="Projected share of each 9th-grade cohort with a youth education, by kommune and vintage "
        "(fremskrivninger, from data/profilmodel/ and the inbox). A projection: never on one axis with observed "
        "status.",
        expected="profilmodel results (Kommune, Årgang, År efter 9. klasse, Andel)",
        column_map="profilmodel",
    ),
)


def recognition_order(sources: tuple[Source, ...] = SOURCES) -> list[Source]:
    return sorted(sources, key=lambda s: s.recognition)


def resolve(reference: str) -> Callable[..., Any]:
    """The function a registry entry names as "module:function"."""
    module, _, name = reference.partition(":")
    function: Callable[..., Any] = getattr(importlib.import_module(module), name)
    return function


def by_kind(sources: tuple[Source, ...] = SOURCES) -> dict[str, Source]:
    return {s.kind: s for s in sources}
