"""What went wrong: how exceptions map onto a status, an error type and a message.

Every failure a client can see goes through :func:`error_for_exception`, so API routes,
SSE error frames and WebSocket error messages agree on types and wording; how an
:class:`ErrorInfo` is written (the seed's envelope or OpenAI's) is ``responses.py``'s.
"""

from __future__ import annotations

import http
import json
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

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


__all__ = [
    "ErrorInfo",
    "RequestError",
    "error_for_exception",
    "status_type",
    "validation_details",
]
