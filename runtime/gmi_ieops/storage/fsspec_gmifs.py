"""``gmifs`` as an fsspec protocol (extra ``fsspec``): ``fsspec.open("gmifs://a/b.png")``.

Registered by the entry point ``fsspec.specs: gmifs`` of the distribution, and by
``import gmi_ieops.storage`` when fsspec is already imported; :func:`register` does it by hand.
"""

from __future__ import annotations

import stat as stat_mod
from typing import Any

from fsspec.spec import AbstractFileSystem  # type: ignore[import-untyped]

from .filesystem import FileSystem
from .intercept import default_filesystem
from .paths import GMIFS_PROTOCOL


class GmifsFileSystem(AbstractFileSystem):  # type: ignore[misc]
    """fsspec view of :class:`FileSystem` (the configured one unless ``fs`` is given)."""

    protocol = "gmifs"
    root_marker = ""

    def __init__(self, fs: FileSystem | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._fs = fs

    @property
    def fs(self) -> FileSystem:
        return self._fs if self._fs is not None else default_filesystem()

    @classmethod
    def _strip_protocol(cls, path: Any) -> Any:
        if isinstance(path, list):
            return [cls._strip_protocol(p) for p in path]
        text = str(path)
        if text.startswith(GMIFS_PROTOCOL):
            text = text[len(GMIFS_PROTOCOL) :]
        return text.rstrip("/")

    def _info(self, path: str, mode: int, size: int) -> dict[str, Any]:
        kind = "directory" if stat_mod.S_ISDIR(mode) else "file"
        return {"name": path, "size": size, "type": kind, "mode": mode}

    def info(self, path: str, **kwargs: Any) -> dict[str, Any]:
        path = self._strip_protocol(path)
        st = self.fs.stat(path)
        return self._info(path, st.st_mode, st.st_size)

    def ls(self, path: str, detail: bool = True, **kwargs: Any) -> list[Any]:
        path = self._strip_protocol(path)
        if not self.fs.isdir(path):
            return [self.info(path)] if detail else [path]
        out = [self._info(e.path, e._mode, e.size) for e in self.fs.scandir(path)]
        return out if detail else [o["name"] for o in out]

    def _open(self, path: str, mode: str = "rb", **kwargs: Any) -> Any:
        return self.fs.open(self._strip_protocol(path), mode)

    def mkdir(self, path: str, create_parents: bool = True, **kwargs: Any) -> None:
        self.fs.mkdir(self._strip_protocol(path), parents=create_parents, exist_ok=False)

    def makedirs(self, path: str, exist_ok: bool = False) -> None:
        self.fs.mkdir(self._strip_protocol(path), parents=True, exist_ok=exist_ok)

    def rmdir(self, path: str) -> None:
        self.fs.rmdir(self._strip_protocol(path))

    def _rm(self, path: str) -> None:
        path = self._strip_protocol(path)
        if self.fs.isdir(path):
            self.fs.rmdir(path)
        else:
            self.fs.remove(path)

    def mv(self, path1: str, path2: str, **kwargs: Any) -> None:
        self.fs.rename(self._strip_protocol(path1), self._strip_protocol(path2))

    def cp_file(self, path1: str, path2: str, **kwargs: Any) -> None:
        self.fs.copy(self._strip_protocol(path1), self._strip_protocol(path2))

    def created(self, path: str) -> Any:
        raise NotImplementedError

    def modified(self, path: str) -> Any:
        import datetime

        st = self.fs.stat(self._strip_protocol(path))
        return datetime.datetime.fromtimestamp(st.st_mtime, tz=datetime.timezone.utc)


def register() -> None:
    """Register ``gmifs`` with fsspec (replacing an older registration)."""
    import fsspec  # type: ignore[import-untyped]

    fsspec.register_implementation("gmifs", GmifsFileSystem, clobber=True)
