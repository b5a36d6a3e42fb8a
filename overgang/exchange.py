"""Two folders exchanged in one step (Linux renameat2 with RENAME_EXCHANGE): a published folder
replaced by its new version with no moment at which neither is in place. Replacing a folder by
two renames (the old one aside, then the new one in) leaves, when the process is killed between
them, no folder at all until the next publish."""

from __future__ import annotations

import ctypes
import errno
import os
from pathlib import Path

__all__ = ["exchange"]

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2
# Not available on this machine or file system: the caller replaces the folder in two renames.
_UNSUPPORTED = {errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV}


def exchange(a: Path, b: Path) -> bool:
    """Put `a` where `b` is and `b` where `a` is, in one step; False (nothing changed) where the
    system cannot (not Linux, glibc before 2.28, a file system without it, e.g. NFS). OSError for
    any other failure, as a rename's."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in _UNSUPPORTED:
        return False
    raise OSError(code, os.strerror(code), str(a), None, str(b))
