"""Reports as published: a copy of every report a run publishes, kept as it was.

``$OVERGANG_HOME/reports/archive/<year>/<run id>/rapport_<kommune>_<year>.html`` (and its
``.xlsx``), written when a run publishes its reports and never overwritten (each file is
created exclusively): a report rendered later from today's warehouse says so on its first page
and points here.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

NAME = re.compile(r"^rapport_(\d+)_(\d{4})$")


def archive_dir(reports_dir: Path) -> Path:
    return reports_dir / "archive"


def keep(reports_dir: Path, paths: list[Path], run_id: str) -> list[Path]:
    """Copies each report (and its workbook beside it) into the archive under its year and
    `run_id`; returns the copies. A copy already there is left as it is (never overwritten)."""
    out = []
    for path in paths:
        m = NAME.match(path.stem)
        if not m:
            continue
        folder = archive_dir(reports_dir) / m.group(2) / run_id
        folder.mkdir(parents=True, exist_ok=True)
        for source in (path, path.with_suffix(".xlsx")):
            if not source.exists():
                continue
            target = folder / source.name
            try:
                with source.open("rb") as src, target.open("xb") as dst:
                    shutil.copyfileobj(src, dst)
            except FileExistsError:
                continue  # kept as first published
            out.append(target)
    return out


def published_copies(reports_dir: Path, kommune_code: int, year: int) -> list[Path]:
    """The archived reports of a kommune and year, oldest first (by the time they were kept)."""
    found = archive_dir(reports_dir).glob(f"{int(year)}/*/rapport_{int(kommune_code)}_{int(year)}.html")
    return sorted(found, key=lambda p: (p.stat().st_mtime, p.parent.name))
