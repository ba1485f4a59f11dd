"""uvicorn's httptools protocol with the limits a worker behind a shared proxy needs.

httptools (llhttp) is the fast parser, but it has no limits: it buffers a header of any
size and any number of headers, and uvicorn closes neither idle new connections nor ones
whose headers never end. This subclass adds, per connection and at no cost to a request
that arrives in one piece:

- request line + headers over ``SERVER_MAX_HEADER_SIZE`` bytes, or more than
  ``SERVER_MAX_HEADERS`` fields → 431; memory per connection stays under the limit plus
  one read (counted after each read, and per field as the parser completes it);
- headers not complete ``SERVER_HEADER_TIMEOUT`` s after they started → 408 (the timer is
  armed only when a read leaves the headers unfinished);
- a connection idle ``SERVER_KEEPALIVE_TIMEOUT`` s — new, or between requests — is closed;
- a connection opened past ``SERVER_MAX_CONNECTIONS`` is answered 503 ``overloaded`` at
  once and closed, so the worker keeps answering instead of running out of file
  descriptors (the event loop then resets pending connections without a response);
- while the worker drains, every response carries ``Connection: close``; idle connections
  stay open until the drain ends, so a pooled client's next request is answered (with
  ``Connection: close``) rather than lost in a race with the close.

Refusals are written directly (the app never sees the request), as the runtime's JSON
envelope in the server's error format (rendered by ``routing._responses.protocol_refusal``),
then the connection is half-closed and what the client still sends is read and dropped for
a moment, so the client gets to read the answer instead of a reset.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any, Protocol, cast

import httptools
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from ..routing._responses import SEED, ErrorBody, protocol_refusal
from ..utils import log

_logger = log.get_logger("serving")

LINGER = 1.0
"""Seconds a refused connection is read (and dropped) before it is closed."""
OVER_CAP_LINGER = 0.25
"""The same for a connection past the cap (short: it holds a file descriptor)."""


@dataclass(frozen=True)
class ConnectionLimits:
    max_header_size: int
    max_headers: int
    header_timeout: float
    keepalive_timeout: float
    max_connections: int

    @classmethod
    def from_env(cls) -> ConnectionLimits:
        """The limits the ``SERVER_*`` variables set (the cap defaults from the fd limit)."""
        from ..config import env

        settings = env.server
        return cls(
            max_header_size=settings.max_header_size,
            max_headers=settings.max_headers,
            header_timeout=settings.header_timeout,
            keepalive_timeout=settings.keepalive_timeout,
            max_connections=settings.max_connections or default_max_connections(),
        )


class _RefusalLog:
    """One log line per kind of refusal per ``EVERY`` seconds, with a count: an attack of
    thousands of connections must not turn into thousands of log lines."""

    EVERY = 5.0

    def __init__(self) -> None:
        self._last: dict[int, float] = {}
        self._quiet: dict[int, int] = {}

    def note(self, status: int, error_type: str, peer: str) -> None:
        now = time.monotonic()
        if now - self._last.get(status, -self.EVERY) < self.EVERY:
            self._quiet[status] = self._quiet.get(status, 0) + 1
            return
        self._last[status] = now
        more = self._quiet.pop(status, 0)
        also = f" (and {more} more since the last line)" if more else ""
        _logger.warning("refused a connection from %s: %d %s%s", peer, status, error_type, also)


_refusals = _RefusalLog()


class _Refused(Exception):
    """Raised in a parser callback to stop parsing a request that broke a limit."""


class _Draining(Protocol):
    """Tells the protocol whether the worker is draining (the server's lifecycle)."""

    @property
    def draining(self) -> bool: ...


class LimitedHttpToolsProtocol(HttpToolsProtocol):
    """See the module docstring. Configured by subclassing (:func:`protocol_class`)."""

    limits: ConnectionLimits
    lifecycle: _Draining | None = None
    error_body: ErrorBody = staticmethod(SEED.refusal_body)

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        # uvicorn annotates it as int, but only passes it to ``call_later``: seconds may be
        # fractional.
        self.timeout_keep_alive = cast(int, self.limits.keepalive_timeout)
        self._in_head = False
        self._head_bytes = 0
        self._head_read = 0
        self._head_fields = 0
        self._head_timer: asyncio.TimerHandle | None = None
        self._refusal: tuple[int, str, str] | None = None
        self._refused = False

    # -- connection -----------------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.limits.max_connections:
            # Answered at once, before the request: waiting for it would hold a file
            # descriptor, and running out of them makes the loop reset every pending
            # connection without a word.
            self._refuse(
                503,
                "overloaded",
                f"the worker has {self.limits.max_connections} connections open "
                "(SERVER_MAX_CONNECTIONS); retry shortly",
                extra=b"retry-after: 1\r\n",
                # A Unix socket needs no lingering: closing it never resets what was sent.
                linger=OVER_CAP_LINGER if self.client else 0.0,
            )
            return
        self.timeout_keep_alive_task = self.loop.call_later(
            self.limits.keepalive_timeout, self.timeout_keep_alive_handler
        )

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return  # lingering after a refusal: read and drop
        self._unset_keepalive_if_required()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
            return
        except httptools.HttpParserError:
            if self._refusal is not None:
                self._refuse(*self._refusal)
                return
            msg = "Invalid HTTP request received."
            self.logger.warning(msg)
            self.send_400_response(msg)
            return
        if self._in_head:
            # Bytes read while the headers are unfinished (what llhttp is holding); the
            # per-field count below is kept apart, so the two never add up twice.
            self._head_read += len(data)
            if self._head_read > self.limits.max_header_size:
                self._refuse(*self._too_large())
            elif self._head_timer is None:
                self._head_timer = self.loop.call_later(
                    self.limits.header_timeout, self._head_timed_out
                )

    # -- parser callbacks -----------------------------------------------------------------

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head = True
        self._head_bytes = 0
        self._head_read = 0
        self._head_fields = 0

    # on_url and on_header run for every request: uvicorn's bodies are inlined, not
    # called through super().

    def on_url(self, url: bytes) -> None:
        self._head_bytes += len(url)
        if self._head_bytes > self.limits.max_header_size:
            self._refusal = self._too_large()
            raise _Refused
        self.url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self._head_fields += 1
        self._head_bytes += len(name) + len(value) + 4
        limits = self.limits
        if self._head_fields > limits.max_headers or self._head_bytes > limits.max_header_size:
            self._refusal = (
                (
                    431,
                    "request_header_fields_too_large",
                    f"more than {limits.max_headers} header fields (SERVER_MAX_HEADERS)",
                )
                if self._head_fields > limits.max_headers
                else self._too_large()
            )
            raise _Refused
        name = name.lower()
        if name == b"expect" and value.lower() == b"100-continue":
            self.expect_100_continue = True
        self.headers.append((name, value))

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._cancel_head_timer()
        super().on_headers_complete()
        lifecycle = self.lifecycle
        if lifecycle is not None and lifecycle.draining and self.cycle is not None:
            self.cycle.keep_alive = False

    # -- refusals -------------------------------------------------------------------------

    def _too_large(self) -> tuple[int, str, str]:
        return (
            431,
            "request_header_fields_too_large",
            f"request line and headers are larger than {self.limits.max_header_size} bytes "
            "(SERVER_MAX_HEADER_SIZE)",
        )

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self._in_head and not self._refused and not self.transport.is_closing():
            seconds = self.limits.header_timeout
            self._refuse(
                408,
                "request_timeout",
                f"request headers did not arrive within {seconds:g} s (SERVER_HEADER_TIMEOUT)",
            )

    def _cancel_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _refuse(
        self,
        status: int,
        error_type: str,
        message: str,
        extra: bytes = b"",
        linger: float = LINGER,
    ) -> None:
        """Answer ``status`` with the envelope, then close (after a moment of lingering)."""
        self._refused = True
        self._in_head = False
        self._cancel_head_timer()
        self._unset_keepalive_if_required()
        _refusals.note(status, error_type, self._peer())
        transport = self.transport
        if transport.is_closing():
            return
        if self.cycle is not None and not self.cycle.response_complete:
            transport.close()  # a pipelined request is still being answered
            return
        transport.write(protocol_refusal(status, error_type, message, extra, self.error_body))
        if linger > 0 and transport.can_write_eof():
            transport.write_eof()
            self.loop.call_later(linger, transport.close)
        else:
            transport.close()

    def _peer(self) -> str:
        if self.client:
            return f"{self.client[0]}:{self.client[1]}"
        return "unix socket"

    # -- shutdown -------------------------------------------------------------------------

    def shutdown(self) -> None:
        """Draining: finish the request in flight and say ``Connection: close``.

        An idle connection is left open until the drain ends (the server closes it), so a
        request a client is sending on it right now is answered, not cut.
        """
        if self.cycle is not None and not self.cycle.response_complete:
            self.cycle.keep_alive = False

    def close_if_idle(self) -> bool:
        """Close the connection unless a response is in progress; whether it was idle."""
        if self.cycle is None or self.cycle.response_complete:
            if not self.transport.is_closing():
                self.transport.close()
            return True
        return False


def protocol_class(
    limits: ConnectionLimits, lifecycle: _Draining, error_body: ErrorBody = SEED.refusal_body
) -> type[asyncio.Protocol]:
    """The protocol uvicorn should use (``Config(http=...)``) with these limits, writing
    its refusals with ``error_body`` (the server's error format)."""
    return type(
        "WorkerHttpProtocol",
        (LimitedHttpToolsProtocol,),
        {"limits": limits, "lifecycle": lifecycle, "error_body": staticmethod(error_body)},
    )


def default_max_connections() -> int:
    """The soft file-descriptor limit less a margin for files, pipes and the listener."""
    import resource

    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return 4096
    return max(16, min(4096, soft - 64))


__all__ = [
    "ConnectionLimits",
    "LimitedHttpToolsProtocol",
    "default_max_connections",
    "protocol_class",
]
