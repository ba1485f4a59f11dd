"""Binary and text responses: ``bytes``/``str``, a stream of bytes, or a stored file.

A handler of an operation whose response is ``audio/mpeg``, ``image/png``, ``text/plain``
... returns one of :data:`BinaryBody`; this module sends it with the operation's content
type: ``bytes`` and ``str`` with a ``content-length``, an (async) iterator of ``bytes``
chunked as it comes, and a :class:`StoredFile` (``gmifs://`` or a local path) streamed from
storage with its length.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterable, AsyncIterator, Iterable
from dataclasses import dataclass
from typing import IO, Any

from starlette.types import Send

from ..tracing import id_headers
from ._errors import RequestError

CHUNK = 1024 * 1024


@dataclass(frozen=True)
class StoredFile:
    """A file to send as the response: ``gmifs://a/b.mp3`` or a local path.

    ``media_type`` overrides the operation's content type; ``filename`` adds a
    ``content-disposition: attachment``.
    """

    location: str | os.PathLike[str]
    media_type: str | None = None
    filename: str | None = None


BinaryBody = bytes | str | AsyncIterable[bytes] | Iterable[bytes] | StoredFile
"""What the handler of a binary (or text) response returns."""


def _open(location: str) -> tuple[IO[bytes], int]:
    if location.startswith("gmifs://"):
        from ..storage.intercept import default_filesystem

        fs = default_filesystem()
        try:
            size = fs.getsize(location)
            return fs.open(location, "rb"), size
        except FileNotFoundError:
            raise RequestError(404, "not_found", "the file does not exist") from None
    try:
        handle = open(location, "rb")  # noqa: SIM115 - closed by the sender
    except FileNotFoundError:
        raise RequestError(404, "not_found", "the file does not exist") from None
    return handle, os.fstat(handle.fileno()).st_size


def _content_type(media: str) -> bytes:
    if media.startswith("text/") and "charset" not in media:
        media += "; charset=utf-8"
    return media.encode("latin-1")


async def send_binary(
    send: Send,
    status: int,
    media: str,
    result: Any,
    trace_id: str,
    extra: list[tuple[bytes, bytes]] | None = None,
) -> None:
    """Send ``result`` (:data:`BinaryBody`) as the response body."""
    headers = [*id_headers(trace_id), *(extra or [])]
    if isinstance(result, StoredFile):
        handle, size = await asyncio.to_thread(_open, os.fspath(result.location))
        try:
            headers.append((b"content-type", _content_type(result.media_type or media)))
            headers.append((b"content-length", str(size).encode()))
            if result.filename:
                quoted = result.filename.replace("\\", "").replace('"', "")
                headers.append(
                    (b"content-disposition", f'attachment; filename="{quoted}"'.encode())
                )
            await send({"type": "http.response.start", "status": status, "headers": headers})
            while chunk := await asyncio.to_thread(handle.read, CHUNK):
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
        finally:
            await asyncio.to_thread(handle.close)
        return
    headers.append((b"content-type", _content_type(media)))
    if isinstance(result, (bytes, bytearray, memoryview, str)):
        body = result.encode() if isinstance(result, str) else bytes(result)
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        return
    chunks = _aiter(result)
    try:
        first = await anext(chunks, None)
        await send({"type": "http.response.start", "status": status, "headers": headers})
        if first is not None:
            await send({"type": "http.response.body", "body": first, "more_body": True})
            async for chunk in chunks:
                if chunk:
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b""})
    finally:
        close = getattr(chunks, "aclose", None)
        if close is not None:
            await close()


async def _aiter(result: Any) -> AsyncIterator[bytes]:
    if isinstance(result, AsyncIterable):
        async for chunk in result:
            yield _bytes(chunk)
        return
    if isinstance(result, Iterable):
        iterator = iter(result)
        while True:
            chunk = await asyncio.to_thread(next, iterator, None)
            if chunk is None:
                return
            yield _bytes(chunk)
    raise TypeError(
        "a binary response must be bytes, str, an iterator of bytes or a StoredFile, "
        f"got {type(result).__name__}"
    )


def _bytes(chunk: Any) -> bytes:
    if isinstance(chunk, str):
        return chunk.encode()
    if isinstance(chunk, (bytes, bytearray, memoryview)):
        return bytes(chunk)
    raise TypeError(f"a binary stream yielded {type(chunk).__name__}, not bytes")


__all__ = ["BinaryBody", "StoredFile", "send_binary"]
