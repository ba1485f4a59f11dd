"""Trace ids: one per request, carried in a context variable so every log line gets it.

Beside ``X-Trace-Id`` every response carries ``X-Request-Id`` (what OpenAI's clients and
most proxies read): the caller's when it sent an acceptable one, else the trace id.
"""

from __future__ import annotations

import contextvars
import os
import re
from collections.abc import Mapping

TRACE_HEADER = "x-trace-id"
REQUEST_ID_HEADER = "x-request-id"
_TRACE_RAW = TRACE_HEADER.encode()
_REQUEST_RAW = REQUEST_ID_HEADER.encode()

current_trace_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "ieops_trace_id", default=None
)

current_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "ieops_request_id", default=None
)
"""Set only when the caller's ``X-Request-Id`` differs from the trace id."""

ACCEPTABLE_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
"""An incoming id is echoed into headers and logs, so only harmless characters are
accepted (clients refuse others before sending)."""


def generate_trace_id() -> str:
    """A fresh 32-hex-digit id (the W3C trace-context size)."""
    return os.urandom(16).hex()  # secrets.token_hex(16), two Python calls fewer


def accept_trace_id(incoming: str | None) -> str:
    """The caller's id when it is well-formed, else a fresh one."""
    if incoming and ACCEPTABLE_ID.match(incoming):
        return incoming
    return generate_trace_id()


def accept_ids(trace: str | None, request: str | None) -> tuple[str, str]:
    """``(trace id, request id)`` of a request from its ``X-Trace-Id`` and ``X-Request-Id``.

    The trace id is the caller's ``X-Trace-Id``, else its ``X-Request-Id`` (a proxy's id
    then names the request in our logs too), else a fresh one; the request id is the
    caller's ``X-Request-Id``, else the trace id. Ill-formed values are ignored.
    """
    request_id = request if request and ACCEPTABLE_ID.match(request) else None
    if trace and ACCEPTABLE_ID.match(trace):
        return trace, request_id or trace
    trace_id = request_id or generate_trace_id()
    return trace_id, request_id or trace_id


def incoming_ids(headers: Mapping[bytes, bytes]) -> tuple[str | None, str | None]:
    """The caller's raw ``X-Trace-Id`` and ``X-Request-Id`` from ASGI headers (a mapping by
    lower-case name), not yet checked."""
    trace, request = headers.get(_TRACE_RAW), headers.get(_REQUEST_RAW)
    return (
        None if trace is None else trace.decode("latin-1"),
        None if request is None else request.decode("latin-1"),
    )


def id_headers(trace_id: str) -> list[tuple[bytes, bytes]]:
    """The ASGI response headers naming a request: ``x-trace-id`` and ``x-request-id``
    (the caller's, from :data:`current_request_id`, else the trace id)."""
    tid = trace_id.encode()
    request_id = current_request_id.get()
    return [(_TRACE_RAW, tid), (_REQUEST_RAW, request_id.encode() if request_id else tid)]


def id_header_map(trace_id: str, request_id: str | None = None) -> dict[str, str]:
    """:func:`id_headers` for a Starlette ``Response``'s ``headers=``."""
    return {
        TRACE_HEADER: trace_id,
        REQUEST_ID_HEADER: request_id or current_request_id.get() or trace_id,
    }


_Token = contextvars.Token[str | None]


def bind_ids(trace: str | None, request: str | None) -> tuple[str, _Token, _Token]:
    """Accept a request's ids and bind them for its duration: ``(trace id, tokens...)``;
    undo with :func:`unbind_ids`."""
    trace_id, request_id = accept_ids(trace, request)
    token = current_trace_id.set(trace_id)
    rtoken = current_request_id.set(request_id if request_id != trace_id else None)
    return trace_id, token, rtoken


def unbind_ids(token: _Token, rtoken: _Token) -> None:
    current_request_id.reset(rtoken)
    current_trace_id.reset(token)
