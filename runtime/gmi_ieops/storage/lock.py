"""Advisory locks on exclusive create (libnfs 4.0 has no NFSv3 byte-range locks).

The lock is a small file, created with ``O_CREAT | O_EXCL`` (atomic on NFSv3 and locally),
holding JSON ``{"owner", "token", "expires"}``. A holder that crashed leaves the file; once
``expires`` (the holder's wall clock, plus ``expiry`` seconds) has passed, a waiter breaks
it. Breaking is itself serialised by a second exclusive file (``.break``) and re-checks the
token under it, so a fresh lock is never removed by a late breaker. Clocks of the hosts
sharing a lock are assumed to agree to well within ``expiry`` (NTP).
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import secrets
import socket
import stat as stat_mod
import threading
import time
from types import TracebackType
from typing import Any, Protocol

from .backend import Backend


class Storage(Protocol):
    """What a lock needs of the storage it lives on (a :class:`FileSystem` is one)."""

    backend: Backend

    def backend_path(self, path: str, *, follow_last: bool = True) -> tuple[str, bool]: ...

    def ensure_root(self) -> None: ...


BREAK_EXPIRY = 30.0
_log = logging.getLogger(__name__)  # under "gmi_ieops", configured by gmi_ieops.utils.log
_GONE = (errno.ENOENT, errno.ESTALE)


class FileLock:
    """A lock shared by every process that sees the same storage; a context manager.

    ``timeout``: seconds to wait (None: forever) before ``TimeoutError`` naming the holder;
    ``expiry``: seconds after which a holder that did not release (or :meth:`refresh`) is
    considered crashed; ``owner``: a label recorded for others to see.
    """

    def __init__(
        self,
        fs: Storage,
        path: str,
        *,
        timeout: float | None = 60.0,
        expiry: float = 300.0,
        owner: str | None = None,
        poll: float = 0.05,
    ) -> None:
        if expiry <= 0:
            raise ValueError("lock expiry must be positive")
        self.fs = fs
        self.path = path
        self.timeout = timeout
        self.expiry = expiry
        self.poll = poll
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"
        self._token: str | None = None

    @property
    def locked(self) -> bool:
        """Whether this object holds the lock (as far as it knows)."""
        return self._token is not None

    def _target(self, path: str) -> str:
        target, _ = self.fs.backend_path(path, follow_last=False)
        return target

    def _create(self, path: str, info: dict[str, Any]) -> bool:
        data = json.dumps(info).encode()
        try:
            handle = self.fs.backend.open(self._target(path), os.O_WRONLY | os.O_CREAT | os.O_EXCL)
        except FileExistsError:
            return False
        try:
            handle.pwrite(memoryview(bytearray(data)), 0)
            handle.fsync()
        finally:
            handle.close()
        return True

    def _read(self, path: str) -> dict[str, Any] | None:
        """The holder's record; None when the lock is free. A record still being written (or
        garbage) is dated by the file's mtime."""
        target = self._target(path)
        try:
            handle = self.fs.backend.open(target, os.O_RDONLY)
            try:
                buf = bytearray(4096)
                n = handle.preadinto(memoryview(buf), 0)
            finally:
                with contextlib.suppress(OSError):
                    handle.close()
        except OSError as exc:
            if exc.errno in _GONE:  # released (or replaced) while we looked: free now
                return None
            raise
        try:
            info = json.loads(bytes(buf[:n]))
            if isinstance(info, dict) and isinstance(info.get("expires"), (int, float)):
                return info
        except ValueError:
            pass
        try:
            st = self.fs.backend.lstat(target)
        except OSError as exc:
            if exc.errno in _GONE:
                return None
            raise
        if not stat_mod.S_ISREG(st.st_mode):
            return {"owner": "?", "token": None, "expires": float("inf")}
        return {"owner": "?", "token": None, "expires": st.st_mtime + self.expiry}

    def holder(self) -> dict[str, Any] | None:
        """The current holder's record (``owner``, ``expires``), or None when free."""
        return self._read(self.path)

    def acquire(self) -> FileLock:
        if self._token is not None:
            raise RuntimeError(f"lock {self.path!r} is already held by this object")
        self.fs.ensure_root()
        deadline = None if self.timeout is None else time.monotonic() + self.timeout
        while True:
            token = secrets.token_hex(8)
            info = {"owner": self.owner, "token": token, "expires": time.time() + self.expiry}
            if self._create(self.path, info):
                self._token = token
                return self
            held = self._read(self.path)
            if held is not None and held["expires"] < time.time():
                self._break(held)
                continue
            if deadline is not None and time.monotonic() >= deadline:
                who = held["owner"] if held else "?"
                raise TimeoutError(
                    errno.ETIMEDOUT,
                    f"gmifs: lock {self.path!r} still held by {who!r} after {self.timeout} s",
                )
            time.sleep(self.poll)

    def _break(self, stale: dict[str, Any]) -> None:
        breaker = self.path + ".break"
        info = {
            "owner": self.owner,
            "token": secrets.token_hex(8),
            "expires": time.time() + BREAK_EXPIRY,
        }
        if not self._create(breaker, info):
            held = self._read(breaker)
            if held is not None and held["expires"] < time.time():
                with contextlib.suppress(FileNotFoundError):
                    self.fs.backend.unlink(self._target(breaker))
            else:
                time.sleep(self.poll)
            return
        try:
            now = self._read(self.path)
            if now is not None and now.get("token") == stale.get("token"):
                with contextlib.suppress(FileNotFoundError):
                    self.fs.backend.unlink(self._target(self.path))
                _log.warning(
                    "gmifs: broke the expired lock %r of %r", self.path, stale.get("owner")
                )
        finally:
            with contextlib.suppress(FileNotFoundError):
                self.fs.backend.unlink(self._target(breaker))

    def refresh(self) -> None:
        """Push the expiry ``expiry`` seconds ahead (for holders working longer than that)."""
        if self._token is None:
            raise RuntimeError(f"lock {self.path!r} is not held")
        info = {"owner": self.owner, "token": self._token, "expires": time.time() + self.expiry}
        data = json.dumps(info).encode()
        handle = self.fs.backend.open(self._target(self.path), os.O_WRONLY | os.O_TRUNC)
        try:
            handle.pwrite(memoryview(bytearray(data)), 0)
            handle.fsync()
        finally:
            handle.close()

    def release(self) -> None:
        token, self._token = self._token, None
        if token is None:
            return
        held = self._read(self.path)
        if held is None or held.get("token") != token:
            _log.warning(
                "gmifs: lock %r expired and was taken over before release by %r",
                self.path,
                self.owner,
            )
            return
        with contextlib.suppress(FileNotFoundError):
            self.fs.backend.unlink(self._target(self.path))

    def __enter__(self) -> FileLock:
        return self.acquire()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
