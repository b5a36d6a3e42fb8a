"""Areas as sources write them: kommune codes (169, 0169), kommune names, or the whole country."""

from __future__ import annotations

import re
from functools import cache

from schemas.reference import kommune_codes, kommuner

NATIONAL = 0
# StatBank says "Hele landet" and 000; other tables say "Landet" or "Hele Danmark".
NATIONAL_NAMES = ["Hele landet", "Landet", "Hele Danmark", "Danmark", "Landsplan", "Landsgennemsnit"]


@cache
def _codes() -> frozenset[int]:
    return frozenset(kommune_codes())


@cache
def _by_name() -> dict[str, int]:
    names = {str(n).casefold(): int(c) for n, c in zip(kommuner().kommune_name, kommuner().kommune_code)}
    names |= {n.casefold(): NATIONAL for n in NATIONAL_NAMES}
    # "Høje-Taastrup Kommune" and "København (101)" are written too.
    return names


def area_code(text: str) -> int | None:
    """Kommune code, 0 for the whole country, None when the area is not a municipality."""
    text = " ".join(str(text).split())
    if re.fullmatch(r"\d{1,4}", text):
        code = int(text)
        return code if code == NATIONAL or code in _codes() else None
    key = re.sub(r"\s*\(\d+\)$", "", text).casefold()
    key = re.sub(r"\s+kommune$", "", key)
    return _by_name().get(key)
