"""File objects of ``gmifs://``: chunked streaming reads, and writes published atomically.

A writer writes to a temporary name beside the target and renames it over the target on
``close()``. Leaving a ``with`` block by an exception, calling :meth:`AtomicWriter.discard`,
or dropping an unclosed writer removes the temporary file instead: a failed write never
leaves a file, or half a file, under the final name.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from collections.abc import Callable
from types import TracebackType
from typing import Any

from .backend import Handle


class RawReader(io.RawIOBase):
    """Positioned reads of at most ``chunk`` bytes per call."""

    def __init__(self, handle: Handle, name: str, chunk: int) -> None:
        super().__init__()
        self._handle = handle
        self._name = name
        self._chunk = chunk
        self._pos = 0

    @property
    def name(self) -> str:
        return self._name

    @property
    def mode(self) -> str:
        return "rb"

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        self._checkClosed()
        view = memoryview(buffer).cast("B")
        count = min(len(view), self._chunk)
        if count == 0:
            return 0
        n = self._handle.preadinto(view[:count], self._pos)
        self._pos += n
        return n

    def readall(self) -> bytes:
        self._checkClosed()
        size = max(self._handle.size() - self._pos, 0)
        out = bytearray(size)
        view = memoryview(out)
        got = 0
        while got < size:
            n = self.readinto(view[got:])
            if n == 0:
                break
            got += n
        del view
        del out[got:]
        if got == size:  # the file may have grown since the fstat
            while chunk := self.read(self._chunk):
                out += chunk
        return bytes(out)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        self._checkClosed()
        if whence == io.SEEK_SET:
            pos = offset
        elif whence == io.SEEK_CUR:
            pos = self._pos + offset
        elif whence == io.SEEK_END:
            pos = self._handle.size() + offset
        else:
            raise ValueError(f"invalid whence {whence}")
        if pos < 0:
            raise ValueError(f"negative seek position {pos}")
        self._pos = pos
        return pos

    def tell(self) -> int:
        return self._pos

    def close(self) -> None:
        if not self.closed:
            try:
                self._handle.close()
            finally:
                super().close()


class AtomicWriter(io.BufferedIOBase):
    """A buffered binary writer: ``chunk``-sized positioned writes, then ``commit`` on close.

    ``commit`` publishes the written file (rename); ``abort`` removes it. Both are supplied by
    the file system; ``commit`` is None for appends, which write in place.
    """

    def __init__(
        self,
        handle: Handle,
        name: str,
        chunk: int,
        *,
        commit: Callable[[], None] | None,
        abort: Callable[[], None],
        start: int = 0,
        mode: str = "wb",
    ) -> None:
        super().__init__()
        self._handle: Handle | None = handle
        self._name = name
        self._chunk = chunk
        self._commit = commit
        self._abort = abort
        self._offset = start
        self._mode = mode
        self._buf = bytearray()
        self._failed = False

    @property
    def name(self) -> str:
        return self._name

    @property
    def mode(self) -> str:
        return self._mode

    def writable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._offset + len(self._buf)

    def _write_view(self, view: memoryview) -> None:
        assert self._handle is not None
        done = 0
        while done < len(view):
            n = self._handle.pwrite(view[done:], self._offset)
            if n <= 0:
                raise OSError(5, "short write to the NFS server", self._name)
            done += n
            self._offset += n

    def _write_bytes(self, data: bytes, start: int, count: int) -> None:
        handle = self._handle
        assert handle is not None
        fast = getattr(handle, "pwrite_bytes", None)
        if fast is None:
            self._write_view(memoryview(data)[start : start + count])
            return
        done = 0
        while done < count:
            n = fast(data, start + done, count - done, self._offset)
            if n <= 0:
                raise OSError(5, "short write to the NFS server", self._name)
            done += n
            self._offset += n

    def _flush_buffer(self) -> None:
        if self._buf:
            view = memoryview(self._buf)
            try:
                self._write_view(view)
            finally:
                view.release()
            self._buf.clear()

    def write(self, b: Any) -> int:
        if self.closed:
            raise ValueError("write to closed file")
        try:
            return self._write(b)
        except BaseException:
            self._failed = True
            raise

    def _write(self, b: Any) -> int:
        data = b if isinstance(b, bytes) else None
        view = memoryview(b).cast("B")
        size = len(view)
        chunk = self._chunk
        if len(self._buf) + size < chunk:
            self._buf += view
            return size
        pos = 0
        if self._buf:
            pos = chunk - len(self._buf)
            self._buf += view[:pos]
            self._flush_buffer()
        while size - pos >= chunk:
            if data is not None:
                self._write_bytes(data, pos, chunk)
            else:
                self._write_view(view[pos : pos + chunk])
            pos += chunk
        if pos < size:
            self._buf += view[pos:]
        return size

    def flush(self) -> None:
        if self.closed:
            return
        try:
            self._flush_buffer()
        except BaseException:
            self._failed = True
            raise

    def close(self) -> None:
        """Flush, make durable, close and publish; on any failure remove the temp file."""
        if self.closed:
            return
        if self._failed:
            self.discard()
            return
        handle = self._handle
        try:
            self._flush_buffer()
            assert handle is not None
            handle.fsync()
            self._handle = None
            handle.close()
            if self._commit is not None:
                self._commit()
        except BaseException:
            try:
                self._clean_up(handle)
            finally:
                super().close()
            raise
        super().close()

    def _clean_up(self, handle: Handle | None) -> None:
        """Close the handle and remove the temporary file, unless the server is unreachable:
        then each call would wait out the timeout again after the error already raised, so
        the file is left to the sweep of stale temporary files (see ``FileSystem``)."""
        self._close_handle_quietly(handle)
        if handle is None or not handle.broken:
            self._abort()

    def _close_handle_quietly(self, handle: Handle | None) -> None:
        if handle is not None and self._handle is not None:
            self._handle = None
            with contextlib.suppress(OSError):
                handle.close()

    def discard(self) -> None:
        """Close without publishing: the temporary file is removed, the target untouched."""
        if self.closed:
            return
        self._buf.clear()
        try:
            self._clean_up(self._handle)
        finally:
            super().close()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is not None:
            self.discard()
        else:
            self.close()

    def __del__(self) -> None:
        if not getattr(self, "closed", True):
            warnings.warn(
                f"unclosed gmifs writer {self._name!r} was discarded (close() publishes it)",
                ResourceWarning,
                stacklevel=2,
            )
            with contextlib.suppress(OSError):
                self.discard()


class TextWriter(io.TextIOWrapper):
    """Text over :class:`AtomicWriter` that discards, not publishes, on an exception."""

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is not None:
            self.discard()
        else:
            self.close()

    def discard(self) -> None:
        buffer = self.buffer
        if isinstance(buffer, AtomicWriter):
            buffer.discard()

    def __del__(self) -> None:
        try:
            buffer = self.buffer
        except (AttributeError, ValueError):  # never fully constructed
            return
        if isinstance(buffer, AtomicWriter) and not buffer.closed:
            buffer.__del__()  # warns and discards


def text_mode(
    raw: io.BufferedIOBase,
    *,
    writing: bool,
    encoding: str | None,
    errors: str | None,
    newline: str | None,
) -> io.TextIOWrapper:
    cls = TextWriter if writing else io.TextIOWrapper
    return cls(
        raw,  # type: ignore[arg-type]
        encoding=encoding or "utf-8",
        errors=errors,
        newline=newline,
        write_through=False,
    )


__all__ = ["AtomicWriter", "RawReader", "TextWriter", "text_mode"]
