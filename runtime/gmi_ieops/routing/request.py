"""Where a request is read and validated: body size, content type, JSON, parameters."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from pydantic import BaseModel, ValidationError
from pydantic_core import from_json
from starlette.types import Receive, Scope

from .definitions import ParamLocation
from .errors import RequestError, validation_details

Headers = Mapping[bytes, bytes]
"""Request headers by lower-case name, built once per request (the last value wins)."""


def headers_of(scope: Scope) -> dict[bytes, bytes]:
    return dict(scope["headers"])


def text(value: bytes | None) -> str | None:
    return None if value is None else value.decode("latin-1")


async def read_body(receive: Receive, headers: Headers, max_size: int) -> bytes:
    """The whole body, refusing more than ``max_size`` bytes (413) before reading it all."""
    length = headers.get(b"content-length")
    if length is not None and length.isdigit() and int(length) > max_size:
        raise _too_large(max_size)
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnected()
        chunk = message.get("body", b"")
        if chunk:
            size += len(chunk)
            if size > max_size:
                raise _too_large(max_size)
            chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


class ClientDisconnected(Exception):
    """The client went away before the request was complete."""


def _too_large(max_size: int) -> RequestError:
    return RequestError(
        413,
        "payload_too_large",
        f"request body is larger than {max_size} bytes (API_MAX_BODY_SIZE)",
    )


def check_json_content_type(headers: Headers) -> None:
    """A body must be sent as JSON; anything else gets 415 with a hint."""
    content_type = headers.get(b"content-type")
    if content_type is None:
        return
    media = content_type.decode("latin-1").split(";", 1)[0].strip().lower()
    if media == "application/json" or media.endswith("+json"):
        return
    raise RequestError(
        415,
        "unsupported_media_type",
        f"expected a JSON body (Content-Type: application/json), got {media!r}",
    )


def loads_json(data: bytes | str, what: str = "request body") -> Any:
    """Strict JSON: UTF-8 only, no ``NaN``/``Infinity``, no lone surrogates, nesting bounded.

    ``pydantic_core.from_json`` (jiter) refuses all of these with an error (the standard
    ``json`` module accepts NaN and surrogates and raises ``RecursionError`` on deep
    nesting), and it is several times faster.
    """
    try:
        return from_json(data, allow_inf_nan=False)
    except ValueError as exc:
        raise RequestError(400, "invalid_json", f"{what} is not valid JSON: {exc}") from None


def parse_json_object(body: bytes) -> dict[str, Any]:
    """The seed's handlers take a dict, so the body must be a JSON object."""
    value = loads_json(body)
    if not isinstance(value, dict):
        raise RequestError(
            422,
            "validation_error",
            f"request body must be a JSON object, got {type(value).__name__}",
        )
    return value


def parse_model(model: type[BaseModel], body: bytes) -> BaseModel:
    """``model_validate_json`` on the raw bytes; errors become 400 or 422 envelopes.

    pydantic's JSON parser accepts ``NaN`` and ``Infinity``, which are not JSON: a body that
    mentions them (rare) is checked strictly first.
    """
    if b"NaN" in body or b"Infinity" in body:
        loads_json(body)
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        details = validation_details(exc)
        if details and details[0].get("type") == "json_invalid":
            message = details[0].get("msg", "invalid JSON")
            raise RequestError(
                400, "invalid_json", f"request body is not valid JSON: {message}"
            ) from None
        raise RequestError(
            422, "validation_error", _summary(details, "request body"), details=details
        ) from None


def query_params(scope: Scope) -> dict[str, str]:
    raw = scope.get("query_string", b"")
    if not raw:
        return {}
    return dict(parse_qsl(raw.decode("latin-1"), keep_blank_values=True))


def seed_query(scope: Scope, body: Mapping[str, Any] | None, trace_id: str) -> dict[str, Any]:
    """The seed's merged dict: path params, then query params, then the body (body wins)."""
    query: dict[str, Any] = dict(scope.get("path_params") or {})
    query.update(query_params(scope))
    if body:
        query.update(body)
    query["trace_id"] = trace_id
    return query


def parse_params(
    model: type[BaseModel], param_in: Mapping[str, ParamLocation], scope: Scope, headers: Headers
) -> BaseModel:
    """Typed path/query/header/cookie parameters, by each field's wire name (its alias)."""
    sources: dict[ParamLocation, Mapping[str, str]] = {
        "path": scope.get("path_params") or {},
        "query": query_params(scope),
    }
    values: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        wire = info.alias or name
        location = param_in.get(name, "query")
        if location == "header":
            found = text(headers.get(wire.lower().encode("latin-1")))
        elif location == "cookie":
            found = _cookies(headers).get(wire)
        else:
            if location not in sources:
                sources[location] = {}
            found = sources[location].get(wire)
        if found is not None:
            values[wire] = found
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        details = validation_details(exc)
        raise RequestError(
            422, "validation_error", _summary(details, "parameter"), details=details
        ) from None


def _cookies(headers: Headers) -> dict[str, str]:
    from http.cookies import SimpleCookie

    raw = text(headers.get(b"cookie"))
    if not raw:
        return {}
    jar: SimpleCookie = SimpleCookie()
    jar.load(raw)
    return {key: morsel.value for key, morsel in jar.items()}


def _summary(details: list[dict[str, Any]], what: str) -> str:
    if not details:
        return f"invalid {what}"
    first = details[0]
    where = ".".join(str(part) for part in first.get("loc", ())) or what
    more = f" (and {len(details) - 1} more)" if len(details) > 1 else ""
    return f"invalid {what}: {where}: {first.get('msg', 'invalid value')}{more}"
