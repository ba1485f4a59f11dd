"""The two places ``gmifs://`` can live: an NFS export (libnfs) or a local directory.

A backend knows nothing of users or security: it takes absolute POSIX paths in its own
namespace (``/`` is the export root, or the local root directory) that :mod:`.paths` has
already checked. Everything above it (mapping, traversal refusal, atomic writes, locks) is
shared by both, in :mod:`.filesystem`.
"""

from __future__ import annotations

import ctypes
import errno
import os
import stat as stat_mod
from dataclasses import dataclass
from typing import Any, Protocol, cast

from .nfs import Connection, NFSAddress, NFSClient


@dataclass(frozen=True)
class Entry:
    """One directory entry as the listing gave it."""

    name: str
    mode: int
    size: int
    mtime_ns: int


class Handle(Protocol):
    """An open file of a backend, positioned by the caller (pread / pwrite)."""

    def preadinto(self, view: memoryview, offset: int) -> int: ...
    def pwrite(self, view: memoryview, offset: int) -> int: ...
    def fsync(self) -> None: ...
    def size(self) -> int: ...
    def close(self) -> None: ...
    @property
    def broken(self) -> bool:
        """The server is unreachable since an error: clean-up calls would only wait."""
        ...


class Backend(Protocol):
    """Primitive file operations; errors are ``OSError`` with errno and a message."""

    description: str

    def stat(self, path: str) -> os.stat_result: ...
    def lstat(self, path: str) -> os.stat_result: ...
    def readlink(self, path: str) -> str: ...
    def absolute_link(self, target: str) -> str | None: ...
    def mkdir(self, path: str, mode: int) -> None: ...
    def rmdir(self, path: str) -> None: ...
    def unlink(self, path: str) -> None: ...
    def rename(self, src: str, dst: str) -> None: ...
    def link(self, src: str, dst: str) -> None: ...
    def listdir(self, path: str) -> list[Entry]: ...
    def open(self, path: str, flags: int, mode: int = 0o666) -> Handle: ...
    def prepare(self) -> None: ...
    def close(self) -> None: ...


# -- local directory --------------------------------------------------------------------


class _LocalHandle:
    def __init__(self, fd: int) -> None:
        self.fd = fd

    def preadinto(self, view: memoryview, offset: int) -> int:
        return os.preadv(self.fd, [view], offset)

    def pwrite(self, view: memoryview, offset: int) -> int:
        return os.pwrite(self.fd, view, offset)

    def fsync(self) -> None:
        os.fsync(self.fd)

    def size(self) -> int:
        return os.fstat(self.fd).st_size

    def close(self) -> None:
        os.close(self.fd)

    @property
    def broken(self) -> bool:
        return False


class LocalBackend:
    """``gmifs://`` in a local directory (the embedded default for development)."""

    def __init__(self, root: str) -> None:
        self.root = os.path.abspath(root)
        self.description = f"local directory {self.root}"

    def _real(self, path: str) -> str:
        return self.root + path if path != "/" else self.root

    def stat(self, path: str) -> os.stat_result:
        return os.stat(self._real(path))

    def lstat(self, path: str) -> os.stat_result:
        return os.lstat(self._real(path))

    def readlink(self, path: str) -> str:
        return os.readlink(self._real(path))

    def absolute_link(self, target: str) -> str | None:
        real_root = os.path.realpath(self.root)
        for base in {self.root, real_root}:
            if target == base:
                return "/"
            if target.startswith(base + "/"):
                return target[len(base) :]
        return None

    def mkdir(self, path: str, mode: int) -> None:
        os.mkdir(self._real(path), mode)

    def rmdir(self, path: str) -> None:
        os.rmdir(self._real(path))

    def unlink(self, path: str) -> None:
        real = self._real(path)
        if stat_mod.S_ISDIR(os.lstat(real).st_mode):
            raise IsADirectoryError(21, "Is a directory", path)
        os.unlink(real)

    def rename(self, src: str, dst: str) -> None:
        os.rename(self._real(src), self._real(dst))

    def link(self, src: str, dst: str) -> None:
        os.link(self._real(src), self._real(dst), follow_symlinks=False)

    def listdir(self, path: str) -> list[Entry]:
        out = []
        with os.scandir(self._real(path)) as it:
            for e in it:
                try:
                    st = e.stat(follow_symlinks=False)
                except FileNotFoundError:
                    continue
                out.append(Entry(e.name, st.st_mode, st.st_size, st.st_mtime_ns))
        return out

    def open(self, path: str, flags: int, mode: int = 0o666) -> Handle:
        return _LocalHandle(os.open(self._real(path), flags | os.O_NOFOLLOW | os.O_CLOEXEC, mode))

    def prepare(self) -> None:
        """Create the local root on first write (never at import or construction)."""
        os.makedirs(self.root, exist_ok=True)

    def close(self) -> None:
        pass


# -- NFS --------------------------------------------------------------------------------


def _address_of(view: memoryview) -> tuple[int | bytes, memoryview | bytes]:
    """A pointer to the bytes of ``view`` for libnfs, without copying when possible.

    Returns (address or bytes object, the object that must stay alive during the call).
    """
    if not view.readonly:
        return ctypes.addressof(ctypes.c_char.from_buffer(view)), view
    data = view.tobytes()  # read-only buffers other than bytes: one copy of this chunk
    return data, data


class _NFSHandle:
    def __init__(self, client: NFSClient, conn: Connection, fh: int, path: str) -> None:
        self.client = client
        self.conn = conn
        self.fh = fh
        self.path = path

    def preadinto(self, view: memoryview, offset: int) -> int:
        address = ctypes.addressof(ctypes.c_char.from_buffer(view))
        return self.conn.pread_into(self.fh, offset, address, len(view), self.path)

    def pwrite(self, view: memoryview, offset: int) -> int:
        pointer, _keep = _address_of(view)
        return self.conn.pwrite(self.fh, offset, pointer, len(view), self.path)

    def pwrite_bytes(self, data: bytes, start: int, count: int, offset: int) -> int:
        """Write ``data[start:start+count]`` with no copy (bytes objects are immutable)."""
        base = ctypes.cast(ctypes.c_char_p(data), ctypes.c_void_p).value
        assert base is not None
        return self.conn.pwrite(self.fh, offset, base + start, count, self.path)

    def fsync(self) -> None:
        self.conn.fsync(self.fh, self.path)

    def size(self) -> int:
        return self.conn.fstat(self.fh, self.path).st_size

    def close(self) -> None:
        try:
            self.conn.close(self.fh, self.path)  # no call at all on a broken connection
        finally:
            self.client.unpin(self.conn)

    @property
    def broken(self) -> bool:
        return self.conn.broken or self.client.unreachable


class NFSBackend:
    """``gmifs://`` on an NFSv3 export through libnfs."""

    def __init__(self, address: NFSAddress, *, timeout_ms: int, max_connections: int) -> None:
        self.client = NFSClient(address, timeout_ms=timeout_ms, max_connections=max_connections)
        self.description = str(address)

    def stat(self, path: str) -> os.stat_result:
        return cast(os.stat_result, self._call("stat", path))

    def lstat(self, path: str) -> os.stat_result:
        return cast(os.stat_result, self._call("lstat", path))

    def readlink(self, path: str) -> str:
        return cast(str, self._call("readlink", path))

    def _call(self, name: str, *args: Any) -> Any:
        """One operation by path; a stale handle (the name was replaced by another client
        between LOOKUP and the call) is retried with a fresh lookup, as kernel clients do."""
        for attempt in range(3):
            with self.client.connection() as c:
                try:
                    return getattr(c, name)(*args)
                except OSError as exc:
                    if exc.errno != errno.ESTALE or attempt == 2:
                        raise
        raise AssertionError("unreachable")

    def absolute_link(self, target: str) -> str | None:
        return None  # server-absolute: we cannot tell where it points, so never inside

    def mkdir(self, path: str, mode: int) -> None:
        self._call("mkdir", path, mode)

    def rmdir(self, path: str) -> None:
        self._call("rmdir", path)

    def unlink(self, path: str) -> None:
        self._call("unlink", path)

    def rename(self, src: str, dst: str) -> None:
        self._call("rename", src, dst)

    def link(self, src: str, dst: str) -> None:
        self._call("link", src, dst)

    def symlink(self, target: str, path: str) -> None:
        self._call("symlink", target, path)

    def listdir(self, path: str) -> list[Entry]:
        with self.client.connection() as c:
            return [Entry(*row) for row in c.listdir(path)]

    def open(self, path: str, flags: int, mode: int = 0o666) -> Handle:
        conn = self.client.pin()
        try:
            for attempt in range(3):
                try:
                    fh = conn.open(path, flags, mode)
                    break
                except OSError as exc:
                    if exc.errno != errno.ESTALE or attempt == 2:
                        raise
        except BaseException:
            self.client.unpin(conn)
            raise
        return _NFSHandle(self.client, conn, fh, path)

    def prepare(self) -> None:
        pass

    def close(self) -> None:
        self.client.close()
