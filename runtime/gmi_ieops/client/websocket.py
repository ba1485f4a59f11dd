"""Typed WebSocket sessions on the ``websockets`` library, over TCP or a Unix socket.

Messages are JSON text. ``{"error": {"message", "type", "trace_id"}}`` from the server is
raised as the typed error and the session stays usable (the runtime answers an invalid
message that way and goes on).
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any, Generic, TypeVar, cast

import anyio
import httpx
import pydantic
from websockets.asyncio.client import ClientConnection as AsyncConnection
from websockets.asyncio.client import connect as _async_connect
from websockets.asyncio.client import unix_connect as _async_unix_connect
from websockets.exceptions import ConnectionClosed, ConnectionClosedOK, InvalidStatus
from websockets.sync.client import ClientConnection as SyncConnection
from websockets.sync.client import connect as _sync_connect
from websockets.sync.client import unix_connect as _sync_unix_connect

from ..tracing import TRACE_HEADER
from ._wire import decode_json
from .errors import (
    IEOPSError,
    RequestTimeoutError,
    WebSocketClosedError,
    error_from_envelope,
    error_from_response,
)

S = TypeVar("S", bound=pydantic.BaseModel)
R = TypeVar("R")

# Messages of inference workers (audio, images as base64) outgrow websockets' 1 MiB default.
MAX_MESSAGE_BYTES = 16 * 1024 * 1024

# websockets >= 17 warns unless a directly used sync connection opts into ``legacy=True``;
# older versions have no such flag and always return the connection.
_DIRECT: dict[str, Any] = (
    {"legacy": True} if "legacy" in inspect.signature(_sync_connect).parameters else {}
)


def _connect_options(headers: dict[str, str], open_timeout: float | None) -> dict[str, Any]:
    return {
        "additional_headers": headers,
        "open_timeout": open_timeout,
        "max_size": MAX_MESSAGE_BYTES,
    }


async def aconnect_ws(
    uds: str | None, uri: str, headers: dict[str, str], open_timeout: float | None
) -> AsyncConnection:
    """One handshake (async); the client's ``_ws_connect`` retries it where safe."""
    kwargs = _connect_options(headers, open_timeout)
    if uds is not None:
        return await _async_unix_connect(uds, uri, **kwargs)
    return await _async_connect(uri, **kwargs)


def connect_ws(
    uds: str | None, uri: str, headers: dict[str, str], open_timeout: float | None
) -> SyncConnection:
    """One handshake (sync): :func:`aconnect_ws` with the ``websockets.sync`` client."""
    kwargs = {**_connect_options(headers, open_timeout), **_DIRECT}
    if uds is not None:
        return cast(SyncConnection, _sync_unix_connect(uds, uri, **kwargs))
    return cast(SyncConnection, _sync_connect(uri, **kwargs))


def encode_message(message: pydantic.BaseModel) -> str:
    return message.model_dump_json(by_alias=True, exclude_unset=True)


def _error_message(raw: str | bytes, trace_id: str | None) -> IEOPSError | None:
    """The typed error when ``raw`` is ``{"error": {...}}``, else None (cheap when not)."""
    found = b'"error"' in raw if isinstance(raw, bytes) else '"error"' in raw
    if not found:
        return None
    try:
        payload: Any = json.loads(raw)
    except ValueError:
        return None
    if isinstance(payload, dict) and len(payload) == 1 and isinstance(payload.get("error"), dict):
        return error_from_envelope(payload, trace_id)  # the seed's or OpenAI's error object
    return None


def closed_error(exc: ConnectionClosed, trace_id: str | None) -> WebSocketClosedError:
    frame = exc.rcvd or exc.sent
    code = frame.code if frame is not None else 1006
    reason = frame.reason if frame is not None else ""
    return WebSocketClosedError(
        f"WebSocket closed (code {code}{': ' + reason if reason else ''})",
        code=code,
        reason=reason,
        trace_id=trace_id,
    )


def handshake_error(exc: InvalidStatus, trace_id: str | None) -> IEOPSError:
    """The typed error of an HTTP status that refused the WebSocket handshake."""
    r = exc.response
    response = httpx.Response(
        r.status_code, headers=list(r.headers.raw_items()), content=bytes(r.body or b"")
    )
    return error_from_response(response, trace_id)


class _SessionBase(Generic[S, R]):
    def __init__(self, send_model: type[S], receive_model: type[R], trace_id: str) -> None:
        self.send_model = send_model
        self.receive_model = receive_model
        self.trace_id = trace_id
        self._closed = False

    def _check_send(self, message: S) -> str:
        if not isinstance(message, self.send_model):
            raise TypeError(
                f"send() takes a {self.send_model.__name__}, got {type(message).__name__}"
            )
        return encode_message(message)

    def _decode(self, raw: str | bytes) -> R:
        error = _error_message(raw, self.trace_id)
        if error is not None:
            raise error
        return decode_json(self.receive_model, raw, "WebSocket message", self.trace_id)

    def _header_trace_id(self, headers: Any) -> None:
        echoed = headers.get(TRACE_HEADER) if headers is not None else None
        if echoed:
            self.trace_id = echoed


class WebSocketClientSession(_SessionBase[S, R]):
    """A typed WebSocket session (sync); connects lazily, closes on leaving ``with``."""

    def __init__(
        self,
        connector: Callable[[], SyncConnection],
        send_model: type[S],
        receive_model: type[R],
        *,
        trace_id: str,
    ) -> None:
        super().__init__(send_model, receive_model, trace_id)
        self._connector = connector
        self._ws: SyncConnection | None = None

    def connect(self) -> WebSocketClientSession[S, R]:
        """Open the connection (retrying where safe); idempotent."""
        if self._ws is None:
            if self._closed:
                raise WebSocketClosedError("session already closed", trace_id=self.trace_id)
            self._ws = self._connector()
            self._header_trace_id(self._ws.response.headers if self._ws.response else None)
        return self

    @property
    def connection(self) -> SyncConnection:
        """The underlying ``websockets`` connection (connects if needed)."""
        self.connect()
        assert self._ws is not None
        return self._ws

    def send(self, message: S) -> None:
        text = self._check_send(message)
        try:
            self.connection.send(text)
        except ConnectionClosed as exc:
            raise closed_error(exc, self.trace_id) from exc

    def receive(self, timeout: float | None = None) -> R:
        """The next message; ``timeout`` seconds at most (``RequestTimeoutError``)."""
        try:
            raw = self.connection.recv(timeout=timeout)
        except TimeoutError as exc:
            raise RequestTimeoutError(
                f"no WebSocket message in {timeout:g} s", trace_id=self.trace_id
            ) from exc
        except ConnectionClosed as exc:
            raise closed_error(exc, self.trace_id) from exc
        return self._decode(raw)

    def __iter__(self) -> WebSocketClientSession[S, R]:
        return self

    def __next__(self) -> R:
        try:
            raw = self.connection.recv()
        except ConnectionClosedOK:
            raise StopIteration from None
        except ConnectionClosed as exc:
            raise closed_error(exc, self.trace_id) from exc
        return self._decode(raw)

    def close(self, code: int = 1000, reason: str = "") -> None:
        self._closed = True
        if self._ws is not None:
            self._ws.close(code, reason)

    def __enter__(self) -> WebSocketClientSession[S, R]:
        return self.connect()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class AsyncWebSocketClientSession(_SessionBase[S, R]):
    """A typed WebSocket session (async); connects lazily, closes on leaving ``async with``."""

    def __init__(
        self,
        connector: Callable[[], Awaitable[AsyncConnection]],
        send_model: type[S],
        receive_model: type[R],
        *,
        trace_id: str,
    ) -> None:
        super().__init__(send_model, receive_model, trace_id)
        self._connector = connector
        self._ws: AsyncConnection | None = None

    async def connect(self) -> AsyncWebSocketClientSession[S, R]:
        """Open the connection (retrying where safe); idempotent."""
        if self._ws is None:
            if self._closed:
                raise WebSocketClosedError("session already closed", trace_id=self.trace_id)
            self._ws = await self._connector()
            self._header_trace_id(self._ws.response.headers if self._ws.response else None)
        return self

    async def connection(self) -> AsyncConnection:
        """The underlying ``websockets`` connection (connects if needed)."""
        await self.connect()
        assert self._ws is not None
        return self._ws

    async def send(self, message: S) -> None:
        text = self._check_send(message)
        ws = await self.connection()
        try:
            await ws.send(text)
        except ConnectionClosed as exc:
            raise closed_error(exc, self.trace_id) from exc

    async def receive(self, timeout: float | None = None) -> R:
        """The next message; ``timeout`` seconds at most (``RequestTimeoutError``)."""
        ws = await self.connection()
        try:
            with anyio.fail_after(timeout):
                raw = await ws.recv()
        except TimeoutError as exc:
            if timeout is None:
                raise
            raise RequestTimeoutError(
                f"no WebSocket message in {timeout:g} s", trace_id=self.trace_id
            ) from exc
        except ConnectionClosed as exc:
            raise closed_error(exc, self.trace_id) from exc
        return self._decode(raw)

    def __aiter__(self) -> AsyncWebSocketClientSession[S, R]:
        return self

    async def __anext__(self) -> R:
        ws = await self.connection()
        try:
            raw = await ws.recv()
        except ConnectionClosedOK:
            raise StopAsyncIteration from None
        except ConnectionClosed as exc:
            raise closed_error(exc, self.trace_id) from exc
        return self._decode(raw)

    async def aclose(self, code: int = 1000, reason: str = "") -> None:
        self._closed = True
        if self._ws is not None:
            await self._ws.close(code, reason)

    async def __aenter__(self) -> AsyncWebSocketClientSession[S, R]:
        return await self.connect()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


__all__ = [
    "MAX_MESSAGE_BYTES",
    "AsyncConnection",
    "AsyncWebSocketClientSession",
    "SyncConnection",
    "WebSocketClientSession",
    "aconnect_ws",
    "closed_error",
    "connect_ws",
    "encode_message",
    "handshake_error",
]
