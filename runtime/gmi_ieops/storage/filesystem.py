"""``FileSystem``: the user's space ``/{pid}/{fs_name}/{oid}/{uid}/…`` on NFS or a local dir."""

from __future__ import annotations

import contextlib
import errno
import io
import os
import secrets
import stat as stat_mod
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any, cast

from ..config import env as default_env
from ..config.groups import MAX_NFS_CHUNK
from . import paths
from .backend import Backend, LocalBackend, NFSBackend
from .files import AtomicWriter, RawReader, text_mode
from .lock import FileLock
from .nfs import DEFAULT_MAX_CONNECTIONS, parse_server

TEMP_SUFFIX = ".gmifs-tmp"
_MAX_SWEPT_DIRS = 10_000  # directories remembered as swept (then forgotten all at once)
_MODES = {"r", "w", "x", "a"}
# What "does not exist" means for exists/isfile/isdir; refusals and I/O errors still raise.
_ABSENT = (FileNotFoundError, NotADirectoryError)


def default_local_root() -> str:
    """Where the embedded default keeps files when ``IEOPS_STORAGE_LOCAL_ROOT`` is empty:
    ``$XDG_DATA_HOME/gmi-ieops/gmifs``, else ``~/.local/share/gmi-ieops/gmifs``."""
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(
        os.path.expanduser("~"), ".local", "share"
    )
    return os.path.join(base, "gmi-ieops", "gmifs")


def _chunk(value: int) -> int:
    if value <= 0:
        raise ValueError(f"chunk size must be positive, got {value}")
    return min(value, MAX_NFS_CHUNK)


@dataclass(frozen=True)
class DirEntry:
    """An entry of :meth:`FileSystem.scandir` (the subset of ``os.DirEntry`` that applies)."""

    name: str
    path: str
    _mode: int
    _size: int
    _mtime_ns: int

    def is_dir(self) -> bool:
        return stat_mod.S_ISDIR(self._mode)

    def is_file(self) -> bool:
        return stat_mod.S_ISREG(self._mode)

    def is_symlink(self) -> bool:
        return stat_mod.S_ISLNK(self._mode)

    @property
    def size(self) -> int:
        return self._size

    @property
    def mtime_ns(self) -> int:
        return self._mtime_ns


class FileSystem:
    """The user's isolated file space; every path is relative to the user root.

    Arguments left as None come from ``gmi_ieops.config.env.storage`` when the object is made.
    ``server=""`` (or an empty ``IEOPS_NFS_SERVER``) uses the local directory ``local_root``.
    ``server`` takes what ``IEOPS_NFS_SERVER`` takes (``host``, ``host:port``, or
    ``nfs://host/export?nfsport=N&mountport=M``); ``port`` / ``mount_port`` override its ports
    (``port`` alone serves both NFS and MOUNT). Safe to share between threads.
    """

    def __init__(
        self,
        server: str | None = None,
        port: int | None = None,
        *,
        mount_port: int | None = None,
        export: str | None = None,
        local_root: str | None = None,
        pid: str | None = None,
        fs_name: str | None = None,
        oid: str | None = None,
        uid: str | None = None,
        timeout_ms: int | None = None,
        read_chunk_size: int | None = None,
        write_chunk_size: int | None = None,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        temp_max_age: float | None = None,
    ) -> None:
        cfg = default_env.storage
        ids = {
            "IEOPS_STORAGE_PID": cfg.pid if pid is None else pid,
            "IEOPS_STORAGE_FS_NAME": cfg.fs_name if fs_name is None else fs_name,
            "IEOPS_STORAGE_OID": cfg.oid if oid is None else oid,
            "IEOPS_STORAGE_UID": cfg.uid if uid is None else uid,
        }
        for name, value in ids.items():
            paths.check_env_id(name, value)
        self.root = "/" + "/".join(ids.values())
        self.read_chunk_size = _chunk(
            cfg.read_chunk_size if read_chunk_size is None else read_chunk_size
        )
        self.write_chunk_size = _chunk(
            cfg.write_chunk_size if write_chunk_size is None else write_chunk_size
        )
        self.timeout_ms = cfg.timeout if timeout_ms is None else timeout_ms
        self.temp_max_age = cfg.temp_max_age if temp_max_age is None else temp_max_age
        if self.temp_max_age < 0:
            raise ValueError(f"temp_max_age must be >= 0 seconds, got {self.temp_max_age}")
        self._swept: dict[str, float] = {}  # directory -> time.monotonic() of its last sweep
        spec = cfg.nfs_server if server is None else server
        self.backend: Backend
        if spec:
            address = parse_server(spec)
            changes: dict[str, Any] = {}
            if port is not None:
                changes.update(nfs_port=port, mount_port=port)
            if mount_port is not None:
                changes["mount_port"] = mount_port
            if export is not None:
                changes["export"] = export
            if changes:
                address = type(address)(**{**address.__dict__, **changes})
            self.backend = NFSBackend(
                address, timeout_ms=self.timeout_ms, max_connections=max_connections
            )
        else:
            root = local_root if local_root is not None else cfg.local_root
            self.backend = LocalBackend(root or default_local_root())
        self._root_ready = False
        self._root_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<FileSystem {self.backend.description} root={self.root}>"

    # -- paths -----------------------------------------------------------------------------

    def backend_path(
        self, path: str | os.PathLike[str], *, follow_last: bool = True
    ) -> tuple[str, bool]:
        """The backend's path for a user path inside the root, and whether it exists;
        traversal out of the root is refused before any I/O."""
        parts = paths.user_parts(path)  # refuses traversal before any I/O
        return paths.resolve(self.backend, self.root, parts, follow_last=follow_last)

    def ensure_root(self) -> None:
        """Create the root folder (and its parents) on first use."""
        if self._root_ready:
            return
        with self._root_lock:
            self.backend.prepare()
            current = ""
            for segment in self.root.strip("/").split("/"):
                current += "/" + segment
                with contextlib.suppress(FileExistsError):
                    self.backend.mkdir(current, 0o755)
            self._root_ready = True

    def _user(self, backend_path: str) -> str:
        return backend_path[len(self.root) :].lstrip("/")

    # -- files -----------------------------------------------------------------------------

    def open(
        self,
        path: str | os.PathLike[str],
        mode: str = "r",
        buffering: int = -1,
        encoding: str | None = None,
        errors: str | None = None,
        newline: str | None = None,
    ) -> IO[Any]:
        """Like built-in ``open`` for modes ``r w x a`` with ``b`` / ``t``.

        Reads stream in ``read_chunk_size`` pieces; ``w`` and ``x`` write to a temporary name
        and publish on ``close()`` (``x`` fails if the name exists, atomically); ``a`` appends
        in place (not atomic). Text defaults to UTF-8.
        """
        kind = set(mode) & _MODES
        if len(kind) != 1 or not set(mode) <= _MODES | {"b", "t"} or {"b", "t"} <= set(mode):
            raise ValueError(f"gmifs: unsupported open mode {mode!r} (use r, w, x or a, with b/t)")
        binary = "b" in mode
        if binary and (encoding or errors or newline is not None):
            raise ValueError("gmifs: binary mode takes no encoding, errors or newline")
        (op,) = kind
        name = paths.GMIFS_PROTOCOL + "/".join(paths.user_parts(path))
        if op == "r":
            target, _ = self.backend_path(path)
            if stat_mod.S_ISDIR(self.backend.stat(target).st_mode):
                raise IsADirectoryError(errno.EISDIR, "gmifs: is a directory", name)
            handle = self.backend.open(target, os.O_RDONLY)
            raw = RawReader(handle, name, self.read_chunk_size)
            # Half a chunk: a read of a whole chunk or more then goes straight from libnfs
            # into the caller's buffer (BufferedReader bypasses its buffer only for requests
            # larger than it), small reads still fetch half a chunk per call.
            size = buffering if buffering > 1 else max(self.read_chunk_size // 2, 4096)
            reader = io.BufferedReader(raw, buffer_size=size)
            if binary:
                return reader
            return text_mode(
                reader, writing=False, encoding=encoding, errors=errors, newline=newline
            )
        writer = self._writer(path, op, name)
        if binary:
            return cast("IO[Any]", writer)
        return text_mode(writer, writing=True, encoding=encoding, errors=errors, newline=newline)

    def _writer(self, path: str | os.PathLike[str], op: str, name: str) -> AtomicWriter:
        parts = paths.user_parts(path)
        if not parts:
            raise IsADirectoryError(errno.EISDIR, "gmifs: the user root is a directory", name)
        self.ensure_root()
        target, exists = self.backend_path(path, follow_last=False)
        if exists and stat_mod.S_ISDIR(self.backend.lstat(target).st_mode):
            raise IsADirectoryError(errno.EISDIR, "gmifs: is a directory", name)
        if op == "x" and exists:
            raise FileExistsError(errno.EEXIST, "gmifs: file exists", name)
        if op == "a":
            if exists and stat_mod.S_ISLNK(self.backend.lstat(target).st_mode):
                target, _ = self.backend_path(path)  # append through a link that stays inside
            if not exists and len(parts) > 1:
                self.mkdir("/".join(parts[:-1]), parents=True, exist_ok=True)
            handle = self.backend.open(target, os.O_WRONLY | os.O_CREAT)
            start = handle.size()
            return AtomicWriter(
                handle,
                name,
                self.write_chunk_size,
                commit=None,
                abort=lambda: None,
                start=start,
                mode="ab",
            )
        directory, base = target.rsplit("/", 1)
        self._sweep_if_due(directory)
        temp = f"{directory}/.{base}.{secrets.token_hex(6)}{TEMP_SUFFIX}"
        try:
            handle = self.backend.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
        except FileNotFoundError:  # like object stores: a write creates missing parents
            self.mkdir("/".join(parts[:-1]), parents=True, exist_ok=True)
            handle = self.backend.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL)

        def commit() -> None:
            if op == "x":
                try:
                    self.backend.link(temp, target)
                finally:
                    self.backend.unlink(temp)
            else:
                self.backend.rename(temp, target)

        def abort() -> None:
            with contextlib.suppress(OSError):
                self.backend.unlink(temp)

        return AtomicWriter(
            handle, name, self.write_chunk_size, commit=commit, abort=abort, mode=op + "b"
        )

    # -- stale temporary files ----------------------------------------------------------------

    def sweep_temp_files(
        self, path: str | os.PathLike[str] = "", older_than: float | None = None
    ) -> list[str]:
        """Remove the ``.*.gmifs-tmp`` files in directory ``path`` (not below it) last
        written more than ``older_than`` seconds ago (default ``temp_max_age``), which
        writers that crashed left behind; returns their user paths.

        Writers do it by themselves (see ``temp_max_age`` and docs/storage.md); this is for
        a clean-up by hand or by a job. The age is the file's mtime against this host's
        clock, so hosts sharing the storage need clocks that agree well within it.
        """
        age = self.temp_max_age if older_than is None else older_than
        target, _ = self.backend_path(path)
        return [self._user(p) for p in self._sweep(target, age)]

    def _sweep_if_due(self, directory: str) -> None:
        """The automatic sweep: at a writer's open, of the directory written into, at most
        once per ``temp_max_age`` per directory and ``FileSystem``. Only a lost connection
        propagates (the open would fail next anyway); other errors (a directory that does
        not exist yet, no permission, a race with another sweeper) are ignored."""
        if not self.temp_max_age:
            return
        now = time.monotonic()
        last = self._swept.get(directory)
        if last is not None and now - last < self.temp_max_age:
            return
        if len(self._swept) > _MAX_SWEPT_DIRS:
            self._swept.clear()
        self._swept[directory] = now
        try:
            self._sweep(directory, self.temp_max_age)
        except OSError as exc:
            if exc.errno in (errno.ETIMEDOUT, errno.EIO):
                raise

    def _sweep(self, directory: str, age: float) -> list[str]:
        cutoff_ns = time.time_ns() - int(age * 1e9)
        removed = []
        for e in self.backend.listdir(directory):
            if not (e.name.startswith(".") and e.name.endswith(TEMP_SUFFIX)):
                continue
            if not stat_mod.S_ISREG(e.mode) or e.mtime_ns >= cutoff_ns:
                continue
            with contextlib.suppress(FileNotFoundError):  # another sweeper was quicker
                self.backend.unlink(f"{directory}/{e.name}")
                removed.append(f"{directory}/{e.name}")
        return removed

    def read_bytes(self, path: str | os.PathLike[str]) -> bytes:
        with self.open(path, "rb") as f:
            data: bytes = f.read()
            return data

    def write_bytes(self, path: str | os.PathLike[str], data: bytes) -> None:
        with self.open(path, "wb") as f:
            f.write(data)

    def copy(self, src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> str:
        """Stream ``src`` to ``dst`` (atomic at ``dst``); returns ``dst``."""
        paths.user_parts(src), paths.user_parts(dst)  # refuse either before any I/O
        buf = bytearray(max(self.read_chunk_size, self.write_chunk_size))
        view = memoryview(buf)
        with self.open(src, "rb") as fin, self.open(dst, "wb") as fout:
            while n := cast(io.BufferedReader, fin).readinto(buf):
                fout.write(view[:n])
        return os.fspath(dst)

    # -- metadata --------------------------------------------------------------------------

    def stat(self, path: str | os.PathLike[str] = "") -> os.stat_result:
        target, _ = self.backend_path(path)
        return self.backend.stat(target)

    def lstat(self, path: str | os.PathLike[str] = "") -> os.stat_result:
        target, _ = self.backend_path(path, follow_last=False)
        return self.backend.lstat(target)

    def exists(self, path: str | os.PathLike[str]) -> bool:
        try:
            self.stat(path)
        except _ABSENT:
            return False
        return True

    def isfile(self, path: str | os.PathLike[str]) -> bool:
        try:
            return stat_mod.S_ISREG(self.stat(path).st_mode)
        except _ABSENT:
            return False

    def isdir(self, path: str | os.PathLike[str]) -> bool:
        try:
            return stat_mod.S_ISDIR(self.stat(path).st_mode)
        except _ABSENT:
            return False

    def getsize(self, path: str | os.PathLike[str]) -> int:
        return self.stat(path).st_size

    # -- directories -----------------------------------------------------------------------

    def mkdir(
        self,
        path: str | os.PathLike[str],
        mode: int = 0o777,
        parents: bool = False,
        exist_ok: bool = False,
    ) -> None:
        parts = paths.user_parts(path)
        self.ensure_root()
        if not parts:
            if not exist_ok:
                raise FileExistsError(errno.EEXIST, "gmifs: the user root exists", "")
            return
        if parents:
            for i in range(1, len(parts)):
                with contextlib.suppress(FileExistsError):
                    self._mkdir_one(parts[:i], mode)
        try:
            self._mkdir_one(parts, mode)
        except FileExistsError:
            if not (exist_ok and self.isdir("/".join(parts))):
                raise

    def _mkdir_one(self, parts: list[str], mode: int) -> None:
        target, exists = paths.resolve(self.backend, self.root, parts, follow_last=False)
        if exists:
            if stat_mod.S_ISLNK(self.backend.lstat(target).st_mode):
                paths.resolve(self.backend, self.root, parts, follow_last=True)  # inside?
            raise FileExistsError(errno.EEXIST, "gmifs: file exists", "/".join(parts))
        self.backend.mkdir(target, mode)

    def makedirs(self, path: str | os.PathLike[str], exist_ok: bool = False) -> None:
        self.mkdir(path, parents=True, exist_ok=exist_ok)

    def scandir(self, path: str | os.PathLike[str] = "") -> Iterator[DirEntry]:
        target, _ = self.backend_path(path)
        prefix = self._user(target)
        for e in sorted(self.backend.listdir(target), key=lambda e: e.name):
            user = f"{prefix}/{e.name}" if prefix else e.name
            yield DirEntry(e.name, user, e.mode, e.size, e.mtime_ns)

    def listdir(self, path: str | os.PathLike[str] = "") -> list[str]:
        return [e.name for e in self.scandir(path)]

    def walk(
        self, top: str | os.PathLike[str] = "", topdown: bool = True
    ) -> Iterator[tuple[str, list[str], list[str]]]:
        """Like ``os.walk``: (dirpath, dirnames, filenames), user paths; symlinks are listed
        with the files and never descended into."""
        entries = list(self.scandir(top))
        top_path = "/".join(paths.user_parts(top))
        dirs = [e.name for e in entries if e.is_dir()]
        files = [e.name for e in entries if not e.is_dir()]
        if topdown:
            yield top_path, dirs, files
        for d in dirs:
            yield from self.walk(f"{top_path}/{d}" if top_path else d, topdown)
        if not topdown:
            yield top_path, dirs, files

    def remove(self, path: str | os.PathLike[str]) -> None:
        """Remove a file or symlink (not a directory: see :meth:`rmdir`)."""
        target, _ = self.backend_path(path, follow_last=False)
        if not paths.user_parts(path):
            raise IsADirectoryError(errno.EISDIR, "gmifs: the user root is a directory", "")
        self.backend.unlink(target)

    unlink = remove

    def rmdir(self, path: str | os.PathLike[str]) -> None:
        """Remove an empty directory."""
        if not paths.user_parts(path):
            raise PermissionError(errno.EACCES, "gmifs: refused to remove the user root", "")
        target, _ = self.backend_path(path, follow_last=False)
        self.backend.rmdir(target)

    def rename(self, src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        """Move ``src`` to ``dst``, replacing a file there (like ``os.replace``)."""
        if not paths.user_parts(src) or not paths.user_parts(dst):
            raise PermissionError(errno.EACCES, "gmifs: refused to move the user root", "")
        source, _ = self.backend_path(src, follow_last=False)
        target, _ = self.backend_path(dst, follow_last=False)
        self.backend.rename(source, target)

    replace = rename

    # -- locks -----------------------------------------------------------------------------

    def lock(
        self,
        path: str | os.PathLike[str],
        *,
        timeout: float | None = 60.0,
        expiry: float = 300.0,
        owner: str | None = None,
        poll: float = 0.05,
    ) -> FileLock:
        """A lock named ``path + ".lock"`` (see :class:`FileLock`); use as a context manager."""
        paths.user_parts(path)  # refuse before any I/O
        return FileLock(
            self, os.fspath(path) + ".lock", timeout=timeout, expiry=expiry, owner=owner, poll=poll
        )

    @contextlib.contextmanager
    def locked_open(
        self,
        path: str | os.PathLike[str],
        mode: str = "r",
        *,
        timeout: float | None = 60.0,
        expiry: float = 300.0,
        owner: str | None = None,
        **kwargs: Any,
    ) -> Iterator[IO[Any]]:
        """Open ``path`` while holding its lock; the lock is released after the file closes."""
        with (
            self.lock(path, timeout=timeout, expiry=expiry, owner=owner),
            self.open(path, mode, **kwargs) as f,
        ):
            yield f

    def close(self) -> None:
        """Release the connections (NFS); the object is unusable afterwards."""
        self.backend.close()

    def __enter__(self) -> FileSystem:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


__all__ = ["DirEntry", "FileLock", "FileSystem", "default_local_root"]
