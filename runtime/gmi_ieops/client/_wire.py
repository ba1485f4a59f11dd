"""Turning call arguments into wire bytes and back: URLs, paths, queries, bodies, models.

Pure functions shared by the sync and async clients; nothing here does I/O.
"""

from __future__ import annotations

import enum
import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar, cast, overload
from urllib.parse import quote

import httpx
import pydantic
import pydantic_core

from ..config.redact import redact_url
from ..tracing import ACCEPTABLE_ID, TRACE_HEADER, current_trace_id, generate_trace_id
from .errors import APIConnectionError, IEOPSError, RequestTimeoutError, ResponseValidationError
from .files import RequestContent

T = TypeVar("T")
M = TypeVar("M", bound=pydantic.BaseModel)

JSON = "application/json"
EVENT_STREAM = "text/event-stream"

_PATH_PARAM = re.compile(r"\{([^{}/]+)\}")
_UNRESERVED = re.compile(r"[A-Za-z0-9_.~,-]*")
"""What ``quote(text, safe=",")`` leaves as it is: such a path value needs no quoting."""
_NONE_TYPE = type(None)

# httpx's own type for query pairs (lists are invariant, so spell it the same way).
QueryPairs = list[tuple[str, str | int | float | bool | None]]


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where a client's requests go: an HTTP base URL, and a Unix socket if any."""

    url: str
    http_base: str
    ws_base: str
    uds: str | None


def parse_base_url(base_url: str) -> Endpoint:
    """``unix:///path.sock`` or ``http(s)://host:port[/prefix]``; anything else is refused."""
    if not isinstance(base_url, str):
        raise TypeError(f"base_url must be a str, got {type(base_url).__name__}")
    if base_url.startswith("unix://"):
        path = base_url[len("unix://") :]
        if not path:
            raise ValueError(f"base_url {base_url!r} names no socket path (unix:///path/to.sock)")
        return Endpoint(base_url, "http://localhost", "ws://localhost", path)
    try:
        url = httpx.URL(base_url)
    except httpx.InvalidURL as exc:
        shown = redact_url(base_url)
        raise ValueError(f"base_url {shown!r} is not a valid URL: {exc}") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise ValueError(
            f"base_url must be unix:///path/to.sock, http://host:port or https://host:port, "
            f"got {redact_url(base_url)!r}"
        )
    base = base_url.rstrip("/")
    ws_base = ("wss" if url.scheme == "https" else "ws") + base[len(url.scheme) :]
    return Endpoint(base_url, base, ws_base, None)


def _scalar(value: object) -> str:
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return str(value)


@dataclass(frozen=True, slots=True)
class Styled:
    """A parameter value with OpenAPI's ``style`` and ``explode`` (when not the defaults)."""

    value: object
    style: str
    explode: bool


def styled(value: object, style: str, explode: bool) -> Styled | None:
    """What generated clients pass for a parameter with a non-default style (None: not sent)."""
    return None if value is None else Styled(value, style, explode)


@dataclass(frozen=True, slots=True)
class Untyped:
    """A query value whose schema gives no type (``schema: {}``): one key, a scalar as its
    text and an array or object as JSON text; the server reads JSON when the text is JSON."""

    value: object


def untyped(value: object) -> Untyped | None:
    """What generated clients pass for an untyped query parameter (None: not sent)."""
    return None if value is None else Untyped(value)


def _plain(value: object) -> object:
    """Models as their JSON data (by alias, only the fields set); other values unchanged."""
    if isinstance(value, pydantic.BaseModel):
        return value.model_dump(mode="json", by_alias=True, exclude_unset=True)
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(v) for v in value]
    return value


def simple(value: object, explode: bool = False) -> str:
    """OpenAPI ``style: simple`` (path and header parameters): arrays and objects by commas."""
    value = _plain(value)
    if isinstance(value, list):
        return ",".join(_scalar(v) for v in value)
    if isinstance(value, dict):
        if explode:
            return ",".join(f"{k}={_scalar(v)}" for k, v in value.items() if v is not None)
        return ",".join(f"{k},{_scalar(v)}" for k, v in value.items() if v is not None)
    return _scalar(value)


def cookie_header(values: Mapping[str, object]) -> str | None:
    """The ``Cookie`` header for a call's cookie parameters (``None``: none is set, no header).

    Each value is its ``style: form`` text (arrays and objects comma-joined, as ``simple``),
    quoted the way ``http.cookies`` writes and the server's ``SimpleCookie`` reads back
    (``;``, ``"``, ``\\``, spaces and commas inside a quoted string). A cookie is ASCII
    (RFC 6265): other text is refused here rather than sent as something else.
    """
    from http.cookies import SimpleCookie

    parts: list[str] = []
    for name, value in values.items():
        if isinstance(value, Styled):
            text = simple(value.value, value.explode)
        elif value is None:
            continue
        else:
            text = simple(value, explode=True)
        if not text.isascii():
            raise ValueError(f"cookie parameter {name!r}: only ASCII text can go in a cookie")
        parts.append(f"{name}={SimpleCookie().value_encode(text)[1]}")
    return "; ".join(parts) or None


@functools.lru_cache(maxsize=1024)
def _template(template: str) -> tuple[tuple[str, ...], tuple[str, ...], frozenset[str]]:
    """(literal parts, parameter names, name set): ``re.split`` alternates literal, name."""
    pieces = _PATH_PARAM.split(template)
    return tuple(pieces[0::2]), tuple(pieces[1::2]), frozenset(pieces[1::2])


def render_path(template: str, params: Mapping[str, object] | None) -> str:
    """Fill ``{name}`` segments with URL-escaped values; a missing or extra name is an error."""
    if "{" not in template:
        if params:
            raise ValueError(f"path {template!r} has no parameters, got {sorted(params)}")
        return template
    literals, order, names = _template(template)
    given = params or {}
    out = [literals[0]]
    if len(given) == len(names):
        for name, literal in zip(order, literals[1:], strict=True):
            value = given.get(name)
            if value is None:
                break
            if type(value) is str:  # the common case, without simple()'s checks
                text = value
            elif isinstance(value, Styled):
                text = simple(value.value, value.explode)
            else:
                text = simple(value)
            out.append(text if _UNRESERVED.fullmatch(text) else quote(text, safe=","))
            out.append(literal)
        else:
            return "".join(out)
    missing = sorted(n for n in names if given.get(n) is None)
    if missing:
        raise ValueError(f"path {template!r}: missing path parameter(s) {missing}")
    unknown = sorted(set(given) - names)
    raise ValueError(f"path {template!r}: unknown path parameter(s) {unknown}")


_DELIMITERS = {"form": ",", "spaceDelimited": " ", "pipeDelimited": "|"}


def _value(value: object) -> str:
    """An exploded or deepObject object's property: a scalar as text; an array or object
    (which OpenAPI does not define for these styles) as JSON text, as the server reads it."""
    if isinstance(value, (list, dict)):
        return pydantic_core.to_json(value).decode()
    return _scalar(value)


def encode_query(query: Mapping[str, object] | None) -> QueryPairs | None:
    """Query pairs as OpenAPI serialises them; ``None`` dropped, bools ``true``/``false``.

    Default (``style: form, explode: true``): arrays repeat the key (``tags=a&tags=b``),
    objects spread their properties (``color=red&size=3``; a nested array or object value
    as JSON text, ``box={"a":1}``). ``explode: false`` joins with
    commas (``ids=1,2``; an object ``filter=color,red``); ``spaceDelimited`` and
    ``pipeDelimited`` join arrays with `` `` / ``|``; ``deepObject`` writes
    ``filter[color]=red``. Values are wrapped in :class:`Styled` when not the default.
    """
    if not query:
        return None
    pairs: QueryPairs = []
    for key, raw in query.items():
        if isinstance(raw, Untyped):
            pairs.append((key, _value(_plain(raw.value))))
            continue
        style, explode, value = "form", True, raw
        if isinstance(raw, Styled):
            style, explode, value = raw.style, raw.explode, raw.value
        value = _plain(value)
        if value is None:
            continue
        if isinstance(value, list):
            items = [v for v in value if v is not None]
            if explode and style == "form":
                pairs.extend((key, _scalar(v)) for v in items)
            else:
                pairs.append((key, _DELIMITERS.get(style, ",").join(_scalar(v) for v in items)))
        elif isinstance(value, dict):
            props = [(k, v) for k, v in value.items() if v is not None]
            if style == "deepObject":
                pairs.extend((f"{key}[{k}]", _value(v)) for k, v in props)
            elif explode:
                pairs.extend((str(k), _value(v)) for k, v in props)
            else:
                pairs.append((key, ",".join(f"{k},{_scalar(v)}" for k, v in props)))
        else:
            pairs.append((key, _scalar(value)))
    return pairs or None


def encode_body(body: object) -> bytes | RequestContent | None:
    """A model as ``model_dump_json(by_alias=True, exclude_unset=True)``; other JSON data as is;
    a multipart or binary body (:class:`RequestContent`) unchanged."""
    if body is None or isinstance(body, RequestContent):
        return body
    if isinstance(body, pydantic.BaseModel):
        # model_dump_json's serializer, without its decode to str (and our encode back)
        return type(body).__pydantic_serializer__.to_json(body, by_alias=True, exclude_unset=True)
    if isinstance(body, (str, bytes, bytearray, memoryview)):
        raise TypeError(
            f"body must be a pydantic model, a dict or a list, got {type(body).__name__}"
        )
    return pydantic_core.to_json(body, by_alias=True)


@overload
def set_stream_flag(body: M, wire: str, stream: bool) -> M: ...


@overload
def set_stream_flag(body: M | None, wire: str, stream: bool) -> M | None: ...


def set_stream_flag(body: M | None, wire: str, stream: bool) -> M | None:
    """The body with its stream flag (by wire name, so an alias works) pinned for the form.

    The stream form always sends ``true``; the JSON form turns a ``true`` into ``false``
    (so the JSON method never receives a stream) and leaves an unset flag unset. An
    optional body left out stays out: the stream form's ``Accept`` asks for the stream.
    """
    if body is None:
        return None
    name = next((n for n, f in type(body).model_fields.items() if (f.alias or n) == wire), None)
    if name is None:
        return body
    if stream:
        return body.model_copy(update={name: True})
    if getattr(body, name, None):
        return body.model_copy(update={name: False})
    return body


def pick_trace_id(per_call: str | None, per_client: str | None) -> str:
    """The call's id, else the client's, else the current request's (inside a worker), else new."""
    trace_id = per_call or per_client or current_trace_id.get()
    if trace_id is None:
        return generate_trace_id()
    check_trace_id(trace_id)
    return trace_id


def check_trace_id(trace_id: str) -> None:
    if not isinstance(trace_id, str) or not ACCEPTABLE_ID.match(trace_id):
        raise ValueError(
            f"trace_id must be 1-128 characters of A-Z a-z 0-9 . _ : -, got {trace_id!r}"
        )


def build_headers(
    client_headers: Mapping[str, str],
    call_headers: Mapping[str, object] | None,
    trace_id: str,
    accept: str | None,
    has_body: bool,
) -> dict[str, str]:
    headers: dict[str, str] = {}
    if accept is not None:
        headers["Accept"] = accept
    if has_body:
        headers["Content-Type"] = JSON
    headers.update(client_headers)
    if call_headers:
        for key, value in call_headers.items():
            if isinstance(value, Styled):
                headers[key] = simple(value.value, value.explode)
            elif value is not None:
                headers[key] = value if isinstance(value, str) else simple(value)
    headers[TRACE_HEADER] = trace_id
    return headers


@functools.lru_cache(maxsize=512)
def _adapter(tp: Any) -> pydantic.TypeAdapter[Any]:
    return pydantic.TypeAdapter(tp)


def wants_body(model: type[Any]) -> bool:
    return model is not _NONE_TYPE


def decode_json(model: type[T], content: bytes | str, what: str, trace_id: str | None) -> T:
    """Validate JSON into ``model``; a mismatch is a ``ResponseValidationError``."""
    try:
        if model is _NONE_TYPE:
            return cast(T, None)
        if model is bytes or model is str:  # a binary or text response (client/files.py)
            raw = content.encode() if isinstance(content, str) else content
            return cast(T, raw if model is bytes else raw.decode("utf-8", "replace"))
        if isinstance(model, type) and issubclass(model, pydantic.BaseModel):
            # what model_validate_json calls, one Python frame closer
            return cast(T, model.__pydantic_validator__.validate_json(content))
        return cast(T, _adapter(cast(Any, model)).validate_json(content))
    except pydantic.ValidationError as exc:
        name = getattr(model, "__name__", repr(model))
        raise ResponseValidationError(
            f"{what} does not fit {name}: {exc.error_count()} error(s): {_first_error(exc)}",
            trace_id=trace_id,
            details=exc.errors(include_url=False, include_context=False),
        ) from exc


def redirect_target(
    status: int, headers: Mapping[str, str], what: str, trace_id: str | None
) -> str:
    """The ``Location`` of a redirect answer (not followed); anything else does not fit."""
    location = headers.get("location")
    if not 300 <= status < 400 or not location:
        raise ResponseValidationError(
            f"response of {what}: expected a redirect (3xx with Location), got {status}"
            + ("" if location else " without Location"),
            trace_id=trace_id,
        )
    return location


def _first_error(exc: pydantic.ValidationError) -> str:
    err = exc.errors(include_url=False)[0]
    loc = ".".join(str(p) for p in err["loc"]) or "<root>"
    return f"{loc}: {err['msg']}"


def transport_error(exc: Exception, trace_id: str | None, what: str) -> IEOPSError:
    """Our error for an httpx transport failure (the caller chains ``exc`` as the cause)."""
    if isinstance(exc, httpx.TimeoutException):
        kind = {
            httpx.ConnectTimeout: "connect",
            httpx.ReadTimeout: "read",
            httpx.WriteTimeout: "write",
            httpx.PoolTimeout: "pool",
        }.get(type(exc), "network")
        return RequestTimeoutError(f"{what}: {kind} timeout", trace_id=trace_id)
    detail = str(exc) or type(exc).__name__
    return APIConnectionError(f"{what}: {detail}", trace_id=trace_id)


def safe_to_retry(exc: BaseException) -> bool:
    """True only when the request certainly never reached the server: no connection was
    made (httpx's connect errors; a refused or missing socket of a WebSocket handshake)."""
    return isinstance(
        exc,
        (
            httpx.ConnectError,
            httpx.ConnectTimeout,
            httpx.PoolTimeout,
            ConnectionRefusedError,
            FileNotFoundError,
        ),
    )
