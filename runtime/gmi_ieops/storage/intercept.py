"""``open("gmifs://…")``: a thin wrapper over ``builtins.open`` that only diverts ``gmifs://``.

Any other argument goes straight to the real ``open`` (one ``isinstance`` and one
``startswith`` more per call). The ``FileSystem`` used is built from
``gmi_ieops.config.env.storage`` as it is at the time of each call (one per distinct
configuration, kept so connections are reused).
"""

from __future__ import annotations

import builtins
import threading
from typing import IO, TYPE_CHECKING, Any

from ..config import env
from .protocol import GMIFS_PROTOCOL

if TYPE_CHECKING:
    from .filesystem import FileSystem

_real_open = builtins.open
_lock = threading.Lock()
_filesystems: dict[tuple[Any, ...], FileSystem] = {}


def default_filesystem() -> FileSystem:
    """The ``FileSystem`` of the current ``IEOPS_*`` storage configuration."""
    cfg = env.storage
    key = (
        cfg.nfs_server,
        cfg.local_root,
        cfg.pid,
        cfg.fs_name,
        cfg.oid,
        cfg.uid,
        cfg.read_chunk_size,
        cfg.write_chunk_size,
        cfg.timeout,
    )
    fs = _filesystems.get(key)
    if fs is None:
        with _lock:
            fs = _filesystems.get(key)
            if fs is None:
                # Imported on the first gmifs:// use, not with the wrapper: the import of
                # gmi_ieops.handler (which installs it) stays cheap.
                from .filesystem import FileSystem

                fs = _filesystems[key] = FileSystem()
    return fs


def _open(file: Any, *args: Any, **kwargs: Any) -> IO[Any]:
    if type(file) is str and file.startswith(GMIFS_PROTOCOL):
        return _gmifs_open(file, *args, **kwargs)
    return _real_open(file, *args, **kwargs)  # type: ignore[no-any-return]


def _gmifs_open(
    file: str,
    mode: str = "r",
    buffering: int = -1,
    encoding: str | None = None,
    errors: str | None = None,
    newline: str | None = None,
    closefd: bool = True,
    opener: Any = None,
) -> IO[Any]:
    if not closefd or opener is not None:
        raise ValueError("gmifs:// files take no closefd or opener")
    return default_filesystem().open(file, mode, buffering, encoding, errors, newline)


_open.__doc__ = _real_open.__doc__
_open.__wrapped__ = _real_open  # type: ignore[attr-defined]


def enable_nfs_intercept() -> None:
    """Make the built-in ``open`` accept ``gmifs://`` paths (idempotent)."""
    builtins.open = _open  # type: ignore[assignment]


def disable_nfs_intercept() -> None:
    """Give ``builtins.open`` back the function it had before (if still ours)."""
    if builtins.open is _open:
        builtins.open = _real_open


def nfs_intercept_enabled() -> bool:
    return builtins.open is _open
