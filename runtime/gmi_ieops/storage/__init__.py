"""``gmifs://`` storage: the user's space on the platform's NFS export, or a local directory.

Importing this package loads no C library, opens no connection and touches no file; it does
divert ``open()`` for ``gmifs://`` strings (and nothing else) to :class:`FileSystem`, as the
seed did on import of ``gmi_ieops.handler``. See docs/storage.md.
"""

from __future__ import annotations

import sys

from ._libnfs import LibnfsNotFoundError
from .filesystem import DirEntry, FileSystem, default_local_root
from .intercept import (
    default_filesystem,
    disable_nfs_intercept,
    enable_nfs_intercept,
    nfs_intercept_enabled,
)
from .lock import FileLock
from .nfs import NFSAddress, NFSClient, parse_server
from .paths import GMIFS_PROTOCOL


def register_fsspec() -> None:
    """Register the ``gmifs`` fsspec protocol (needs the ``fsspec`` extra)."""
    from .fsspec_gmifs import register

    register()


enable_nfs_intercept()
if "fsspec" in sys.modules:  # otherwise the distribution's fsspec.specs entry point does it
    register_fsspec()

__all__ = [
    "GMIFS_PROTOCOL",
    "DirEntry",
    "FileLock",
    "FileSystem",
    "LibnfsNotFoundError",
    "NFSAddress",
    "NFSClient",
    "default_filesystem",
    "default_local_root",
    "disable_nfs_intercept",
    "enable_nfs_intercept",
    "nfs_intercept_enabled",
    "parse_server",
    "register_fsspec",
]
