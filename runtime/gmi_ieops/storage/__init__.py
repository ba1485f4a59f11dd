"""``gmifs://`` storage: the user's space on the platform's NFS export, or a local directory.

Importing this package loads no C library, opens no connection and touches no file; it does
divert ``open()`` for ``gmifs://`` strings (and nothing else) to :class:`FileSystem`, as the
seed did on import of ``gmi_ieops.handler``. See docs/storage.md.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from .. import _lazy
from .intercept import (
    default_filesystem,
    disable_nfs_intercept,
    enable_nfs_intercept,
    nfs_intercept_enabled,
)
from .protocol import GMIFS_PROTOCOL

if TYPE_CHECKING:
    from ._libnfs import LibnfsNotFoundError
    from .filesystem import DirEntry, FileSystem, default_local_root
    from .lock import FileLock
    from .nfs import NFSAddress, NFSClient, parse_server

# Imported on first access (PEP 562): ``import gmi_ieops.handler`` installs the open()
# wrapper through this package and should not pay for the file system's modules.
_LAZY = {
    "LibnfsNotFoundError": "._libnfs",
    "DirEntry": ".filesystem",
    "FileSystem": ".filesystem",
    "default_local_root": ".filesystem",
    "FileLock": ".lock",
    "NFSAddress": ".nfs",
    "NFSClient": ".nfs",
    "parse_server": ".nfs",
}


if not TYPE_CHECKING:  # the type checker reads the imports above, and flags a typo
    __getattr__, __dir__ = _lazy.exports(__name__, _LAZY)


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
