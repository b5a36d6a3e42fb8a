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

import codecs
import csv
import functools
import hashlib
import hmac
import os
import secrets
import unicodedata
from pathlib import Path

from overgang.cpr import scrub
from overgang.encoding import sha256_file
from overgang.settings import DATA_DIR, PROJECT_DIR
from overgang.tenants import KeySource

# Clearly a demonstration key: accepted only for the exact files listed in the sample manifest.
DEMO_KEY = b"OVERGANG-DEMO-KEY-ONLY-FOR-THE-SHIPPED-SYNTHETIC-SAMPLE"
MANIFEST = DATA_DIR / "sample" / "manifest.csv"


# The floor, in characters of the key that are not whitespace: 256 bits as hex (`overgang key new`)
# are 64; 32 characters of any text is the least that keeps a brute force over the few million CPR
# numbers out of reach. Counted after whitespace and invisible characters are taken out, so a key
# of 40 non-breaking spaces, or a short one spaced out, is as short as it reads.
MIN_KEY_CHARS = 32
# Any stretch this long of the demo key's letters and digits marks a key built on the public one
# (quoted, wrapped, cut short or with a suffix). No 16-letter stretch of it is found by chance in a
# random key: hex has no letter after f, and a pass phrase does not spell "keyonlyfortheship".
DEMO_STRETCH = 16
# Characters that show nothing but are not Unicode whitespace (category Z* or str.isspace):
# Hangul and braille fillers. Format characters (Cf: zero-width space and joiners, word joiner,
# BOM, soft hyphen, direction marks) are left out by category.
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")


class MissingKey(RuntimeError):
    pass


HOW_TO_MAKE_A_KEY = (
    "Create a secret key once, keep it outside the warehouse folder, and point Overgang at it:\n"
    "  uv run overgang key new ~/.overgang-cpr-key\n"
    "  export OVERGANG_CPR_KEY_FILE=~/.overgang-cpr-key\n"
    "Use the same key every year, or pupils cannot be followed across years."
)


def _sample_hashes() -> dict[str, str]:
    with MANIFEST.open(encoding="utf-8") as f:
        return {row["file"]: row["sha256"] for row in csv.DictReader(f)}


@functools.cache
def _sample_sizes() -> frozenset[int]:
    return frozenset(p.stat().st_size for p in MANIFEST.parent.glob("optagelse/*.csv"))


def is_shipped_sample(path: Path) -> bool:
    """The file is one of the shipped synthetic extracts, byte for byte, whatever its name (a
    renamed copy is still synthetic). Only a file of a sample file's size is hashed: a national
    extract costs a second to hash."""
    if path.stat().st_size not in _sample_sizes():
        return False
    return sha256_file(path) in set(_sample_hashes().values())


def _as_text(key: bytes) -> str:
    """The key as the characters its owner typed: UTF-8, or else one character a byte (Latin-1,
    as Notepad's ANSI writes a no-break space: byte A0), so that whitespace is recognised in both."""
    try:
        return key.decode("utf-8")
    except UnicodeDecodeError:
        return key.decode("latin-1")


def _shows(char: str) -> bool:
    """A character that shows on its own: not whitespace, not a format or control character, not
    a combining mark (variation selectors, the grapheme joiner), not a blank-looking letter."""
    category = unicodedata.category(char)
    return not (char.isspace() or category[0] in "ZM" or category in ("Cf", "Cc") or char in _BLANK_LETTERS)


def _key_content(text: str) -> str:
    """The key's characters that show: every kind of whitespace and invisible character removed."""
    return "".join(c for c in text if _shows(c))


def _letters_and_digits(text: str) -> str:
    """Case, width, accents, quotes, separators and spacing taken away (ＯＶＥＲ, Över and over alike)."""
    decomposed = unicodedata.normalize("NFKD", text).casefold()
    return "".join(c for c in decomposed if c.isascii() and c.isalnum())


_DEMO_LETTERS = _letters_and_digits(DEMO_KEY.decode("ascii"))


def _holds_demo_key(text: str) -> bool:
    letters = _letters_and_digits(text)
    return any(_DEMO_LETTERS[i : i + DEMO_STRETCH] in letters for i in range(len(_DEMO_LETTERS) - DEMO_STRETCH + 1))


def _checked(key: bytes, where: str) -> bytes:
    """The key, or MissingKey when it is too weak to keep pseudonyms from a brute force.

    There are only a few million CPR numbers: with a short or guessable key every pseudonym can
    be reversed by trying them all, so length is the one thing checked (entropy cannot be), and
    the public demo key is refused in any spelling. The bytes returned are the key as it always
    was (BOM and surrounding ASCII whitespace removed): changing them would change every
    pseudonym, and the warehouse would refuse its own key's years."""
    if b"\x00" in key:
        raise MissingKey(
            f"{where} holds NUL bytes: it was saved as UTF-16 text (PowerShell's '>' does that), so "
            f"its length says nothing about its secret.\n{HOW_TO_MAKE_A_KEY}"
        )
    key = key.removeprefix(codecs.BOM_UTF8).strip()
    text = _as_text(key)
    if _holds_demo_key(text):
        raise MissingKey(
            f"{where} holds the demonstration key (or part of it), which is public and accepted only "
            f"for the shipped sample.\n{HOW_TO_MAKE_A_KEY}"
        )
    content = _key_content(text)
    if len(content) < MIN_KEY_CHARS:
        state = (
            "is empty (only whitespace or invisible characters)"
            if not content
            else f"has only {len(content)} character{'s' if len(content) > 1 else ''} that {'are' if len(content) > 1 else 'is'} not whitespace"
        )
        raise MissingKey(
            f"{where} {state}; a CPR key must be at least {MIN_KEY_CHARS} characters of random text, "
            f"not counting spaces of any kind, or pseudonyms can be reversed by trying every CPR number.\n"
            f"{HOW_TO_MAKE_A_KEY}"
        )
    return key


def _refuse_key_in_home(path: Path, home: Path | None = None) -> None:
    """A key kept under the home (OVERGANG_HOME, or a tenant's) sits beside the pseudonyms it
    reverses, in the folder that is shared (warehouse, Parquet, reports) and backed up with them."""
    if home is None:
        home = Path(os.environ.get("OVERGANG_HOME", "var")).expanduser()
        home = home if home.is_absolute() else PROJECT_DIR / home
    home = home.resolve()
    if path.resolve().is_relative_to(home):
        raise MissingKey(
            f"The CPR key {path} lies inside the Overgang home folder {home}, beside the warehouse "
            f"whose pseudonyms it reverses. Keep it outside, readable by you only.\n{HOW_TO_MAKE_A_KEY}"
        )


def key_warnings() -> list[str]:
    """Advice about the configured key that does not stop a run (a key file others can read)."""
    key_file = os.environ.get("OVERGANG_CPR_KEY_FILE")
    if not key_file or os.environ.get("OVERGANG_CPR_KEY"):
        return []
    path = _key_path(key_file)
    if path.exists() and path.stat().st_mode & 0o077:
        return [
            f"the CPR key file {path} can be read by other users (mode {path.stat().st_mode & 0o777:o}); "
            f"make it private: chmod 600 {path}"
        ]
    return []


def _key_path(key_file: str) -> Path:
    path = Path(key_file).expanduser()
    return path if path.is_absolute() else PROJECT_DIR / path


def load_key(files: list[Path], source: KeySource | None = None, home: Path | None = None) -> tuple[bytes, bool]:
    """The configured key, or the demo key when every file is the shipped sample.

    Returns (key, is_demo). A configured key that is empty, shorter than MIN_KEY_CHARS or the
    demo key is refused, never silently replaced. `source`: a shared deployment's tenant key
    (overgang/tenants.py), read from there only, never from OVERGANG_CPR_KEY and never the demo
    key: a worker holds every tenant's key, and a tenant's rows must be pseudonymised with its own.
    `home`: the tenant's home, where its key file must not lie (without `source`: OVERGANG_HOME).
    """
    if source is not None:
        if source.env:
            if not (value := os.environ.get(source.env)):
                raise MissingKey(
                    f"The tenant's CPR key variable {source.env} is not set in this worker's environment; "
                    f"give every worker the tenants' keys (README.md, 'Shared deployment').\n{HOW_TO_MAKE_A_KEY}"
                )
            return _checked(value.encode("utf-8"), source.env), False
        return _key_from_file(_key_path(source.file or ""), source.file or "", home), False
    if key := os.environ.get("OVERGANG_CPR_KEY"):
        return _checked(key.encode("utf-8"), "OVERGANG_CPR_KEY"), False
    if key_file := os.environ.get("OVERGANG_CPR_KEY_FILE"):
        return _key_from_file(_key_path(key_file), "OVERGANG_CPR_KEY_FILE", None), False
    not_sample = [p.name for p in files if not is_shipped_sample(p)]
    if not not_sample:
        return DEMO_KEY, True
    raise MissingKey(
        "No key for pseudonymising CPR numbers is configured, and these files are not the "
        f"shipped sample: {', '.join(scrub(n) for n in not_sample[:5])}{' …' if len(not_sample) > 5 else ''}.\n"
        + HOW_TO_MAKE_A_KEY
    )


def _key_from_file(path: Path, named_by: str, home: Path | None) -> bytes:
    if not path.is_file():
        raise MissingKey(f"{named_by} points to {path}, which is not a file.\n{HOW_TO_MAKE_A_KEY}")
    _refuse_key_in_home(path, home)
    if path.stat().st_size > 4096:
        raise MissingKey(f"The key file {path} is {path.stat().st_size:,} bytes: not a key file.\n{HOW_TO_MAKE_A_KEY}")
    return _checked(path.read_bytes(), f"The key file {path}")


def new_key_file(path: Path) -> Path:
    """Write a new 256-bit key (64 hex characters) to `path`, readable by its owner only.

    Refuses to overwrite: replacing a key breaks the link between years (see README)."""
    path = path.expanduser()
    _refuse_key_in_home(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # O_EXCL: never overwrite an existing key; mode 0600 from the start, not chmod afterwards.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(secrets.token_hex(32) + "\n")
    return path


def key_fingerprint(key: bytes) -> str:
    """A name for the key that reveals nothing about it: stored in the warehouse so that rows
    pseudonymised with two different keys are never mixed. HMAC of a fixed label, not a hash of
    the key itself, so the fingerprint cannot be used to test guesses of pseudonyms."""
    return hmac.new(key, b"overgang key fingerprint v1", hashlib.sha256).hexdigest()[:16]


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
