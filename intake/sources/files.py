"""Where each source's files are: shipped in ``data/``, plus what the inbox accepted.

The inbox keeps accepted files under ``<inbox>/processed/<kind>/`` (extracts under a folder
per application year), so the pipeline re-reads them on every run and a corrected file is
simply the newer one in its place; older ones are moved to ``processed/superseded/``.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from intake.inbox.ledger import accepted_order
from intake.sources.tables import FileRejected
from overgang.settings import DATA_DIR, Settings
from schemas.sources import SOURCES, by_kind

KINDS = ("applications", *(s.kind for s in SOURCES))
TABLE_SUFFIXES = (".csv", ".txt", ".xlsx")
YAML_SUFFIXES = (".yaml", ".yml")
CONFIG_SUFFIXES = (".csv", *YAML_SUFFIXES)
# What the project ships for each source (a municipality adds its own through the inbox).
SHIPPED = {s.kind: DATA_DIR / s.shipped for s in SOURCES if s.shipped}


def processed_dir(settings: Settings, kind: str) -> Path:
    return settings.inbox_dir / "processed" / kind


def without_descriptions(files: list[Path]) -> list[Path]:
    """`files` less the description files: a <name>.yaml beside a <name>.csv describes its
    table (sidecar) and is not a table itself."""
    tables = {p.stem for p in files if p.suffix.lower() not in YAML_SUFFIXES}
    return [p for p in files if not (p.suffix.lower() in YAML_SUFFIXES and p.stem in tables)]


def _files(folder: Path, suffixes) -> list[Path]:
    if not folder.is_dir():
        return []
    return without_descriptions(sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in suffixes))


def source_files(settings: Settings, kind: str) -> list[Path]:
    """Shipped files first, then the inbox's in the order they arrived: where two files give the
    same figure, readers keep the later one, so a correction wins."""
    source = by_kind().get(kind)
    suffixes = CONFIG_SUFFIXES if source is not None and source.config_table else TABLE_SUFFIXES
    shipped = _files(SHIPPED[kind], suffixes) if kind in SHIPPED else []
    order = accepted_order(settings)
    accepted = sorted(
        _files(processed_dir(settings, kind), suffixes), key=lambda p: (order.get(str(p), len(order)), p.name)
    )
    return shipped + accepted


def own_sources(settings: Settings) -> list[Path]:
    """The analyst's own tables the inbox accepted (published søgetal, måltal, goals, StatBank,
    profilmodel): not the shipped ones, not extracts."""
    return [p for kind in SHIPPED for p in _files(processed_dir(settings, kind), (*CONFIG_SUFFIXES, *TABLE_SUFFIXES))]


def sidecar(path: Path) -> Path | None:
    """The description file beside a table: <name>.yaml or <name>.yml."""
    for suffix in YAML_SUFFIXES:
        candidate = path.with_suffix(suffix)
        if candidate.exists() and candidate != path:
            return candidate
    return None


def description(path: Path, example: str) -> dict:
    """What the description file beside `path` says ({} without one); FileRejected, with
    `example`, when it is not 'key: value' lines."""
    meta_path = sidecar(path)
    if meta_path is None:
        return {}
    try:
        meta = yaml.safe_load(meta_path.read_text(encoding="utf-8-sig"))
    except (yaml.YAMLError, UnicodeDecodeError):
        meta = "unreadable"
    meta = {} if meta is None else meta  # an empty file says nothing; the reader asks for what it needs
    if not isinstance(meta, dict):
        raise FileRejected(f"{meta_path.name}: expected 'key: value' lines describing {path.name}, e.g.\n{example}")
    return meta


YES = {"true", "yes", "ja", "j", "1", "sand"}
NO = {"false", "no", "nej", "n", "0", "falsk", ""}


def yes(value, key: str, path: Path) -> bool:
    """A yes/no of a description file ('rounded: nej' is no); anything else is refused."""
    text = str(value).strip().casefold() if value is not None else ""
    if isinstance(value, bool):
        return value
    if text in YES or text in NO:
        return text in YES
    raise FileRejected(f"{path.name}: the description says {key}: {value!s:.20}; write {key}: ja or {key}: nej.")


def inbox_extracts(settings: Settings) -> dict[int, list[Path]]:
    """Extracts the inbox accepted, by application year (one folder per year): the one waiting in
    ``pending/`` for its run if there is one (the run loads it), else the year's current one."""
    root = processed_dir(settings, "applications")
    if not root.is_dir():
        return {}
    found = {}
    for d in sorted(root.iterdir()):
        if not (d.is_dir() and d.name.isdigit()):
            continue
        pending = (
            sorted((p for p in (d / "pending").iterdir() if p.is_file()), key=lambda p: p.stat().st_mtime)
            if (d / "pending").is_dir()
            else []
        )
        current = sorted(p for p in d.iterdir() if p.is_file())
        if pending or current:
            found[int(d.name)] = pending[-1:] or current
    return found
