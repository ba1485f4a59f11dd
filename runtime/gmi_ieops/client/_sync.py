# Generated from _async.py by scripts/unasync_client.py: do not edit. Edit _async.py and run
# `python scripts/unasync_client.py`; scripts/test.sh fails while this file is stale.
"""The client generated ``AsyncClient`` / ``Client`` classes subclass, written once.

``_async.py`` (``AsyncBaseClient``) is the source; ``_sync.py`` (``BaseClient``) is
generated from it by ``scripts/unasync_client.py``: ``async`` / ``await`` dropped, async names
renamed to their sync twins; ``_concurrency`` holds the steps that really differ. Edit
``_async.py`` only (docs/client.md, "How the client is built").
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from types import TracebackType
from typing import TypeVar

import httpx
import pydantic
from websockets.exceptions import InvalidStatus, WebSocketException

from ..tracing import TRACE_HEADER
from ._base import EVENT_STREAM, JSON, ClientCore, Prepared
from ._concurrency import sleep, within_total
from ._wire import (
    build_headers,
    pick_trace_id,
    transport_error,
)
from .errors import (
    APIConnectionError,
    IEOPSError,
    RequestTimeoutError,
    ResponseValidationError,
    error_from_response,
)
from .files import ByteStream, request_content
from .options import RetryPolicy, Timeout, _cut
from .response import APIResponse
from .streams import EventStream
from .websocket import SyncConnection, WebSocketClientSession, connect_ws, handshake_error

T = TypeVar("T")
E = TypeVar("E")
S = TypeVar("S", bound=pydantic.BaseModel)
R = TypeVar("R")
_Self = TypeVar("_Self", bound="BaseClient")


def _status_error(response: httpx.Response, trace_id: str) -> IEOPSError:
    """The typed error of an error answer to a streamed request (read, then closed)."""
    try:
        response.read()
    finally:
        response.close()
    return error_from_response(response, trace_id)


class BaseClient(ClientCore):
    """HTTP/SSE/WebSocket client of one IEOPS worker (Unix socket or TCP)."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float | Timeout = Timeout(),  # noqa: B008 - frozen, shared safely
        retries: int | RetryPolicy = 2,
        trace_id: str | None = None,
        headers: Mapping[str, str] | None = None,
        http_client: httpx.Client | None = None,
    ) -> None:
        super().__init__(
            base_url, timeout=timeout, retries=retries, trace_id=trace_id, headers=headers
        )
        if http_client is not None:
            self._http = http_client
            self._owns_http = False
        else:
            uds = self._endpoint.uds
            self._http = httpx.Client(
                transport=httpx.HTTPTransport(uds=uds) if uds else None,
                timeout=self._timeout.httpx_timeout(None),
                headers={"Accept": JSON},
            )
            self._owns_http = True
            self._accept_json_by_default = True

    # -- lifecycle -----------------------------------------------------------------------

    def close(self) -> None:
        """Close pooled connections (not those of a caller-provided ``http_client``)."""
        if self._owns_http:
            self._http.close()

    def __enter__(self: _Self) -> _Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- what generated methods call -----------------------------------------------------

    def _request(
        self,
        method: str,
        path: str,
        *,
        path_params: Mapping[str, object] | None = None,
        query: Mapping[str, object] | None = None,
        headers: Mapping[str, object] | None = None,
        body: object = None,
        response_model: type[T],
        retries: int | RetryPolicy | None = None,
        timeout: float | Timeout | None = None,
        trace_id: str | None = None,
        redirect: bool = False,
    ) -> T:
        """One JSON call; returns the validated body. Raises ``IEOPSError`` subclasses.

        ``redirect``: the operation answers a redirect (3xx); the call does not follow it
        and returns its ``Location`` (``response_model`` is ``str``)."""
        # ``_request_raw`` without the ``APIResponse``: this is every generated JSON
        # method's path, so it stays one call deep (bench/client_bench.py).
        p = self._prepare(
            method,
            path,
            path_params=path_params,
            query=query,
            headers=headers,
            body=body,
            trace_id=trace_id,
            timeout=timeout,
            retries=retries,
            accept=JSON,
            redirect=redirect,
        )
        if p.deadline is None:  # no total timeout to keep: no wrapper
            response, tid = self._send_traced(p, stream=False)
        else:
            response, tid = within_total(p, lambda: self._send_traced(p, stream=False))
        return p.result(response_model, response, tid)

    def _request_raw(
        self,
        method: str,
        path: str,
        *,
        path_params: Mapping[str, object] | None = None,
        query: Mapping[str, object] | None = None,
        headers: Mapping[str, object] | None = None,
        body: object = None,
        response_model: type[T],
        retries: int | RetryPolicy | None = None,
        timeout: float | Timeout | None = None,
        trace_id: str | None = None,
        redirect: bool = False,
    ) -> APIResponse[T]:
        """Like ``_request`` but also returns status, headers and the echoed trace id."""
        p = self._prepare(
            method,
            path,
            path_params=path_params,
            query=query,
            headers=headers,
            body=body,
            trace_id=trace_id,
            timeout=timeout,
            retries=retries,
            accept=JSON,
            redirect=redirect,
        )
        response, tid = within_total(p, lambda: self._send_traced(p, stream=False))
        return APIResponse(
            p.result(response_model, response, tid),
            response.status_code,
            response.headers,
            tid,
            response,
        )

    def _stream(
        self,
        method: str,
        path: str,
        *,
        path_params: Mapping[str, object] | None = None,
        query: Mapping[str, object] | None = None,
        headers: Mapping[str, object] | None = None,
        body: object = None,
        event_model: type[E],
        retries: int | RetryPolicy | None = None,
        timeout: float | Timeout | None = None,
        trace_id: str | None = None,
        idle_timeout: float | None = None,
    ) -> EventStream[E]:
        """A typed SSE stream; the request is sent when the stream opens."""
        p = self._prepare(
            method,
            path,
            path_params=path_params,
            query=query,
            headers=headers,
            body=body,
            trace_id=trace_id,
            timeout=timeout,
            retries=retries,
            accept=EVENT_STREAM,
        )
        idle = p.timeout.idle if idle_timeout is None else idle_timeout

        def open_checked() -> httpx.Response:
            response = self._send(p, stream=True, read=idle)
            self.last_trace_id = response.headers.get(TRACE_HEADER) or p.trace_id
            if response.status_code >= 400:
                raise _status_error(response, p.trace_id)
            ctype = response.headers.get("content-type", "")
            if not ctype.startswith(EVENT_STREAM):
                response.close()
                raise ResponseValidationError(
                    f"{p.what}: expected {EVENT_STREAM}, got {ctype or 'no content type'}",
                    status=response.status_code,
                    trace_id=self.last_trace_id,
                    response=response,
                )
            return response

        def opener() -> httpx.Response:
            return within_total(p, open_checked)

        return EventStream(
            opener,
            event_model,
            trace_id=p.trace_id,
            idle_timeout=idle,
            deadline=p.deadline,
            data_errors=self.error_format == "openai",
        )

    def _download(
        self,
        method: str,
        path: str,
        *,
        path_params: Mapping[str, object] | None = None,
        query: Mapping[str, object] | None = None,
        headers: Mapping[str, object] | None = None,
        body: object = None,
        retries: int | RetryPolicy | None = None,
        timeout: float | Timeout | None = None,
        trace_id: str | None = None,
        accept: str = "*/*",
    ) -> ByteStream:
        """A binary response as a stream (``client/files.py``), read as it is used.

        ``accept``: the type asked for (an operation offering JSON or this type).
        """
        p = self._prepare(
            method,
            path,
            path_params=path_params,
            query=query,
            headers=headers,
            body=body,
            trace_id=trace_id,
            timeout=timeout,
            retries=retries,
            accept=accept,
        )
        response, tid = self._send_traced(p, stream=True)
        return ByteStream(response, tid)

    def _websocket(
        self,
        path: str,
        *,
        path_params: Mapping[str, object] | None = None,
        query: Mapping[str, object] | None = None,
        headers: Mapping[str, object] | None = None,
        send_model: type[S],
        receive_model: type[R],
        retries: int | RetryPolicy | None = None,
        timeout: float | Timeout | None = None,
        trace_id: str | None = None,
    ) -> WebSocketClientSession[S, R]:
        """A typed WebSocket session; connects when first used or entered."""
        uri = self._ws_uri(path, path_params, query)
        tid = pick_trace_id(trace_id, self._trace_id)
        hdrs = build_headers(self._headers, headers, tid, None, False)
        t = self._timeout if timeout is None else Timeout.of(timeout)
        policy = self._policy if retries is None else RetryPolicy.of(retries, self._policy)
        what = f"WebSocket {path}"

        def connector() -> SyncConnection:
            deadline = None if t.total is None else time.monotonic() + t.total
            p = Prepared("GET", uri, None, hdrs, None, tid, t, policy, deadline, what)
            return self._ws_connect(p)

        return WebSocketClientSession(connector, send_model, receive_model, trace_id=tid)

    # -- machinery -----------------------------------------------------------------------

    def _send_traced(self, p: Prepared, *, stream: bool) -> tuple[httpx.Response, str]:
        """Send ``p``; the echoed trace id (also ``last_trace_id``, on an error too), or the
        typed error of an error status."""
        try:
            response = self._send(p, stream=stream, read=None)
        except IEOPSError as exc:
            self.last_trace_id = exc.trace_id
            raise
        tid = response.headers.get(TRACE_HEADER) or p.trace_id
        self.last_trace_id = tid
        if response.status_code >= 400:
            if stream:
                raise _status_error(response, p.trace_id)
            raise error_from_response(response, p.trace_id)
        return response, tid

    def _send(self, p: Prepared, *, stream: bool, read: float | None) -> httpx.Response:
        """Send with retries where safe (connection never made, 429/503)."""
        attempt = 0
        while True:
            # Rebuilt for each try: a streamed upload opens its source again (files.py).
            remaining = p.remaining()
            if remaining is None and read is None and p.timeout is self._timeout:
                timeouts = self._timeouts  # the client's own, worked out once
            else:
                timeouts = p.timeout.extension(remaining, read)
            request = self._http.build_request(
                p.method,
                p.url,
                params=p.params,
                headers=p.headers,
                content=request_content(p.content),
                extensions={"timeout": timeouts},
            )
            try:
                response = self._http.send(
                    request,
                    stream=stream,
                    follow_redirects=False if p.redirect else httpx.USE_CLIENT_DEFAULT,
                )
            except httpx.TransportError as exc:
                delay = p.retry_delay(attempt, error=exc)
                if delay is None:
                    raise transport_error(exc, p.trace_id, p.what) from exc
            else:
                delay = p.retry_delay(
                    attempt, status=response.status_code, headers=response.headers
                )
                if delay is None:  # the answer, or a refusal with no retry left
                    return response
                response.close()
            sleep(delay)
            attempt += 1

    def _ws_connect(self, p: Prepared) -> SyncConnection:
        """The handshake, with retries where safe (connection refused, 429/503)."""
        attempt = 0
        while True:
            open_timeout = _cut(p.timeout.connect, p.remaining())
            try:
                return connect_ws(self._endpoint.uds, p.url, p.headers, open_timeout)
            except InvalidStatus as exc:
                error = handshake_error(exc, p.trace_id)
                delay = p.retry_delay(
                    attempt, status=exc.response.status_code, headers=exc.response.headers
                )
                if delay is None:
                    raise error from exc
            except (TimeoutError, asyncio.TimeoutError) as exc:  # distinct before Python 3.11
                raise RequestTimeoutError(
                    f"{p.what}: handshake timeout", trace_id=p.trace_id
                ) from exc
            except (ConnectionRefusedError, FileNotFoundError) as exc:
                delay = p.retry_delay(attempt, error=exc)
                if delay is None:
                    raise APIConnectionError(f"{p.what}: {exc}", trace_id=p.trace_id) from exc
            except (OSError, WebSocketException) as exc:
                raise APIConnectionError(f"{p.what}: {exc}", trace_id=p.trace_id) from exc
            sleep(delay)
            attempt += 1
