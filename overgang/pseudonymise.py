"""Keyed pseudonymisation of CPR numbers (HMAC-SHA256), done inside DuckDB at ingestion.

The CPR number may be used only to tell pupils apart. It is replaced by the first 64 bits of
HMAC-SHA256(key, normalised CPR) as an unsigned integer: compact (8 bytes against 64 for the hex
digest), stable across years and files for the same key, and useless without the key, which is
kept outside the warehouse. With 10 million pupils the chance of any two sharing a pseudonym
is about 3 in a million.

The HMAC is computed by DuckDB's own ``sha256`` on byte strings, so no CPR number crosses into
Python and national volumes hash at DuckDB speed. ``tests/test_pseudonymise.py`` checks it
against Python's ``hmac`` module.
"""

from __future__ import annotations

import csv
import hashlib
import re
import os
from pathlib import Path

from overgang.encoding import sha256_file
from overgang.settings import DATA_DIR, PROJECT_DIR

# Clearly a demonstration key: accepted only for the exact files listed in the sample manifest.
DEMO_KEY = b"OVERGANG-DEMO-KEY-ONLY-FOR-THE-SHIPPED-SYNTHETIC-SAMPLE"
MANIFEST = DATA_DIR / "sample" / "manifest.csv"


class MissingKey(RuntimeError):
    pass


def _sample_hashes() -> dict[str, str]:
    with MANIFEST.open(encoding="utf-8") as f:
        return {row["file"]: row["sha256"] for row in csv.DictReader(f)}


def is_shipped_sample(path: Path) -> bool:
    return _sample_hashes().get(path.name) == sha256_file(path)


def load_key(files: list[Path]) -> tuple[bytes, bool]:
    """The configured key, or the demo key when every file is the shipped sample.

    Returns (key, is_demo).
    """
    if key := os.environ.get("OVERGANG_CPR_KEY"):
        return key.encode("utf-8"), False
    if key_file := os.environ.get("OVERGANG_CPR_KEY_FILE"):
        path = Path(key_file).expanduser()
        if not path.is_absolute():
            path = PROJECT_DIR / path
        if not path.exists():
            raise MissingKey(f"OVERGANG_CPR_KEY_FILE points to {path}, which does not exist.")
        return path.read_bytes().strip(), False
    not_sample = [p.name for p in files if not is_shipped_sample(p)]
    if not not_sample:
        return DEMO_KEY, True
    raise MissingKey(
        "No key for pseudonymising CPR numbers is configured, and these files are not the "
        f"shipped sample: {', '.join(not_sample[:5])}{' …' if len(not_sample) > 5 else ''}.\n"
        "Create a secret key once, keep it outside the warehouse folder, and set it, e.g.:\n"
        "  python -c \"import secrets; print(secrets.token_hex(32))\" > ~/.overgang-cpr-key\n"
        "  chmod 600 ~/.overgang-cpr-key\n"
        "  export OVERGANG_CPR_KEY_FILE=~/.overgang-cpr-key\n"
        "Use the same key every year, or pupils cannot be followed across years."
    )


def hmac_pads(key: bytes) -> tuple[bytes, bytes]:
    """The inner and outer padded keys of RFC 2104, for the SQL expression below."""
    if len(key) > 64:
        key = hashlib.sha256(key).digest()
    key = key.ljust(64, b"\0")
    return bytes(b ^ 0x36 for b in key), bytes(b ^ 0x5C for b in key)


def pseudonym_sql(column: str, inner: str = "$hmac_inner", outer: str = "$hmac_outer") -> str:
    """SQL for the 64-bit pseudonym of a CPR column (normalised to ten digits first).

    The column must already be CPR-shaped (ddmmyy-xxxx or ddmmyyxxxx, spaces around allowed):
    staging checks that before it hashes.
    """
    normalised = f"replace(trim({column}), '-', '')"
    digest = f"sha256({outer} || unhex(sha256({inner} || encode({normalised}))))"
    return f"('0x' || left({digest}, 16))::UBIGINT"


# Ten digits shaped like a CPR number (ddmmyy-xxxx or ddmmyyxxxx), wherever they appear.
CPR_IN_TEXT = re.compile(r"(?<!\d)[0-3]\d[01]\d\d\d-?\d{4}(?!\d)")


def scrub(text: str) -> str:
    """Text safe to show or store: anything shaped like a CPR number is replaced."""
    return CPR_IN_TEXT.sub("(CPR withheld)", text)
