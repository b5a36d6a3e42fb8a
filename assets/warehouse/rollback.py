"""Rollback: every published artefact put back to one run, the run of the previous warehouse.

What a run publishes is four things in the home (README, "Internal warehouse and publication
set"): the internal warehouse (`warehouse/overgang.duckdb`), its Parquet marts
(`warehouse/parquet/`), the data dictionary (`warehouse/data_dictionary.md`) and the
publication set (`publication/`). Each is replaced whole by `publish` (assets.py) and
`write_publication_set` (publication.py), which keep the version before as `…previous`; the
Parquet folder and the publication set carry the run id of the warehouse they were made from
(`.publication`). Rollback puts the previous warehouse back and then makes the other three
agree with it: a kept previous version marked with that run is put back, anything else is made
again from the restored warehouse. So after a rollback all four come from one run, also when the
run being rolled back stopped between publishing the warehouse and the publication set.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb

from assets.warehouse.assets import PARQUET_MARK, sane
from assets.warehouse.publication import PUBLICATION_MARK, write_publication_set
from overgang import protection_cache
from overgang.home import run_lock
from overgang.settings import Settings
from schemas.dictionary import dictionary_markdown, export_parquet


class NothingToRollBack(RuntimeError):
    pass


@dataclass(frozen=True)
class RolledBack:
    run_id: str
    published_at: object  # a datetime, as DuckDB gives it
    aside: Path | None  # the replaced warehouse, kept
    remade: tuple[str, ...]  # the artefacts made again from the restored warehouse


def previous_of(warehouse: Path) -> Path:
    return warehouse.with_name(warehouse.stem + ".previous.duckdb")


def _mark(folder: Path, name: str = PARQUET_MARK) -> str | None:
    mark = folder / name
    return mark.read_text(encoding="utf-8") if mark.is_file() else None


def _put_back(current: Path, previous: Path, aside: Path) -> None:
    """`previous` in the place of `current`, which is kept as `aside` (a folder)."""
    shutil.rmtree(aside, ignore_errors=True)
    if current.exists():
        current.rename(aside)
    previous.rename(current)


def rollback(settings: Settings) -> RolledBack:
    """Put the previous published warehouse back and make the Parquet marts, the data dictionary
    and the publication set agree with it (see the module's docstring)."""
    current = settings.warehouse
    previous = previous_of(current)
    if not previous.exists():
        raise NothingToRollBack(
            f"No previous warehouse at {previous}: nothing to roll back to (it is made when a run publishes over an "
            "existing warehouse)."
        )
    problem = sane(previous)
    if problem is not None:
        raise NothingToRollBack(
            f"The previous warehouse {previous} cannot be used ({problem}); rebuild instead: overgang run --rebuild"
        )
    remade: list[str] = []
    with run_lock(settings.home, "rollback", "rollback"):
        with duckdb.connect(str(previous), read_only=True) as con:
            run_id, published_at = con.execute("SELECT run_id, published_at FROM publication").fetchall()[0]
        aside = current.with_name(current.stem + ".rolled-back.duckdb")
        if current.exists():
            os.replace(current, aside)
        os.replace(previous, current)

        folder = current.parent
        parquet, parquet_previous = folder / "parquet", folder / "parquet.previous"
        if _mark(parquet) != run_id:
            if _mark(parquet_previous) == run_id:
                _put_back(parquet, parquet_previous, folder / "parquet.rolled-back")
            else:
                new = folder / "parquet.new"
                shutil.rmtree(new, ignore_errors=True)
                with duckdb.connect(str(current), read_only=True) as con:
                    export_parquet(con, new)
                (new / PARQUET_MARK).write_text(run_id, encoding="utf-8")
                _put_back(parquet, new, folder / "parquet.rolled-back")
                remade.append("Parquet")
        # The dictionary is small and made from the warehouse alone: always made again.
        with duckdb.connect(str(current), read_only=True) as con:
            (folder / "data_dictionary.md").write_text(dictionary_markdown(con), encoding="utf-8")

        publication = settings.publication_dir
        publication_previous = publication.with_name(publication.name + ".previous")
        if _mark(publication, PUBLICATION_MARK) != run_id:
            if _mark(publication_previous, PUBLICATION_MARK) == run_id:
                _put_back(publication, publication_previous, publication.with_name(publication.name + ".rolled-back"))
            elif publication.exists() or publication_previous.exists():
                write_publication_set(
                    current,
                    publication,
                    settings.pipeline.small_cell,
                    settings.pipeline.storage_compatibility_version,
                    protection_cache.at_home(settings.home),
                )
                remade.append("the publication set")
    return RolledBack(run_id, published_at, aside if aside.exists() else None, tuple(remade))
