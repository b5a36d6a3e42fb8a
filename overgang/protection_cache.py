"""A protection cache on disk: the labels of a cube already protected, kept between processes.

Protecting a kommune-year cube (``overgang/suppression.py: protect``) solves integer programs
again and again until every hidden cell is safe. A new spring changes one year's cubes; the
others are the same pupils as last time. This cache keeps, for each input that was protected,
only what protection decided — which cells are hidden and how they are marked, which splits are
left out — so an unchanged cube is not searched again in the next process.

What it holds, thought of as a data-protection officer would:

- **No counts.** An entry is the labels of the hidden cells (``{"g/FGU": "<5", ...}``; a cell
  name is a group, a grade, a sex or a school number), the splits left out, or the refusal's
  message. That is what the publication set prints anyway.
- **A keyed name.** The file name is an HMAC-SHA256 of the counts, the small-cell settings and
  a fingerprint of the code, under a random key of this home (``<home>/cache/protection.key``,
  beside the folder, not in it, readable by its owner only). A plain hash of the counts would
  give them away: a reader of the published cells could try every value the hidden cells can
  take and compare the hashes. Without the key, the names say nothing.
- **Authenticated entries.** Each entry carries an HMAC of its name and content: a torn,
  truncated, edited or garbage file does not verify and is ignored (the cube is protected
  again and the entry rewritten), never trusted.
- **Checked again anyway.** The caller rebuilds the cube from the warehouse and audits the
  cached labels (``reports/cells.py: _protected``), so even an entry written with the key by
  someone else cannot weaken protection.

Writes are atomic (a temporary file in the folder, then ``os.replace``): two processes writing
the same entry at once leave one whole file, and a process killed mid-write leaves at most a
stray temporary file, which is never read. A folder that cannot be written (read-only home,
full disk) costs time, not a run: the cube is protected as if there were no cache, with one
warning. Nothing here imports more than the standard library: ``overgang report`` uses it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import secrets
import tempfile
from pathlib import Path
from typing import Any

FORMAT = 1
KEY_BYTES = 32
SUFFIX = ".json"

log = logging.getLogger(__name__)


def code_fingerprint(*files: str | os.PathLike[str], extra: str = "") -> str:
    """SHA-256 of the bytes of the source files a cached result depends on (and `extra`, e.g.
    the solver's version): any change to them, even a comment, makes every entry a miss."""
    digest = hashlib.sha256(extra.encode("utf-8"))
    for file in files:
        data = Path(file).read_bytes()
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    return digest.hexdigest()


def canonical(value: object) -> bytes:
    """One byte string per value (sorted keys, no spaces): what is hashed."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


class ProtectionCache:
    """Entries under `folder` (``<home>/cache/protection/``), named by a keyed hash of their input."""

    def __init__(self, folder: Path, key_file: Path | None = None) -> None:
        self.folder = Path(folder)
        self.key_file = Path(key_file) if key_file is not None else self.folder.with_name(self.folder.name + ".key")
        self._key: bytes | None = None
        self._warned = False

    def _warn(self, doing: str, error: BaseException) -> None:
        if not self._warned:
            self._warned = True
            log.warning(
                "protection cache %s: cannot %s (%s); cubes are protected without it (slower, as safe)",
                self.folder,
                doing,
                type(error).__name__ + (f": {error.strerror}" if isinstance(error, OSError) and error.strerror else ""),
            )

    def key(self) -> bytes | None:
        """This home's key, made on first use; None when it can be neither read nor made (the
        cache is then off for this process)."""
        if self._key is not None:
            return self._key
        try:
            key: bytes | None = self.key_file.read_bytes()
        except FileNotFoundError:
            key = self._new_key()
        except OSError as e:
            self._warn("read its key", e)
            return None
        if key is None:
            return None
        if len(key) != KEY_BYTES:
            # Not a key this code wrote (emptied, truncated): replaced; the entries under the old
            # one become misses.
            key = self._new_key(replace=True)
            if key is None:
                return None
        self._key = key
        return key

    def _new_key(self, replace: bool = False) -> bytes | None:
        key = secrets.token_bytes(KEY_BYTES)
        try:
            self.key_file.parent.mkdir(parents=True, exist_ok=True)
            tmp = self._write_temp(self.key_file.parent, key)
            try:
                if replace:
                    os.replace(tmp, self.key_file)
                else:
                    # link, not replace: when two processes make the key at once, the first wins
                    # and the second reads it, so both name their entries alike.
                    os.link(tmp, self.key_file)
            except FileExistsError:
                key = self.key_file.read_bytes()
            finally:
                if not replace:
                    os.unlink(tmp)
        except OSError as e:
            self._warn("make its key", e)
            return None
        return key

    @staticmethod
    def _write_temp(folder: Path, data: bytes) -> str:
        # mkstemp makes the file readable and writable by its owner only (0600).
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
        except BaseException:
            os.unlink(tmp)
            raise
        return tmp

    def _name(self, key: bytes, fingerprint: str, material: object) -> str:
        return hmac.new(key, canonical({"code": fingerprint, "input": material}), hashlib.sha256).hexdigest()

    @staticmethod
    def _mac(key: bytes, name: str, value: object) -> str:
        return hmac.new(key, name.encode("ascii") + b"\0" + canonical(value), hashlib.sha256).hexdigest()

    def path(self, fingerprint: str, material: object) -> Path | None:
        key = self.key()
        return None if key is None else self.folder / (self._name(key, fingerprint, material) + SUFFIX)

    def get(self, fingerprint: str, material: object) -> Any:
        """The value stored for this input and code, or None (no entry, no key, or an entry that
        does not verify: torn, edited, garbage, another format)."""
        key = self.key()
        if key is None:
            return None
        try:
            name = self._name(key, fingerprint, material)
            entry = json.loads((self.folder / (name + SUFFIX)).read_bytes())
            if (
                isinstance(entry, dict)
                and entry.get("format") == FORMAT
                and isinstance(entry.get("mac"), str)
                and hmac.compare_digest(entry["mac"], self._mac(key, name, entry.get("value")))
            ):
                return entry["value"]
        except (OSError, ValueError, TypeError):
            pass
        return None

    def put(self, fingerprint: str, material: object, value: object) -> None:
        """Store `value` (JSON: labels, never counts) for this input and code, atomically. A
        failure to write is a warning, not an error."""
        key = self.key()
        if key is None:
            return
        try:
            name = self._name(key, fingerprint, material)
            data = canonical({"format": FORMAT, "value": value, "mac": self._mac(key, name, value)})
        except (TypeError, ValueError):
            return
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            tmp = self._write_temp(self.folder, data)
            try:
                os.replace(tmp, self.folder / (name + SUFFIX))
            except BaseException:
                os.unlink(tmp)
                raise
        except OSError as e:
            self._warn("write", e)


_OPEN: dict[Path, ProtectionCache] = {}


def at_home(home: Path | None) -> ProtectionCache | None:
    """The cache of a home (one object per folder in a process: the key is read once)."""
    if home is None:
        return None
    folder = Path(home) / "cache" / "protection"
    if folder not in _OPEN:
        _OPEN[folder] = ProtectionCache(folder)
    return _OPEN[folder]


__all__ = ["ProtectionCache", "at_home", "canonical", "code_fingerprint"]
