"""How a service writes its errors: the seed's envelope (the default) or OpenAI's.

One :class:`ErrorFormat` per route decides, for every failure that route can report, the
status, the JSON body, the SSE frame that ends a failed stream and the WebSocket error
message. The classification (:func:`errors.error_for_exception`) is shared; only the
rendering differs, so both formats agree on what went wrong.

- ``ieops`` (default, seed-compatible): ``{"message", "type", "trace_id"}`` (+ ``details``),
  422 for validation errors, ``event: error`` frames.
- ``openai``: ``{"error": {"message", "type", "param", "code"}}``, 400 for validation
  errors, failed streams end with ``data: {"error": {...}}`` (what the official clients
  raise from). ``code`` is the runtime's own error type (``validation_error``,
  ``not_found``, ``timeout_error``...), ``type`` OpenAI's coarse class.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic_core import to_json
from starlette.requests import HTTPConnection
from starlette.responses import Response

from ..tracing import (
    REQUEST_ID_HEADER,
    TRACE_HEADER,
    accept_ids,
    current_request_id,
    current_trace_id,
    id_header_map,
)
from .errors import ErrorInfo

DEFAULT = "ieops"


class ErrorFormat:
    """The seed's format; subclasses change what they must."""

    name = DEFAULT

    def status(self, info: ErrorInfo) -> int:
        return info.status

    def body(self, info: ErrorInfo, trace_id: str | None) -> dict[str, Any]:
        return info.body(trace_id)

    def encode(self, info: ErrorInfo, trace_id: str | None) -> bytes:
        """The JSON bytes of an error response's body."""
        return to_json(self.body(info, trace_id), inf_nan_mode="null", fallback=str)

    def response(self, request: HTTPConnection, info: ErrorInfo) -> Response:
        """The error as a Starlette response, for answers outside the runtime's endpoints
        (the app's 404/500, a plain request on a WebSocket route): the request's ids as
        bound, else from its headers; ``info.headers`` kept."""
        trace_id = current_trace_id.get()
        if trace_id is None:
            trace_id, request_id = accept_ids(
                request.headers.get(TRACE_HEADER), request.headers.get(REQUEST_ID_HEADER)
            )
        else:
            request_id = current_request_id.get() or trace_id
        return Response(
            self.encode(info, trace_id),
            status_code=self.status(info),
            headers={**info.headers, **id_header_map(trace_id, request_id)},
            media_type="application/json",
        )

    def frame(self, info: ErrorInfo, trace_id: str | None) -> bytes:
        """The SSE frame that ends a stream which failed after its first event."""
        # json.dumps, as before the formats existed: the seed's frames, byte for byte
        body = json.dumps(self.body(info, trace_id), default=str).encode()
        return b"event: error\ndata: " + body + b"\n\n"

    def message(self, info: ErrorInfo, trace_id: str | None) -> str:
        """A WebSocket error message (the session goes on)."""
        return json.dumps({"error": info.body(trace_id)}, default=str)


class OpenAIErrorFormat(ErrorFormat):
    """OpenAI's error object, status codes and mid-stream error."""

    name = "openai"

    def status(self, info: ErrorInfo) -> int:
        return 400 if info.status == 422 else info.status

    def body(self, info: ErrorInfo, trace_id: str | None) -> dict[str, Any]:
        status = info.status
        kind = (
            "server_error"
            if status >= 500
            else "rate_limit_error"
            if status == 429
            else "invalid_request_error"
        )
        return {
            "error": {
                "message": info.message,
                "type": kind,
                "param": _param(info.details),
                "code": info.error_type,
            }
        }

    def frame(self, info: ErrorInfo, trace_id: str | None) -> bytes:
        return b"data: " + self.encode(info, trace_id) + b"\n\n"

    def message(self, info: ErrorInfo, trace_id: str | None) -> str:
        return self.encode(info, trace_id).decode()


def _param(details: Any) -> str | None:
    """The request field a validation error is about (``input``, ``messages.0.role``)."""
    if not isinstance(details, list) or not details or not isinstance(details[0], dict):
        return None
    loc = details[0].get("loc")
    if not isinstance(loc, (list, tuple)) or not loc:
        return None
    parts: list[str] = []
    for part in loc:  # up to pydantic's union-branch tags ("constrained-str", "Message")
        if not isinstance(part, int) and (
            not isinstance(part, str) or not _FIELD.match(part) or part in _TYPE_TAGS
        ):
            break
        parts.append(str(part))
    return ".".join(parts) or str(loc[0])


_FIELD = re.compile(r"^[a-z_][a-z0-9_]*$")
_TYPE_TAGS = frozenset({"str", "int", "float", "bool", "list", "dict", "none", "bytes"})


FORMATS: dict[str, ErrorFormat] = {f.name: f for f in (ErrorFormat(), OpenAIErrorFormat())}


def error_format(name: str | None) -> ErrorFormat:
    """The format called ``name`` (``None``: the default); an unknown name is refused."""
    try:
        return FORMATS[name or DEFAULT]
    except KeyError:
        known = ", ".join(sorted(FORMATS))
        raise ValueError(f"unknown error format {name!r} (known: {known})") from None


__all__ = ["DEFAULT", "FORMATS", "ErrorFormat", "OpenAIErrorFormat", "error_format"]
