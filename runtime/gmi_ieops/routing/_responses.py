"""Where every response byte the runtime writes is rendered (docs/architecture.md).

- **JSON bodies**: :func:`encode_json` (models by alias, unset ``None`` fields left out,
  planned once per class), :func:`json_text` for WebSocket messages, :func:`json_response`
  for the built-in endpoints (``/health``, ``/ready``, ``/openapi.json``).
- **Error envelopes**: one :class:`ErrorFormat` per route — the seed's
  ``{"message", "type", "trace_id"}`` (default) or :class:`OpenAIErrorFormat` — renders a
  failure as a status and body, an SSE frame, a WebSocket message, a WebSocket denial, a
  Starlette response (answers outside the endpoints) and the body of a refusal of the
  protocol layer (:func:`protocol_refusal`, raw HTTP/1.1). The classification (what went
  wrong: ``errors.error_for_exception``) is shared, so both formats agree.
- **SSE frames**: :func:`data_frame`, :data:`DONE_FRAME`; the error frame is the format's.
- **ASGI messages** of the endpoints: :func:`start`, :func:`send_json`, :func:`send_empty`,
  :meth:`ErrorFormat.send`, :func:`send_final`; WebSocket close codes and reasons.
- The seed's helpers :func:`error_body` and :func:`format_error_response`.

Three serializers, each kept for the bytes clients already see: ``pydantic_core`` (bodies,
compact), ``json.dumps`` (the seed's SSE error frames and WebSocket error messages, spaced,
as the seed wrote them) and Starlette's ``JSONResponse`` (``format_error_response`` and the
built-in endpoints). What a handler produces itself is sent as it is: binary bodies and
files by ``binary.py``, a ``Response`` it returns by Starlette.

Formats:

- ``ieops`` (default, seed-compatible): ``{"message", "type", "trace_id"}`` (+ ``details``),
  422 for validation errors, ``event: error`` frames.
- ``declared`` (:class:`DeclaredErrors`, built by ``ieops-gen``): the body the operation
  declares for the status (TGI's ``{"error", "error_type"}``, a petstore's ``{"code",
  "message"}``...), filled with the error's message, type, status, trace id and details.
- ``openai``: ``{"error": {"message", "type", "param", "code"}}``, 400 for validation
  errors, failed streams end with ``data: {"error": {...}}`` (what the official clients
  raise from). ``code`` is the runtime's own error type (``validation_error``,
  ``not_found``, ``timeout_error``...), ``type`` OpenAI's coarse class.
"""

from __future__ import annotations

import contextlib
import dataclasses
import enum
import functools
import json
import re
import typing
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple
from urllib.parse import quote

from pydantic import BaseModel, RootModel
from pydantic_core import to_json
from starlette.requests import HTTPConnection
from starlette.responses import JSONResponse, Response
from starlette.types import Send
from uvicorn.protocols.http.httptools_impl import STATUS_LINE

from ..tracing import (
    REQUEST_ID_HEADER,
    TRACE_HEADER,
    accept_ids,
    current_request_id,
    current_trace_id,
    generate_trace_id,
    id_header_map,
    id_headers,
)
from ._errors import ErrorInfo

# -- JSON -------------------------------------------------------------------------------


def encode_json(value: Any) -> bytes:
    """JSON bytes of a handler's value: models by alias, other values as pydantic would.

    An optional field the handler never set (its value the default ``None``) is left out:
    absent on the wire, never a ``null`` the schema may forbid. An explicit ``None`` the
    handler did set stays ``null`` (nullable fields), and unset fields with a non-null
    default are sent with it. ``NaN`` and infinities are not JSON: they are written as
    ``null`` (as models do).
    """
    if isinstance(value, BaseModel):
        exclude = unset_nones(value)
        return value.model_dump_json(by_alias=True, exclude=exclude).encode()
    return to_json(value, by_alias=True, inf_nan_mode="null")


def json_text(value: Any) -> str:
    """:func:`encode_json` as text: a WebSocket message."""
    return encode_json(value).decode()


def json_response(content: Any, status_code: int = 200) -> Response:
    """A built-in endpoint's JSON answer (Starlette's compact ``json.dumps``)."""
    return JSONResponse(content, status_code=status_code)


def unset_nones(model: BaseModel, depth: int = 0) -> dict[Any, Any] | None:
    """The ``exclude`` argument that drops unset ``None`` fields, nested models included.

    Only the fields :func:`_fields_to_check` names are looked at, so a model whose fields
    can neither default to ``None`` nor hold a model costs one cache lookup.
    """
    checks = _fields_to_check(type(model))
    if not checks or depth > 32:
        return None
    if isinstance(model, RootModel):  # exclusions apply to the root value itself
        return _within(model.root, depth)
    exclude: dict[Any, Any] = {}
    fields_set = model.__pydantic_fields_set__
    for name in checks:
        value = getattr(model, name, None)
        if value is None:
            if name not in fields_set:
                exclude[name] = True
        elif (inner := _within(value, depth)) is not None:
            exclude[name] = inner
    return exclude or None


def _within(value: Any, depth: int) -> dict[Any, Any] | None:
    """The exclusions inside one value: a model, or a list or map holding models at any
    depth (``dict[str, list[Tag]]``). A list whose first item is neither a model nor a
    container (a vector) is not walked."""
    if isinstance(value, BaseModel):
        return unset_nones(value, depth + 1)
    if depth > 32:
        return None
    if isinstance(value, list | tuple):
        if not value or not isinstance(value[0], BaseModel | list | tuple | dict):
            return None
        found = {i: inner for i, item in enumerate(value) if (inner := _within(item, depth + 1))}
    elif isinstance(value, dict):
        found = {k: inner for k, item in value.items() if (inner := _within(item, depth + 1))}
    else:
        return None
    return found or None


@functools.cache
def _fields_to_check(cls: type[BaseModel]) -> tuple[str, ...]:
    """The fields of ``cls`` that may need an exclusion: those whose default is ``None``,
    and those whose annotation can hold a model (keyed by the runtime class, so a subclass
    a handler returns is planned on its own fields)."""
    return tuple(
        name
        for name, field in cls.model_fields.items()
        if (not field.is_required() and field.default is None) or _can_hold_model(field.annotation)
    )


_CONTAINERS = (object, list, tuple, set, frozenset, dict)


def _can_hold_model(annotation: Any) -> bool:
    """Whether a value of this type may be (or hold) a model; ``True`` when unsure."""
    if annotation is None or annotation is type(None):
        return False
    if annotation is typing.Any:  # a class since Python 3.11
        return True
    if isinstance(annotation, type) and not typing.get_args(annotation):
        return issubclass(annotation, BaseModel) or annotation in _CONTAINERS
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        return False
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return _can_hold_model(args[0])
    if origin is not None and args:
        return any(_can_hold_model(arg) for arg in args if arg is not Ellipsis)
    return True  # Any, a TypeVar, a forward reference: look at the value


# -- SSE --------------------------------------------------------------------------------

DONE_FRAME = b"data: [DONE]\n\n"


def data_frame(item: Any) -> bytes:
    """``data: <json>\\n\\n``; text items are sent as they are (one ``data:`` line per line)."""
    if isinstance(item, bytes):
        item = item.decode()
    if isinstance(item, str):
        lines = item.splitlines() or [""]
        return b"".join(b"data: " + line.encode() + b"\n" for line in lines) + b"\n"
    return b"data: " + encode_json(item) + b"\n\n"


# -- ASGI messages ----------------------------------------------------------------------

JSON = b"application/json"
EVENT_STREAM = b"text/event-stream"


def start(
    status: int,
    content_type: bytes,
    trace_id: str,
    extra: list[tuple[bytes, bytes]] | None = None,
    length: int | None = None,
) -> dict[str, Any]:
    """``http.response.start``: the content type, the request's ids, the length if known
    (else uvicorn chunks the body), then ``extra``."""
    headers = [(b"content-type", content_type), *id_headers(trace_id)]
    if length is not None:
        headers.append((b"content-length", str(length).encode()))
    if extra:
        headers.extend(extra)
    return {"type": "http.response.start", "status": status, "headers": headers}


BODYLESS_STATUSES = frozenset({204, 205, 304})
"""Statuses that carry no content (RFC 9110): bytes written after their head would be read
as the start of the next response on the connection."""


async def send_json(send: Send, status: int, payload: bytes, trace_id: str) -> None:
    """A JSON body; none at all for a status that carries none (a handler's value for a
    204 — a spec declaring content on one — is dropped, not written into the stream)."""
    if status in BODYLESS_STATUSES:
        await send_empty(send, status, trace_id)
        return
    await send(start(status, JSON, trace_id, length=len(payload)))
    await send({"type": "http.response.body", "body": payload})


async def send_empty(send: Send, status: int, trace_id: str, *extra: tuple[bytes, bytes]) -> None:
    """No content: no body and no content type (``content-length: 0`` except for 204/304);
    ``extra`` headers after the ids (a redirect's ``Location``)."""
    headers = [*id_headers(trace_id), *extra]
    if status not in (204, 304):  # 205 says its (empty) length
        headers.append((b"content-length", b"0"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b""})


_URL_SAFE = "".join(chr(c) for c in range(0x21, 0x7F))
"""A redirect target keeps its printable ASCII; spaces, controls (no header injection) and
other characters are percent-encoded (UTF-8)."""


def location_header(url: str) -> tuple[bytes, bytes]:
    """A redirect's ``Location``, safe to send whatever the handler returned."""
    return (b"location", quote(url, safe=_URL_SAFE).encode("ascii"))


async def send_final(send: Send, frame: bytes) -> None:
    """The last body message of a started response; best effort (the connection may
    already be gone)."""
    with contextlib.suppress(Exception):
        await send({"type": "http.response.body", "body": frame, "more_body": False})


class Close(NamedTuple):
    """A WebSocket close the runtime decides: code and reason."""

    code: int
    reason: str

    def message(self) -> dict[str, Any]:
        """The ASGI ``websocket.close`` message."""
        return {"type": "websocket.close", "code": self.code, "reason": self.reason}


OVERLOADED = Close(1013, "overloaded")  # try again later
NOT_UTF8 = Close(1007, "binary message is not UTF-8 JSON text")  # invalid payload
STARTUP_FAILED = Close(1011, "startup failed")


def policy_violation(message: str) -> Close:
    """A handshake refused after it was accepted (no denial response): 1008 and the
    message, cut to fit a close frame."""
    return Close(1008, message[:120])


# -- error envelopes --------------------------------------------------------------------

DEFAULT = "ieops"


class ErrorFormat:
    """The seed's format; subclasses change what they must."""

    name = DEFAULT

    def status(self, info: ErrorInfo) -> int:
        return info.status

    def body(self, info: ErrorInfo, trace_id: str | None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "message": info.message,
            "type": info.error_type,
            "trace_id": trace_id or current_trace_id.get() or "",
        }
        if info.details is not None:
            body["details"] = info.details
        return body

    def schema(self, v30: bool = False) -> dict[str, Any]:
        """The JSON Schema of :meth:`body`'s values (OpenAPI 3.0's spelling with ``v30``),
        for the documents that declare these errors."""
        return {
            "type": "object",
            "required": ["message", "type", "trace_id"],
            "properties": {
                "message": {"type": "string"},
                "type": {"type": "string"},
                "trace_id": {"type": "string"},
                "details": {},
            },
        }

    def encode(self, info: ErrorInfo, trace_id: str | None) -> bytes:
        """The JSON bytes of an error response's body."""
        return to_json(self.body(info, trace_id), inf_nan_mode="null", fallback=str)

    async def send(self, send: Send, info: ErrorInfo, trace_id: str) -> None:
        """The error as an endpoint's whole response (``info.headers`` kept)."""
        payload = self.encode(info, trace_id)
        extra = [
            (k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in info.headers.items()
        ]
        await send(start(self.status(info), JSON, trace_id, extra, len(payload)))
        await send({"type": "http.response.body", "body": payload})

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

    def denial(self, info: ErrorInfo, trace_id: str) -> Response:
        """The HTTP answer to a refused WebSocket handshake (``websocket.http.response``)."""
        return Response(
            self.encode(info, trace_id),
            status_code=self.status(info),
            media_type="application/json",
            headers={name.decode(): value.decode() for name, value in id_headers(trace_id)},
        )

    def frame(self, info: ErrorInfo, trace_id: str | None) -> bytes:
        """The SSE frame that ends a stream which failed after its first event."""
        # json.dumps, as before the formats existed: the seed's frames, byte for byte
        body = json.dumps(self.body(info, trace_id), default=str).encode()
        return b"event: error\ndata: " + body + b"\n\n"

    def message(self, info: ErrorInfo, trace_id: str | None) -> str:
        """A WebSocket error message (the session goes on)."""
        return json.dumps({"error": self.body(info, trace_id)}, default=str)

    def refusal_body(self, status: int, error_type: str, message: str, trace_id: str) -> bytes:
        """The body of a refusal of the protocol layer (431, 408, 503): the ``ErrorBody``
        that :func:`protocol_refusal` renders with."""
        return self.encode(ErrorInfo(status, error_type, message), trace_id)


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

    def schema(self, v30: bool = False) -> dict[str, Any]:
        param = {"type": "string", "nullable": True} if v30 else {"type": ["string", "null"]}
        error = {
            "type": "object",
            "required": ["message", "type", "param", "code"],
            "properties": {
                "message": {"type": "string"},
                "type": {"type": "string"},
                "param": param,
                "code": {"type": "string"},
            },
        }
        return {"type": "object", "required": ["error"], "properties": {"error": error}}

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


class ErrorField(enum.Enum):
    """A value of the runtime's error that a declared error body holds (:class:`DeclaredErrors`)."""

    MESSAGE = "message"
    STATUS = "status"  # the HTTP status, an integer
    TRACE_ID = "trace_id"
    DETAILS = "details"  # what failed validation (pydantic's errors), else []


@dataclasses.dataclass(frozen=True)
class ErrorType:
    """The runtime's error type (``validation_error``, ``overloaded``...) as a declared body
    spells it: ``values`` maps it to a member of the declared enum, ``otherwise`` stands for
    the rest; without either it is written as it is."""

    values: Mapping[str, str] = dataclasses.field(default_factory=dict)
    otherwise: str | None = None

    def of(self, error_type: str) -> str:
        return self.values.get(error_type) or self.otherwise or error_type


ErrorShape = Mapping[str, Any] | ErrorField
"""A declared error body: JSON values, with :class:`ErrorField` and :class:`ErrorType`
where the error's own values go, and nested shapes; or a bare :class:`ErrorField` (a body
that is only the message, as LangGraph's)."""


class DeclaredErrors(ErrorFormat):
    """Errors written in the bodies the operation declares for their status.

    ``shapes`` is keyed as OpenAPI keys responses: a status (``"422"``), a class
    (``"4XX"``) or ``"default"``, looked up in that order. A status with no shape, or a
    shape of ``None`` (the spec declares a body that the seed's envelope fits), is written
    in the seed's envelope. ``ieops-gen`` builds one for a spec whose error bodies the seed's
    envelope does not fit (docs/generator.md, "Declared error bodies").
    """

    name = "declared"

    def __init__(self, shapes: Mapping[str, ErrorShape | None]) -> None:
        self.shapes = dict(shapes)

    def shape(self, status: int) -> ErrorShape | None:
        for key in (str(status), f"{status // 100}XX", "default"):
            if key in self.shapes:
                return self.shapes[key]
        return None

    def body(self, info: ErrorInfo, trace_id: str | None) -> Any:
        shape = self.shape(self.status(info))
        if shape is None:
            return super().body(info, trace_id)
        return _fill(shape, info, trace_id or current_trace_id.get() or "")

    def __repr__(self) -> str:
        return f"DeclaredErrors({self.shapes!r})"


def _fill(shape: Any, info: ErrorInfo, trace_id: str) -> Any:
    """``shape`` with the error's values in its :class:`ErrorField` and :class:`ErrorType`
    places."""
    if isinstance(shape, ErrorField):
        return {
            ErrorField.MESSAGE: info.message,
            ErrorField.STATUS: info.status,
            ErrorField.TRACE_ID: trace_id,
            ErrorField.DETAILS: info.details if info.details is not None else [],
        }[shape]
    if isinstance(shape, ErrorType):
        return shape.of(info.error_type)
    if isinstance(shape, Mapping):
        return {key: _fill(item, info, trace_id) for key, item in shape.items()}
    return shape


FORMATS: dict[str, ErrorFormat] = {f.name: f for f in (ErrorFormat(), OpenAIErrorFormat())}
SEED = FORMATS[DEFAULT]


def error_schema(format_name: str, v30: bool = False) -> dict[str, Any]:
    """The JSON Schema of the error bodies the runtime writes in format ``format_name``
    (``"ieops"``, the seed's envelope, or ``"openai"``): what ``ieops-gen`` declares in a
    served document where an operation says nothing of them; an unknown name is refused."""
    return error_format(format_name).schema(v30)


def error_format(name: str | ErrorFormat | None) -> ErrorFormat:
    """The format called ``name`` (``None``: the default), or ``name`` when it is one; an
    unknown name is refused."""
    if isinstance(name, ErrorFormat):
        return name
    try:
        return FORMATS[name or DEFAULT]
    except KeyError:
        known = ", ".join(sorted(FORMATS))
        raise ValueError(f"unknown error format {name!r} (known: {known})") from None


ErrorBody = Callable[[int, str, str, str], bytes]
"""``(status, type, message, trace id) → JSON bytes``: a format's :meth:`refusal_body`."""


def protocol_refusal(
    status: int,
    error_type: str,
    message: str,
    extra: bytes = b"",
    render: ErrorBody = SEED.refusal_body,
) -> bytes:
    """A complete HTTP/1.1 error response of the protocol layer (the app never saw the
    request) in the server's error format (``render``), closing the connection."""
    trace_id = generate_trace_id()
    body = render(status, error_type, message, trace_id)
    ids = b"".join(name + b": " + value + b"\r\n" for name, value in id_headers(trace_id))
    return b"".join(
        [
            STATUS_LINE[status],
            b"content-type: application/json\r\n",
            b"content-length: %d\r\n" % len(body),
            ids,
            extra,
            b"connection: close\r\n\r\n",
            body,
        ]
    )


# -- the seed's helpers (gmi_ieops.handler) ---------------------------------------------


def error_body(
    message: str, error_type: str = "internal_error", trace_id: str | None = None
) -> dict[str, Any]:
    """The envelope as a dict, for SSE error frames and WebSocket messages."""
    return SEED.body(ErrorInfo(500, error_type, message), trace_id)


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
    return JSONResponse(SEED.body(info, trace_id), status_code, headers=id_header_map(trace_id))


__all__ = [
    "DEFAULT",
    "DONE_FRAME",
    "FORMATS",
    "NOT_UTF8",
    "OVERLOADED",
    "SEED",
    "STARTUP_FAILED",
    "Close",
    "DeclaredErrors",
    "ErrorBody",
    "ErrorField",
    "ErrorFormat",
    "ErrorShape",
    "ErrorType",
    "OpenAIErrorFormat",
    "data_frame",
    "encode_json",
    "error_body",
    "error_format",
    "format_error_response",
    "json_response",
    "json_text",
    "policy_violation",
    "protocol_refusal",
    "send_empty",
    "send_final",
    "send_json",
    "start",
    "unset_nones",
]
