"""Typed errors: one base class, one subclass per thing a caller reacts to differently.

The server's error body is its envelope ``{"message", "type", "trace_id"}`` (+ ``details``
on 422); OpenAI's ``{"error": {"message", "type", "param", "code"}}`` for services that
declare that format (``code`` then holds the runtime's type); or the body the spec declares
for the status, whose ``message`` / ``error`` / ``detail`` string and ``type`` /
``error_type`` are read (TGI's ``{"error", "error_type"}``), else its text is the message.
All are decoded, whatever the client's service declares. The HTTP status picks the class
of a plain response, the type picks it for SSE error frames and WebSocket error messages,
which have no status of their own.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from ..tracing import TRACE_HEADER


class IEOPSError(Exception):
    """Base of every error the client raises; carries the server's envelope and trace id."""

    default_status: int | None = None
    default_type: str = "client_error"

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        type: str | None = None,
        trace_id: str | None = None,
        details: Any = None,
        response: httpx.Response | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status if status is not None else self.default_status
        self.type = type if type is not None else self.default_type
        self.trace_id = trace_id
        self.details = details
        self.response = response

    def __str__(self) -> str:
        parts = [self.message]
        if self.status is not None:
            parts.append(f"status={self.status}")
        parts.append(f"type={self.type}")
        if self.trace_id:
            parts.append(f"trace_id={self.trace_id}")
        return f"{parts[0]} ({', '.join(parts[1:])})"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(message={self.message!r}, status={self.status!r}, "
            f"type={self.type!r}, trace_id={self.trace_id!r})"
        )


class APIConnectionError(IEOPSError):
    """The server could not be reached, or the connection broke; the cause is chained."""

    default_type = "connection_error"


class RequestTimeoutError(IEOPSError):
    """A client-side limit (connect, read, write, pool, idle, total) or a server 504."""

    default_type = "timeout_error"


class APIStatusError(IEOPSError):
    """The server answered with an error status."""

    default_type = "http_error"


class ClientError(APIStatusError):
    """4xx: the request itself was wrong; retrying the same request will not help."""


class BadRequestError(ClientError):
    default_status = 400
    default_type = "bad_request"


class NotFoundError(ClientError):
    default_status = 404
    default_type = "not_found"


class RequestValidationError(ClientError):
    """422: the body or parameters did not validate on the server; ``details`` says where."""

    default_status = 422
    default_type = "validation_error"


class RateLimitError(ClientError):
    default_status = 429
    default_type = "rate_limited"

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after


class ServerError(APIStatusError):
    """5xx: the server failed."""

    default_status = 500
    default_type = "internal_error"


class OverloadedError(ServerError):
    """503: the worker's in-flight limit and queue were full; safe to retry later."""

    default_status = 503
    default_type = "overloaded"

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after


class GatewayTimeoutError(ServerError, RequestTimeoutError):
    """504: the handler ran past its route timeout on the server."""

    default_status = 504
    default_type = "timeout_error"


class ResponseValidationError(IEOPSError):
    """A response body, SSE event or WebSocket message did not fit its model."""

    default_type = "response_validation_error"


class WebSocketClosedError(IEOPSError):
    """The WebSocket session is closed (``code``/``reason`` as sent by the peer)."""

    default_type = "websocket_closed"

    def __init__(
        self, message: str, *, code: int | None = None, reason: str = "", **kw: Any
    ) -> None:
        super().__init__(message, **kw)
        self.code = code
        self.reason = reason


_BY_STATUS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    404: NotFoundError,
    422: RequestValidationError,
    429: RateLimitError,
    503: OverloadedError,
    504: GatewayTimeoutError,
}

_BY_TYPE: dict[str, type[APIStatusError]] = {
    "bad_request": BadRequestError,
    "not_found": NotFoundError,
    "validation_error": RequestValidationError,
    "rate_limited": RateLimitError,
    "overloaded": OverloadedError,
    "timeout_error": GatewayTimeoutError,
    # OpenAI's coarse types, for errors whose code is not one of ours
    "invalid_request_error": BadRequestError,
    "rate_limit_error": RateLimitError,
    "server_error": ServerError,
}


def class_for_status(status: int) -> type[APIStatusError]:
    """The error class of an HTTP status."""
    found = _BY_STATUS.get(status)
    if found is not None:
        return found
    if 400 <= status < 500:
        return ClientError
    if status >= 500:
        return ServerError
    return APIStatusError


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta seconds or an HTTP date), else None."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        from datetime import datetime, timezone
        from email.utils import parsedate_to_datetime

        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        seconds = (when - datetime.now(timezone.utc)).total_seconds()
    if seconds != seconds or seconds == float("inf"):  # NaN / inf
        return None
    return max(0.0, seconds)


def openai_error(payload: Any) -> dict[str, Any] | None:
    """The error object of OpenAI's ``{"error": {...}}``, else None."""
    if isinstance(payload, dict):
        inner = payload.get("error")
        if isinstance(inner, dict):
            return inner
    return None


def _envelope(payload: Any) -> tuple[str | None, str | None, str | None, Any]:
    if not isinstance(payload, dict):
        return None, None, None, None
    inner = openai_error(payload)
    if inner is not None:
        message = inner.get("message")
        code, kind = inner.get("code"), inner.get("type")
        # ``code`` is the runtime's own type when the server is ours (another server's
        # may be a number, or null): the more precise of the two.
        type_ = code if isinstance(code, str) and code else kind
        param, trace_id, details = inner.get("param"), inner.get("trace_id"), inner.get("details")
        if details is None and param:
            details = [{"loc": str(param).split("."), "msg": message}]
        return (
            str(message) if message is not None else None,
            str(type_) if type_ is not None else None,
            str(trace_id) if trace_id is not None else None,
            details,
        )
    message = payload.get("message")
    for other in ("error", "detail"):  # TGI's {"error", "error_type"}; plain Starlette errors
        if message is None and isinstance(payload.get(other), str):
            message = payload[other]
    type_ = payload.get("type", payload.get("error_type"))
    trace_id = payload.get("trace_id")
    return (
        str(message) if message is not None else None,
        str(type_) if type_ is not None else None,
        str(trace_id) if trace_id is not None else None,
        payload.get("details"),
    )


def error_from_response(response: httpx.Response, sent_trace_id: str | None) -> APIStatusError:
    """The typed error for an error response whose body has been read."""
    status = response.status_code
    trace_id = response.headers.get(TRACE_HEADER) or sent_trace_id
    content = response.content
    message: str | None = None
    type_: str | None = None
    details: Any = None
    try:
        payload = json.loads(content) if content else None
    except ValueError:
        payload = None
    if payload is not None:
        message, type_, body_trace, details = _envelope(payload)
        trace_id = body_trace or trace_id
    if message is None:
        text = content.decode("utf-8", "replace").strip()
        message = text[:2000] or (response.reason_phrase or f"HTTP {status}")
    cls = class_for_status(status)
    if type_ == "validation_error" and cls in (BadRequestError, ClientError):
        cls = RequestValidationError  # OpenAI's format answers 400 for it
    kw: dict[str, Any] = {
        "status": status,
        "type": type_ or f"http_{status}",
        "trace_id": trace_id,
        "details": details,
        "response": response,
    }
    if cls in (OverloadedError, RateLimitError):
        kw["retry_after"] = parse_retry_after(response.headers.get("retry-after"))
    return cls(message, **kw)


def error_from_envelope(payload: Any, fallback_trace_id: str | None) -> IEOPSError:
    """The typed error for an SSE error frame or a WebSocket error message (no status)."""
    message, type_, trace_id, details = _envelope(payload)
    inner = openai_error(payload) or {}
    cls: type[APIStatusError] = (
        _BY_TYPE.get(type_ or "") or _BY_TYPE.get(str(inner.get("type"))) or ServerError
    )
    return cls(
        message or "the server reported an error",
        type=type_ or cls.default_type,
        trace_id=trace_id or fallback_trace_id,
        details=details,
    )
