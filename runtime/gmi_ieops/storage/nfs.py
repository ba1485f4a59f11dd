"""An NFSv3 client over libnfs: mounts, a small pool of connections, errors as ``OSError``.

Thread safety: a libnfs context must only be used by one thread at a time, so every context
has a lock held for each call. :class:`NFSClient` keeps up to ``max_connections`` mounted
contexts and hands a free one to each operation, so threads run in parallel up to that many;
an open file pins its context and takes its lock per call. Connections are reused across
operations and files. A context whose connection failed is retired and replaced for the next
operation (files already open on it keep it until closed; libnfs reconnects them itself).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import re
import stat as stat_mod
import threading
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from ..config.redact import redact_url
from . import _libnfs

DEFAULT_MAX_CONNECTIONS = 4
_clients: weakref.WeakSet[NFSClient] = weakref.WeakSet()

# Errors after which a context's connection is not trusted for new operations.
_CONNECTION_ERRNOS = {
    errno.EIO,
    errno.EINTR,
    errno.ETIMEDOUT,
    errno.ECONNREFUSED,
    errno.ECONNRESET,
    errno.ECONNABORTED,
    errno.EPIPE,
    errno.ENOTCONN,
    errno.EHOSTUNREACH,
    errno.ENETUNREACH,
}
# libnfs' words for a connection that failed under an RPC (e.g. "Socket failed with POLLHUP").
_SOCKET_FAILED = re.compile(r"socket failed|pollhup|pollerr|connection refused|reset by peer", re.I)
_PASSTHROUGH_OPTIONS = {"uid", "gid", "tcp-syncnt", "readahead", "dircache", "autoreconnect"}


@dataclass(frozen=True)
class NFSAddress:
    """Where the export is: host, export path, and the fixed NFS / MOUNT ports (no portmapper
    when both are given)."""

    host: str
    export: str = "/"
    nfs_port: int | None = None
    mount_port: int | None = None
    options: tuple[tuple[str, str], ...] = ()

    @property
    def url(self) -> str:
        """The libnfs URL (NFSv3)."""
        query: list[tuple[str, str]] = [("version", "3")]
        if self.nfs_port is not None:
            query.append(("nfsport", str(self.nfs_port)))
        if self.mount_port is not None:
            query.append(("mountport", str(self.mount_port)))
        query.extend(self.options)
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"nfs://{host}{quote(self.export)}?{urlencode(query)}"

    def __str__(self) -> str:
        ports = []
        if self.nfs_port is not None:
            ports.append(f"nfsport={self.nfs_port}")
        if self.mount_port is not None:
            ports.append(f"mountport={self.mount_port}")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"nfs://{host}{self.export}" + (f" ({', '.join(ports)})" if ports else "")


def parse_server(text: str) -> NFSAddress:
    """Parse ``IEOPS_NFS_SERVER``.

    Accepted: ``host``, ``host:port`` (NFS and MOUNT both on ``port``, as on the platform's
    gateways), ``host:port/export``, or a libnfs URL ``nfs://host/export?nfsport=N&mountport=M``.
    """
    raw = text.strip()
    if not raw:
        raise ValueError("empty NFS server address")
    shown = redact_url(raw)  # for messages: never the credentials of a URL
    is_url = raw.startswith("nfs://")
    parts = urlsplit(raw if is_url else "nfs://" + raw)
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        raise ValueError(f"bad NFS server address {shown!r}: invalid port") from None
    if not host:
        raise ValueError(f"bad NFS server address {shown!r}: no host")
    export = parts.path or "/"
    nfs_port = mount_port = port
    options: list[tuple[str, str]] = []
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key in ("nfsport", "mountport"):
            if not value.isdigit() or not 0 < int(value) < 65536:
                raise ValueError(f"bad NFS server address {shown!r}: {key}={value!r}")
            if key == "nfsport":
                nfs_port = int(value)
            else:
                mount_port = int(value)
        elif key == "version":
            if value != "3":
                raise ValueError(
                    f"bad NFS server address {shown!r}: only NFSv3 is supported"
                    " (libnfs 4.0's v4 client fails large writes)"
                )
        elif key in _PASSTHROUGH_OPTIONS:
            options.append((key, value))
        else:
            raise ValueError(f"bad NFS server address {shown!r}: unknown option {key!r}")
    return NFSAddress(host, export, nfs_port, mount_port, tuple(options))


def _stat_result(st: _libnfs.NfsStat64) -> os.stat_result:
    ns = (
        st.nfs_atime * 10**9 + st.nfs_atime_nsec,
        st.nfs_mtime * 10**9 + st.nfs_mtime_nsec,
        st.nfs_ctime * 10**9 + st.nfs_ctime_nsec,
    )
    return os.stat_result(
        (
            st.nfs_mode,
            st.nfs_ino,
            st.nfs_dev,
            st.nfs_nlink,
            st.nfs_uid,
            st.nfs_gid,
            st.nfs_size,
            st.nfs_atime,
            st.nfs_mtime,
            st.nfs_ctime,
        ),
        {
            "st_atime": ns[0] / 1e9,
            "st_mtime": ns[1] / 1e9,
            "st_ctime": ns[2] / 1e9,
            "st_atime_ns": ns[0],
            "st_mtime_ns": ns[1],
            "st_ctime_ns": ns[2],
            "st_blksize": st.nfs_blksize,
            "st_blocks": st.nfs_blocks,
        },
    )


_TYPE_BITS = {
    _libnfs.NF3REG: stat_mod.S_IFREG,
    _libnfs.NF3DIR: stat_mod.S_IFDIR,
    _libnfs.NF3LNK: stat_mod.S_IFLNK,
}


class Connection:
    """One mounted libnfs context and the lock that serialises calls on it."""

    def __init__(self, client: NFSClient) -> None:
        self.client = client
        self.lib = _libnfs.load()
        self.lock = threading.Lock()
        self.retired = False
        self.broken = False
        self.pins = 0
        self._ctx: int | None = None
        ctx = self.lib.nfs_init_context()
        if not ctx:
            raise OSError(errno.ENOMEM, f"libnfs could not create a context for {client.address}")
        try:
            self.lib.nfs_set_timeout(ctx, client.timeout_ms)
            # No directory cache: other clients rename over names (atomic writes, locks), and
            # a cached handle would then be stale (ESTALE) or, worse, the old file.
            self.lib.nfs_set_dircache(ctx, 0)
            url = self.lib.nfs_parse_url_dir(ctx, client.address.url.encode())
            if not url:
                raise ValueError(f"libnfs rejected {client.address}: {self._message(ctx)}")
            try:
                rc = self.lib.nfs_mount(ctx, url.contents.server, url.contents.path)
            finally:
                self.lib.nfs_destroy_url(url)
            if rc < 0:
                code = errno.ETIMEDOUT if -rc == errno.EINTR else -rc
                message = self._message(ctx)
                if "nfs_service failed" in message:
                    message += " (no connection: is the server up, are host and ports right?)"
                raise OSError(
                    code,
                    f"cannot mount {client.address}: {message}"
                    f" ({os.strerror(code)}; timeout {client.timeout_ms} ms)",
                )
        except BaseException:
            self.lib.nfs_destroy_context(ctx)
            raise
        self._ctx = ctx

    @staticmethod
    def _message(ctx: int) -> str:
        raw = _libnfs.load().nfs_get_error(ctx)
        return raw.decode("utf-8", "replace") if raw else "unknown error"

    @property
    def ctx(self) -> int:
        if self._ctx is None:
            raise OSError(errno.EBADF, f"connection to {self.client.address} is closed")
        return self._ctx

    def check(self, rc: int, what: str, path: str | None = None, path2: str | None = None) -> int:
        """Turn a negative libnfs return into an ``OSError`` (called with the lock held)."""
        if rc >= 0:
            return rc
        code = -rc
        message = self._message(self.ctx)
        if code == errno.EFAULT:  # libnfs 4.0's (garbled) report of NFS3ERR_STALE on a handle
            code = errno.ESTALE
            message = "stale file handle: the file was removed or replaced by another client"
        elif code == errno.EINTR:  # libnfs reports an RPC that passed nfs_set_timeout as EINTR
            if _SOCKET_FAILED.search(message):
                # The server went away (killed, restarted, refused the reconnect): libnfs
                # retried until the timeout, but this is a dead server, not a slow one.
                code = errno.EIO
                message = f"{message}; the server is down or dropped the connection"
            else:
                code = errno.ETIMEDOUT
                message = f"{message}; no answer within {self.client.timeout_ms} ms"
        if code in _CONNECTION_ERRNOS:
            self.broken = True
            self.client.unreachable = True
        text = f"{what}: {message} [{self.client.address}]"
        if path2 is not None:
            raise OSError(code, text, path, None, path2)
        raise OSError(code, text, path)

    def destroy(self) -> None:
        if self._ctx is not None:
            self.lib.nfs_destroy_context(self._ctx)
            self._ctx = None

    # -- calls; each takes the lock ------------------------------------------------------

    def _stat(self, fn: Any, path: str) -> os.stat_result:
        st = _libnfs.NfsStat64()
        with self.lock:
            self.check(fn(self.ctx, os.fsencode(path), ctypes.byref(st)), "stat", path)
        return _stat_result(st)

    def stat(self, path: str) -> os.stat_result:
        return self._stat(self.lib.nfs_stat64, path)

    def lstat(self, path: str) -> os.stat_result:
        return self._stat(self.lib.nfs_lstat64, path)

    def mkdir(self, path: str, mode: int) -> None:
        with self.lock:
            rc = self.lib.nfs_mkdir2(self.ctx, os.fsencode(path), mode)
            if rc == -errno.EINVAL or rc == -errno.EEXIST:
                # Ganesha answers MKDIR of an existing name with INVAL on some paths.
                st = _libnfs.NfsStat64()
                if self.lib.nfs_lstat64(self.ctx, os.fsencode(path), ctypes.byref(st)) == 0:
                    raise FileExistsError(
                        errno.EEXIST, f"mkdir: exists [{self.client.address}]", path
                    )
            self.check(rc, "mkdir", path)

    def rmdir(self, path: str) -> None:
        with self.lock:
            self.check(self.lib.nfs_rmdir(self.ctx, os.fsencode(path)), "rmdir", path)

    def unlink(self, path: str) -> None:
        with self.lock:
            self.check(self.lib.nfs_unlink(self.ctx, os.fsencode(path)), "remove", path)

    def rename(self, src: str, dst: str) -> None:
        with self.lock:
            rc = self.lib.nfs_rename(self.ctx, os.fsencode(src), os.fsencode(dst))
            self.check(rc, "rename", src, dst)

    def link(self, src: str, dst: str) -> None:
        with self.lock:
            rc = self.lib.nfs_link(self.ctx, os.fsencode(src), os.fsencode(dst))
            self.check(rc, "link", src, dst)

    def symlink(self, target: str, path: str) -> None:
        with self.lock:
            rc = self.lib.nfs_symlink(self.ctx, os.fsencode(target), os.fsencode(path))
            self.check(rc, "symlink", path)

    def readlink(self, path: str) -> str:
        buf = ctypes.create_string_buffer(4097)
        with self.lock:
            self.check(self.lib.nfs_readlink(self.ctx, os.fsencode(path), buf, 4096), "readlink")
        return os.fsdecode(buf.value)

    def listdir(self, path: str) -> list[tuple[str, int, int, int]]:
        """(name, mode with type bits, size, mtime_ns) of each entry but ``.`` and ``..``."""
        handle = ctypes.c_void_p()
        out: list[tuple[str, int, int, int]] = []
        with self.lock:
            rc = self.lib.nfs_opendir(self.ctx, os.fsencode(path), ctypes.byref(handle))
            self.check(rc, "listdir", path)
            try:
                while True:
                    entry = self.lib.nfs_readdir(self.ctx, handle)
                    if not entry:
                        break
                    e = entry.contents
                    name = os.fsdecode(e.name or b"")
                    if name in (".", ".."):
                        continue
                    mode = (e.mode & 0o7777) | _TYPE_BITS.get(e.type, 0)
                    mtime = e.mtime.tv_sec * 10**9 + e.mtime_nsec
                    out.append((name, mode, e.size, mtime))
            finally:
                self.lib.nfs_closedir(self.ctx, handle)
        return out

    def open(self, path: str, flags: int, mode: int = 0o644) -> int:
        """A libnfs file handle; ``flags`` with ``O_CREAT`` creates (``O_EXCL`` honoured)."""
        fh = ctypes.c_void_p()
        with self.lock:
            if flags & os.O_CREAT:
                rc = self.lib.nfs_create(
                    self.ctx, os.fsencode(path), flags & ~os.O_CREAT, mode, ctypes.byref(fh)
                )
            else:
                rc = self.lib.nfs_open(self.ctx, os.fsencode(path), flags, ctypes.byref(fh))
            self.check(rc, "open", path)
        assert fh.value is not None
        return fh.value

    def close(self, fh: int, path: str) -> None:
        if self.broken:
            # nfs_close would first flush (COMMIT) and wait out the timeout once more on a
            # dead connection; the handle's memory goes with the context when it is retired.
            return
        with self.lock:
            self.check(self.lib.nfs_close(self.ctx, fh), "close", path)

    def pread_into(self, fh: int, offset: int, address: int, count: int, path: str) -> int:
        with self.lock:
            return self.check(
                self.lib.nfs_pread(self.ctx, fh, offset, count, address), "read", path
            )

    def pwrite(self, fh: int, offset: int, address: int | bytes, count: int, path: str) -> int:
        with self.lock:
            rc = self.lib.nfs_pwrite(self.ctx, fh, offset, count, address)
            return self.check(rc, "write", path)

    def fsync(self, fh: int, path: str) -> None:
        with self.lock:
            self.check(self.lib.nfs_fsync(self.ctx, fh), "fsync", path)

    def fstat(self, fh: int, path: str) -> os.stat_result:
        st = _libnfs.NfsStat64()
        with self.lock:
            self.check(self.lib.nfs_fstat64(self.ctx, fh, ctypes.byref(st)), "fstat", path)
        return _stat_result(st)


class NFSClient:
    """Mounted connections to one export, shared by threads (see the module docstring)."""

    def __init__(
        self,
        address: NFSAddress,
        *,
        timeout_ms: int,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
    ) -> None:
        if timeout_ms <= 0:
            raise ValueError("timeout_ms must be positive: libnfs would otherwise wait forever")
        self.address = address
        self.timeout_ms = timeout_ms
        self.max_connections = max(1, max_connections)
        self._lock = threading.Condition()
        self._pool: list[Connection] = []
        self._busy: set[int] = set()
        self._creating = 0
        self._closed = False
        self.unreachable = False
        """Set by a connection error, cleared by the next successful mount: while set, a
        failed writer leaves its temporary file to the sweep instead of waiting again."""
        _clients.add(self)

    def _forget_after_fork(self) -> None:
        """In a forked child the parent's sockets are shared: start over with none (the
        contexts are leaked on purpose; destroying them would close the parent's streams)."""
        self._lock = threading.Condition()
        self._pool = []
        self._busy = set()
        self._creating = 0

    def _take(self) -> Connection:
        with self._lock:
            while True:
                if self._closed:
                    raise OSError(errno.EBADF, f"NFS client for {self.address} is closed")
                for conn in self._pool:
                    if id(conn) not in self._busy:
                        if conn.broken:
                            self._retire_locked(conn)
                            break
                        self._busy.add(id(conn))
                        return conn
                else:
                    if len(self._pool) + self._creating < self.max_connections:
                        self._creating += 1
                        break
                    self._lock.wait()
        try:
            conn = Connection(self)
        except BaseException:
            with self._lock:
                self._creating -= 1
                self._lock.notify()
            raise
        with self._lock:
            self._creating -= 1
            self._pool.append(conn)
            self._busy.add(id(conn))
            self.unreachable = False
        return conn

    def _give(self, conn: Connection) -> None:
        with self._lock:
            self._busy.discard(id(conn))
            if conn.broken and conn in self._pool:
                self._retire_locked(conn)
            elif conn.retired and conn.pins == 0:
                conn.destroy()
            self._lock.notify()

    def _retire_locked(self, conn: Connection) -> None:
        self._pool.remove(conn)
        conn.retired = True
        if conn.pins == 0 and id(conn) not in self._busy:
            conn.destroy()

    @contextlib.contextmanager
    def connection(self) -> Iterator[Connection]:
        """A connection for one operation."""
        conn = self._take()
        try:
            yield conn
        finally:
            self._give(conn)

    def pin(self) -> Connection:
        """A connection for an open file, released by :meth:`unpin`; shared with others."""
        with self.connection() as conn, self._lock:
            conn.pins += 1
            return conn

    def unpin(self, conn: Connection) -> None:
        with self._lock:
            conn.pins -= 1
            if conn.pins == 0 and (conn.retired or self._closed):
                conn.destroy()

    def close(self) -> None:
        """Unmount every idle connection; pinned ones go when their files close."""
        with self._lock:
            self._closed = True
            for conn in self._pool:
                conn.retired = True
                if conn.pins == 0 and id(conn) not in self._busy:
                    conn.destroy()
            self._pool.clear()
            self._lock.notify_all()


def _after_fork_in_child() -> None:
    for client in list(_clients):
        client._forget_after_fork()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
