"""SQL files beside the assets that run them (``<domain>/sql/<table>.sql``)."""

from __future__ import annotations

from pathlib import Path

ASSETS_DIR = Path(__file__).resolve().parent


def read_sql(domain: str, name: str) -> str:
    return (ASSETS_DIR / domain / "sql" / f"{name}.sql").read_text(encoding="utf-8")
