"""The error envelope ``{"message", "type", "trace_id"}`` and how exceptions map onto it.

Every failure a client can see goes through :func:`error_for_exception`, so API routes,
SSE error frames and WebSocket error messages agree on types and wording.
"""

from __future__ import annotations

import http
import json
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse

from ..tracing import current_trace_id, generate_trace_id, id_header_map
from ..utils import log

_logger = log.get_logger("handler")


class RequestError(Exception):
    """An error the runtime raises about a request; becomes an envelope with ``status``."""

    def __init__(
        self,
        status: int,
        error_type: str,
        message: str,
        *,
        details: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.error_type = error_type
        self.message = message
        self.details = details
        self.headers = headers or {}


@dataclass
class ErrorInfo:
    """What a client is told about a failure."""

    status: int
    error_type: str
    message: str
    details: Any = None
    headers: dict[str, str] = field(default_factory=dict)

    def body(self, trace_id: str | None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "message": self.message,
            "type": self.error_type,
            "trace_id": trace_id or current_trace_id.get() or "",
        }
        if self.details is not None:
            body["details"] = self.details
        return body


def status_type(status: int) -> str:
    """``404`` → ``"not_found"``: the envelope type of an HTTP status without a special name."""
    try:
        return http.HTTPStatus(status).phrase.lower().replace(" ", "_").replace("-", "_")
    except ValueError:
        return "http_error"


def validation_details(exc: ValidationError) -> list[dict[str, Any]]:
    """pydantic's errors as JSON data; without the input when it is not text (bytes that
    are not UTF-8 cannot be written as JSON, and are not worth echoing)."""
    try:
        text = exc.json(include_url=False)
    except ValueError:
        text = exc.json(include_url=False, include_input=False)
    details: list[dict[str, Any]] = json.loads(text)
    for item in details:  # a JSON Schema check names the failing place in its context
        path = (item.get("ctx") or {}).get("path")
        if item.get("type") == "json_schema" and isinstance(path, list):
            item["loc"] = [*item.get("loc", []), *path]
    return details


def error_for_exception(exc: BaseException) -> ErrorInfo:
    """Classify an exception raised while handling a request."""
    if isinstance(exc, RequestError):
        return ErrorInfo(exc.status, exc.error_type, exc.message, exc.details, exc.headers)
    if isinstance(exc, StarletteHTTPException):
        detail = exc.detail
        message = detail if isinstance(detail, str) else json.dumps(detail, default=str)
        details = None if isinstance(detail, str) else detail
        return ErrorInfo(
            exc.status_code, status_type(exc.status_code), message, details, dict(exc.headers or {})
        )
    if isinstance(exc, ValidationError):
        # Raised by the handler's own code (e.g. building a response model): a server bug.
        # Without the input values: they may hold the request's data.
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(root)'}: {e['msg']}"
            for e in exc.errors(include_input=False, include_url=False)[:5]
        )
        _logger.error("handler produced invalid data (%s): %s", exc.title, problems)
        return ErrorInfo(500, "internal_error", "the handler produced an invalid response")
    if isinstance(exc, TimeoutError):
        return ErrorInfo(504, "timeout_error", "the request took longer than its timeout")
    _logger.error("unhandled error in handler", exc_info=exc)
    return ErrorInfo(500, "internal_error", "internal server error")


def error_body(
    message: str, error_type: str = "internal_error", trace_id: str | None = None
) -> dict[str, Any]:
    """The envelope as a dict, for SSE error frames and WebSocket messages."""
    return ErrorInfo(500, error_type, message).body(trace_id)


def format_error_response(
    message: str,
    error_type: str = "internal_error",
    status_code: int = 500,
    trace_id: str | None = None,
    details: Any = None,
) -> JSONResponse:
    """A ready JSON error response in the envelope every client of the worker understands."""
    trace_id = trace_id or current_trace_id.get() or generate_trace_id()
    info = ErrorInfo(status_code, error_type, message, details)
    return JSONResponse(info.body(trace_id), status_code, headers=id_header_map(trace_id))


__all__ = [
    "ErrorInfo",
    "RequestError",
    "error_body",
    "error_for_exception",
    "format_error_response",
    "status_type",
    "validation_details",
]
