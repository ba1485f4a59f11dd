"""Typed SSE event streams over an httpx response: iterators that are context managers.

A stream opens lazily (``with``, ``open()`` or the first ``next``), yields one validated
model per ``data:`` frame, stops at ``data: [DONE]``, raises the typed error of an
``event: error`` frame (with OpenAI's error format, of a ``data: {"error": {...}}`` frame,
as the official clients do), and closes its connection whenever it stops, so the server sees a
caller that left early.
"""

from __future__ import annotations

import json
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from types import TracebackType
from typing import Any, Generic, TypeVar, cast

import anyio
import httpx

from ..tracing import TRACE_HEADER
from ._wire import decode_json, transport_error
from .errors import (
    APIConnectionError,
    IEOPSError,
    RequestTimeoutError,
    error_from_envelope,
    openai_error,
)
from .sse import ServerSentEvent, SSEDecoder

E = TypeVar("E")

DONE = "[DONE]"
_DRAIN_LIMIT = 65536  # bytes read after [DONE] to keep the connection; more: just close


class _StreamState(Generic[E]):
    """What the sync and async streams share: decoding, validation, the two timeouts."""

    def __init__(
        self,
        event_model: type[E],
        trace_id: str,
        idle_timeout: float | None,
        deadline: float | None,
        data_errors: bool = False,
    ) -> None:
        self.event_model = event_model
        self.data_errors = data_errors
        """OpenAI's error format: a data frame ``{"error": {...}}`` is an error."""
        self.trace_id = trace_id
        self.idle_timeout = idle_timeout
        self.deadline = deadline
        self.response: httpx.Response | None = None
        self._decoder = SSEDecoder()
        self._pending: deque[ServerSentEvent] = deque()
        self._last_event = time.monotonic()
        self._closed = False
        self._done = False

    def _opened(self, response: httpx.Response) -> None:
        self.response = response
        self.trace_id = response.headers.get(TRACE_HEADER) or self.trace_id
        self._last_event = time.monotonic()

    def _next_pending(self) -> tuple[bool, E | None]:
        """(True, event) for the next data frame already decoded; (False, None) if none.

        Raises the frame's error, or ``StopIteration``-worthy ``_Done`` at ``[DONE]``.
        """
        while self._pending:
            sse = self._pending.popleft()
            if sse.event == "error":
                raise self._frame_error(sse)
            if sse.data == DONE:
                self._done = True
                raise _Done
            if self.data_errors and sse.data[:1] == "{" and '"error"' in sse.data:
                error = self._data_error(sse.data)
                if error is not None:
                    raise error
            self._last_event = time.monotonic()
            return True, decode_json(self.event_model, sse.data, "SSE event", self.trace_id)
        return False, None

    def _frame_error(self, sse: ServerSentEvent) -> IEOPSError:
        try:
            payload: Any = json.loads(sse.data)
        except ValueError:
            payload = {"message": sse.data}
        return error_from_envelope(payload, self.trace_id)

    def _data_error(self, data: str) -> IEOPSError | None:
        try:
            payload: Any = json.loads(data)
        except ValueError:
            return None  # decode_json reports it
        if openai_error(payload) is None:
            return None
        return error_from_envelope(payload, self.trace_id)

    def _feed(self, chunk: bytes | None) -> None:
        """Decode the next chunk of the body; ``None``, its end, is an error (no ``[DONE]``)."""
        if chunk is None:
            self._decoder.flush()
            raise APIConnectionError("stream ended before [DONE]", trace_id=self.trace_id)
        self._pending.extend(self._decoder.feed(chunk))

    def _broken(self, exc: httpx.TransportError) -> IEOPSError:
        """The typed error of a failed read of the body."""
        if isinstance(exc, httpx.ReadTimeout):
            return RequestTimeoutError(self._read_timeout_why(), trace_id=self.trace_id)
        return transport_error(exc, self.trace_id, "stream broke")

    def _check_clock(self) -> None:
        """Between chunks (sync only): the idle and total limits."""
        now = time.monotonic()
        if self.idle_timeout is not None and now - self._last_event > self.idle_timeout:
            raise RequestTimeoutError(
                f"no event for {self.idle_timeout:g} s (idle timeout)", trace_id=self.trace_id
            )
        if self.deadline is not None and now > self.deadline:
            raise RequestTimeoutError("stream ran past its total timeout", trace_id=self.trace_id)

    def _read_timeout_why(self) -> str:
        """Why a socket read timed out (sync: its limit is the smallest that applied)."""
        if self.deadline is not None and time.monotonic() >= self.deadline - 0.01:
            return "stream ran past its total timeout"
        if self.idle_timeout is not None:
            return f"no event for {self.idle_timeout:g} s (idle timeout)"
        return "stream read timeout"

    def _wait_limit(self) -> tuple[float | None, str]:
        """(seconds, why) the next event may take (async: enforced with a cancel scope)."""
        now = time.monotonic()
        limit: float | None = None
        why = ""
        if self.idle_timeout is not None:
            limit = self.idle_timeout - (now - self._last_event)
            why = f"no event for {self.idle_timeout:g} s (idle timeout)"
        if self.deadline is not None and (limit is None or self.deadline - now < limit):
            limit = self.deadline - now
            why = "stream ran past its total timeout"
        return (None if limit is None else max(limit, 0.0)), why


class _Done(Exception):
    """Internal: ``[DONE]`` seen."""


class EventStream(_StreamState[E]):
    """A typed SSE stream (sync): ``with client.op(...) as s: for event in s: ...``."""

    def __init__(
        self,
        opener: Callable[[], httpx.Response],
        event_model: type[E],
        *,
        trace_id: str,
        idle_timeout: float | None,
        deadline: float | None,
        data_errors: bool = False,
    ) -> None:
        super().__init__(event_model, trace_id, idle_timeout, deadline, data_errors)
        self._opener = opener
        self._chunks: Iterator[bytes] | None = None

    def open(self) -> EventStream[E]:
        """Send the request (retrying where safe) and check its status; idempotent."""
        if self.response is None and not self._closed:
            response = self._opener()
            self._opened(response)
            self._chunks = response.iter_bytes()
        return self

    def __iter__(self) -> EventStream[E]:
        return self

    def __next__(self) -> E:
        if self._closed:
            raise StopIteration
        if self._chunks is None:
            self.open()
        assert self._chunks is not None
        try:
            while True:
                found, event = self._next_pending()
                if found:
                    return cast(E, event)
                try:
                    chunk = next(self._chunks, None)
                except httpx.TransportError as exc:
                    raise self._broken(exc) from exc
                self._feed(chunk)
                if not self._pending:
                    self._check_clock()
        except _Done:
            self._drain()
            self.close()
            raise StopIteration from None
        except BaseException:
            self.close()
            raise

    def _drain(self) -> None:
        """After ``[DONE]``: read the end of the body, so the connection goes back to the pool.

        Closing a response before its last chunk makes httpx drop the connection; the server
        ends the body right after ``[DONE]``, so this reads a few bytes at most (bounded).
        """
        assert self._chunks is not None
        left = _DRAIN_LIMIT
        try:
            for chunk in self._chunks:
                left -= len(chunk)
                if left < 0:
                    break
        except httpx.HTTPError:
            pass

    def close(self) -> None:
        """Close the connection (the server sees the disconnect); idempotent."""
        self._closed = True
        if self.response is not None:
            self.response.close()

    def __enter__(self) -> EventStream[E]:
        return self.open()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class AsyncEventStream(_StreamState[E]):
    """A typed SSE stream (async): ``async with client.op(...) as s: async for e in s: ...``."""

    def __init__(
        self,
        opener: Callable[[], Awaitable[httpx.Response]],
        event_model: type[E],
        *,
        trace_id: str,
        idle_timeout: float | None,
        deadline: float | None,
        data_errors: bool = False,
    ) -> None:
        super().__init__(event_model, trace_id, idle_timeout, deadline, data_errors)
        self._opener = opener
        self._chunks: AsyncIterator[bytes] | None = None

    async def open(self) -> AsyncEventStream[E]:
        """Send the request (retrying where safe) and check its status; idempotent."""
        if self.response is None and not self._closed:
            response = await self._opener()
            self._opened(response)
            self._chunks = response.aiter_bytes()
        return self

    def __aiter__(self) -> AsyncEventStream[E]:
        return self

    async def __anext__(self) -> E:
        if self._closed:
            raise StopAsyncIteration
        if self._chunks is None:
            await self.open()
        assert self._chunks is not None
        try:
            while True:
                found, event = self._next_pending()
                if found:
                    return cast(E, event)
                limit, why = self._wait_limit()
                try:
                    with anyio.fail_after(limit):
                        chunk = await anext(self._chunks, None)
                except TimeoutError as exc:
                    raise RequestTimeoutError(why, trace_id=self.trace_id) from exc
                except httpx.TransportError as exc:
                    raise self._broken(exc) from exc
                self._feed(chunk)
        except _Done:
            await self._drain()
            await self.aclose()
            raise StopAsyncIteration from None
        except BaseException:
            await self.aclose()
            raise

    async def _drain(self) -> None:
        """After ``[DONE]``: read the end of the body (see ``EventStream._drain``)."""
        assert self._chunks is not None
        left = _DRAIN_LIMIT
        limit, _ = self._wait_limit()
        try:
            with anyio.move_on_after(limit if limit is not None else 5.0):
                async for chunk in self._chunks:
                    left -= len(chunk)
                    if left < 0:
                        break
        except httpx.HTTPError:
            pass

    async def aclose(self) -> None:
        """Close the connection (the server sees the disconnect); idempotent."""
        self._closed = True
        if self.response is not None:
            with anyio.CancelScope(shield=True):
                await self.response.aclose()

    async def __aenter__(self) -> AsyncEventStream[E]:
        return await self.open()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
