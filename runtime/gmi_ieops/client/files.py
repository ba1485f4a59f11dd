"""Files on the client side: multipart and binary request bodies, binary responses.

Uploads are streamed from disk (or the caller's file object) in 1 MiB pieces with a
``Content-Length`` computed up front, so a 256 MiB file never sits in the client's memory;
each send (and each safe retry) opens the source again. Binary responses come back as
``bytes``/``str`` from the plain method, or as a :class:`ByteStream` from ``*_stream``
methods (iterate, ``read()``, or ``save_to(path)``: atomic, streamed).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, Any, TypeAlias

import httpx
import pydantic
import pydantic_core

CHUNK = 1024 * 1024

FileContent: TypeAlias = "bytes | os.PathLike[str] | IO[bytes]"
FileInput: TypeAlias = "FileContent | tuple[str, FileContent] | tuple[str, FileContent, str]"
"""A file to upload: a path (streamed from disk), bytes, a binary file object, or a
``(filename, content[, content_type])`` tuple as httpx and the openai client take it."""


@dataclass
class _Source:
    """One part's content, re-openable for each send."""

    data: bytes | None = None
    path: str | None = None
    handle: IO[bytes] | None = None
    start: int = 0
    size: int | None = None

    def chunks(self) -> Iterator[bytes]:
        if self.data is not None:
            yield self.data
            return
        if self.path is not None:
            with open(self.path, "rb") as f:
                while chunk := f.read(CHUNK):
                    yield chunk
            return
        assert self.handle is not None
        with contextlib.suppress(OSError, ValueError):
            self.handle.seek(self.start)
        while chunk := self.handle.read(CHUNK):
            yield chunk


def _source(content: Any) -> tuple[_Source, str | None]:
    """The source and its natural filename."""
    if isinstance(content, (bytes, bytearray, memoryview)):
        data = bytes(content)
        return _Source(data=data, size=len(data)), None
    if isinstance(content, (os.PathLike, str)) and not hasattr(content, "read"):
        path = os.fspath(content)
        return _Source(path=path, size=os.path.getsize(path)), os.path.basename(path)
    if hasattr(content, "read"):
        size: int | None = None
        start = 0
        try:
            start = content.tell()
            content.seek(0, os.SEEK_END)
            size = content.tell() - start
            content.seek(start)
        except (OSError, AttributeError, ValueError):
            size = None
        name = getattr(content, "name", None)
        filename = os.path.basename(name) if isinstance(name, str) else None
        return _Source(handle=content, start=start, size=size), filename
    raise TypeError(f"a file must be a path, bytes or a binary file object, got {type(content)}")


def _quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


def _text(value: object) -> str:
    """A form field's text: scalars as themselves, objects and arrays as JSON."""
    if isinstance(value, pydantic.BaseModel):  # a RootModel of a string stays that string
        plain: Any = value.model_dump(mode="json", by_alias=True, exclude_unset=True)
    else:
        plain = pydantic_core.to_jsonable_python(value, by_alias=True)
    if isinstance(plain, bool):
        return "true" if plain else "false"
    if isinstance(plain, str):
        return plain
    if isinstance(plain, (int, float)):
        return str(plain)
    return json.dumps(plain, ensure_ascii=False)


@dataclass
class RequestContent:
    """A request body that is not JSON: its content type, length and pieces."""

    content_type: str
    pieces: list[bytes | _Source] = field(default_factory=list)

    @property
    def length(self) -> int | None:
        total = 0
        for piece in self.pieces:
            if isinstance(piece, bytes):
                total += len(piece)
            elif piece.size is None:
                return None
            else:
                total += piece.size
        return total

    def headers(self) -> dict[str, str]:
        headers = {"Content-Type": self.content_type}
        length = self.length
        if length is not None:
            headers["Content-Length"] = str(length)
        return headers

    def iter_sync(self) -> Iterator[bytes]:
        for piece in self.pieces:
            if isinstance(piece, bytes):
                yield piece
            else:
                yield from piece.chunks()

    async def iter_async(self) -> AsyncIterator[bytes]:
        import anyio.to_thread

        for piece in self.pieces:
            if isinstance(piece, bytes):
                yield piece
                continue
            if piece.data is not None:
                yield piece.data
                continue
            chunks = piece.chunks()
            while True:
                chunk = await anyio.to_thread.run_sync(next, chunks, None)
                if chunk is None:
                    break
                yield chunk


def form_body(
    fields: Mapping[str, object], files: Mapping[str, FileInput | Sequence[FileInput] | None]
) -> RequestContent:
    """A streamed ``multipart/form-data`` body: ``None`` fields are left out, lists repeat."""
    boundary = secrets.token_hex(16)
    body = RequestContent(f"multipart/form-data; boundary={boundary}")
    dash = f"--{boundary}\r\n".encode()
    for name, value in fields.items():
        values = value if isinstance(value, (list, tuple)) else [value]
        for item in values:
            if item is None:
                continue
            head = f'Content-Disposition: form-data; name="{_quote(name)}"\r\n\r\n'
            body.pieces.append(dash + head.encode() + _text(item).encode() + b"\r\n")
    for name, given in files.items():
        if given is None:
            continue
        items = list(given) if isinstance(given, list) else [given]
        for item in items:
            filename, content, ctype = _unpack(item, name)
            source, natural = _source(content)
            head = (
                f'Content-Disposition: form-data; name="{_quote(name)}"; '
                f'filename="{_quote(filename or natural or name)}"\r\n'
                f"Content-Type: {ctype}\r\n\r\n"
            )
            body.pieces.append(dash + head.encode())
            body.pieces.append(source)
            body.pieces.append(b"\r\n")
    body.pieces.append(f"--{boundary}--\r\n".encode())
    return body


def form_fields(model: pydantic.BaseModel | None) -> dict[str, object]:
    """A form model's set fields by wire name (for :func:`form_body`)."""
    if model is None:
        return {}
    return dict(model.model_dump(mode="json", by_alias=True, exclude_unset=True))


def binary_body(content: FileInput, content_type: str) -> RequestContent:
    """A streamed binary request body."""
    _, raw, ctype = _unpack(content, "", content_type)
    source, _ = _source(raw)
    return RequestContent(ctype, [source])


def _unpack(item: Any, name: str, default_type: str | None = None) -> tuple[str | None, Any, str]:
    ctype = default_type or "application/octet-stream"
    if isinstance(item, tuple):
        if len(item) == 3:
            return item[0], item[1], item[2]
        if len(item) == 2:
            return item[0], item[1], ctype
        raise TypeError(f"file {name!r}: a tuple is (filename, content[, content_type])")
    return None, item, ctype


def arequest_content(content: bytes | RequestContent | None) -> Any:
    """What httpx's async client sends: bytes as is, a fresh iterator of a
    :class:`RequestContent` (one per send: a retry reads the source again)."""
    if isinstance(content, RequestContent):
        return content.iter_async()
    return content


def request_content(content: bytes | RequestContent | None) -> Any:
    """:func:`arequest_content` for httpx's sync client."""
    if isinstance(content, RequestContent):
        return content.iter_sync()
    return content


class _Received:
    """What ``ByteStream`` and ``AsyncByteStream`` share: the response and its headers."""

    def __init__(self, response: httpx.Response, trace_id: str | None) -> None:
        self.response = response
        self.trace_id = trace_id
        self.content_type = response.headers.get("content-type", "")
        length = response.headers.get("content-length")
        self.length = int(length) if length and length.isdigit() else None


@contextlib.contextmanager
def _atomic_file(path: str | os.PathLike[str]) -> Iterator[IO[bytes]]:
    """``path`` written as ``.name.part`` and renamed once complete; removed on a failure."""
    target = Path(path)
    temp = target.with_name(f".{target.name}.part")
    try:
        with open(temp, "wb") as out:
            yield out
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise


class ByteStream(_Received):
    """A binary response being received: iterate it, ``read()`` it or ``save_to`` a path."""

    def __enter__(self) -> ByteStream:
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __iter__(self) -> Iterator[bytes]:
        return self.iter_bytes()

    def iter_bytes(self, chunk_size: int = CHUNK) -> Iterator[bytes]:
        try:
            yield from self.response.iter_bytes(chunk_size)
        finally:
            self.close()

    def read(self) -> bytes:
        return b"".join(self.iter_bytes())

    def save_to(self, path: str | os.PathLike[str]) -> int:
        """Write the body to ``path`` (``.name.part`` then renamed); the byte count."""
        written = 0
        with _atomic_file(path) as out:
            for chunk in self.iter_bytes():
                out.write(chunk)
                written += len(chunk)
        return written

    def close(self) -> None:
        self.response.close()


class AsyncByteStream(_Received):
    """The async :class:`ByteStream`."""

    async def __aenter__(self) -> AsyncByteStream:
        return self

    async def __aexit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self.iter_bytes()

    async def iter_bytes(self, chunk_size: int = CHUNK) -> AsyncIterator[bytes]:
        try:
            async for chunk in self.response.aiter_bytes(chunk_size):
                yield chunk
        finally:
            await self.aclose()

    async def read(self) -> bytes:
        return b"".join([chunk async for chunk in self.iter_bytes()])

    async def save_to(self, path: str | os.PathLike[str]) -> int:
        """Write the body to ``path`` atomically (blocking writes are small and buffered)."""
        written = 0
        with _atomic_file(path) as out:
            async for chunk in self.iter_bytes():
                out.write(chunk)
                written += len(chunk)
        return written

    async def aclose(self) -> None:
        await self.response.aclose()


__all__ = [
    "AsyncByteStream",
    "ByteStream",
    "FileInput",
    "RequestContent",
    "arequest_content",
    "binary_body",
    "form_body",
    "form_fields",
    "request_content",
]
