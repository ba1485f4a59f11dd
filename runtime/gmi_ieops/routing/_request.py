"""Where a request is read and validated: body size, content type, JSON, parameters."""

from __future__ import annotations

import functools
import types
import typing
from collections.abc import Mapping
from typing import Any, Literal
from urllib.parse import parse_qsl

from pydantic import BaseModel, ValidationError
from pydantic_core import from_json
from starlette.types import Receive, Scope

from ._definitions import ParamLocation
from ._errors import RequestError, validation_details

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


Shape = Literal["scalar", "array", "either", "object", "any", "mixed"]
"""``any``: untyped (``schema: {}``); in the query, JSON when the text is JSON, else the text
(the client writes arrays and objects as JSON text), several values a list of them.
``either``: a union of an array and a scalar (FastAPI's ``str | list[str]``, OpenAPI's
``anyOf: [array, string]``). One value on the wire is the scalar, several are the array:
``tag=x`` reads as ``"x"``, ``tag=x&tag=y`` as ``["x", "y"]``, so a one-item array arrives
as its item (the wire cannot tell them apart). ``mixed``: a union of an object with scalars
or arrays (huggingface-hub's ``owner``): in the query an array or object is JSON text (one
key; exploded, its keys could be any parameter's), a scalar its text."""


def parse_params(
    model: type[BaseModel],
    param_in: Mapping[str, ParamLocation],
    scope: Scope,
    headers: Headers,
    param_style: Mapping[str, tuple[str, bool]] | None = None,
) -> BaseModel:
    """Typed path/query/header/cookie parameters, by each field's wire name (its alias).

    Arrays and objects are read as OpenAPI serialises them (see ``docs/typed-routes.md``):
    query ``form`` exploded by default (``tags=a&tags=b``; an object's properties as their
    own keys), ``explode: false`` comma-joined, ``spaceDelimited``/``pipeDelimited``,
    ``deepObject`` (``filter[color]=red``); path and header ``simple`` (``a,b``; objects
    ``k,v,k2,v2``, exploded ``k=v,k2=v2``). Scalars are strings for pydantic to convert.
    """
    pairs = _query_pairs(scope)
    path = scope.get("path_params") or {}
    styles = param_style or {}
    shapes = _shapes(model)
    kinds = _value_kinds(model)
    values: dict[str, Any] = {}
    collector: str | None = None  # the free-form exploded object that collects (see below)
    for name, info in model.model_fields.items():
        wire = info.alias or name
        location = param_in.get(name, "query")
        shape, props = shapes[name]
        default = ("form", True) if location in ("query", "cookie") else ("simple", False)
        style, explode = styles.get(name, default)
        found: Any = None
        if location == "query":
            if kinds[name][1] is not None and style == "form" and explode:
                if collector is None:
                    collector = name
                continue  # collected once every other parameter has claimed its keys
            found = _from_query(pairs, wire, shape, props, style, explode, kinds[name])
        else:
            if location == "header":
                raw = text(headers.get(wire.lower().encode("latin-1")))
            elif location == "cookie":
                raw = _cookies(headers).get(wire)
            else:
                raw = path.get(wire)
            if raw is None or shape in ("scalar", "any", "mixed"):
                found = raw  # an untyped header or path value stays its text
            else:
                found = _split_simple(raw, shape, explode)
        if found is not None:
            values[wire] = found
    if collector is not None:
        found = _collect(model, param_in, styles, pairs, collector, kinds)
        if found:
            info = model.model_fields[collector]
            values[info.alias or collector] = found
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        details = validation_details(exc)
        raise RequestError(
            422, "validation_error", _summary(details, "parameter"), details=details
        ) from None


def _query_pairs(scope: Scope) -> list[tuple[str, str]]:
    raw = scope.get("query_string", b"")
    return parse_qsl(raw.decode("latin-1"), keep_blank_values=True) if raw else []


def _collect(
    model: type[BaseModel],
    param_in: Mapping[str, ParamLocation],
    styles: Mapping[str, tuple[str, bool]],
    pairs: list[tuple[str, str]],
    collector: str,
    kinds: Mapping[str, tuple[Mapping[str, ValueKind], ValueKind | None]],
) -> dict[str, Any]:
    """A free-form exploded object (``style: form, explode: true``, no declared properties):
    its keys are top-level query keys, so it takes every key no other declared query
    parameter claims (a name; an exploded object's properties; ``name[...]`` of a
    deepObject). Other free-form exploded objects of the operation get nothing (the
    generator warns). Values are decoded by the object's value type (:func:`_decode`)."""
    shapes = _shapes(model)
    claimed: set[str] = set()
    prefixes: list[str] = []
    for name, info in model.model_fields.items():
        if name == collector or param_in.get(name, "query") != "query":
            continue
        wire = info.alias or name
        shape, props = shapes[name]
        style, explode = styles.get(name, ("form", True))
        if shape == "object" and style == "deepObject":
            prefixes.append(wire + "[")
        elif shape == "object" and explode and style == "form":
            claimed |= props  # a free-form one (no props) claims nothing
        else:
            claimed.add(wire)
    kind = kinds[collector][1] or "text"
    prefix = tuple(prefixes)
    return {
        k: _decode(v, kind)
        for k, v in pairs
        if k not in claimed and not (prefix and k.startswith(prefix) and k.endswith("]"))
    }


def _decode(text: str, kind: ValueKind) -> Any:
    """An exploded or deepObject object's value: ``text`` as is for a scalar property;
    JSON for an array or object one (OpenAPI defines no form for nested values: the client
    writes them as JSON text); for an untyped one, JSON when the text is JSON, else the
    text (so ``n=5`` reads as 5 and ``s=abc`` as ``"abc"``)."""
    if kind == "text" or (kind == "container" and text[:1] not in ("[", "{")):
        return text
    try:
        return from_json(text, allow_inf_nan=False)
    except ValueError:
        return text


def _from_query(
    pairs: list[tuple[str, str]],
    wire: str,
    shape: Shape,
    props: frozenset[str],
    style: str,
    explode: bool,
    kinds: tuple[Mapping[str, ValueKind], ValueKind | None] | None = None,
) -> Any:
    if shape in ("any", "mixed"):
        kind: ValueKind = "any" if shape == "any" else "container"
        decoded = [_decode(v, kind) for k, v in pairs if k == wire]
        return decoded[0] if len(decoded) == 1 else decoded or None
    if shape in ("array", "either"):
        found = [v for k, v in pairs if k == wire]
        if not found:
            return None
        if not (explode and style == "form"):
            delimiter = {"spaceDelimited": " ", "pipeDelimited": "|"}.get(style, ",")
            found = [] if found[-1] == "" else found[-1].split(delimiter)
        return _one_or_many(found, shape)
    if shape == "object":
        by_prop, rest = kinds or ({}, None)
        if style == "deepObject":
            prefix = wire + "["
            found_map = {
                k[len(prefix) : -1]: v for k, v in pairs if k.startswith(prefix) and k.endswith("]")
            }
            return {
                k: _decode(v, by_prop.get(k, rest or "text")) for k, v in found_map.items()
            } or None
        if explode:
            found_map = {k: _decode(v, by_prop.get(k, "text")) for k, v in pairs if k in props}
            return found_map or None
        joined = [v for k, v in pairs if k == wire]
        return _pairs_to_dict(joined[-1].split(",")) if joined else None
    last = None
    for k, v in pairs:
        if k == wire:
            last = v
    return last


def _one_or_many(values: list[str], shape: Shape) -> Any:
    """An ``either`` parameter's one value is the scalar (see :data:`Shape`)."""
    return values[0] if shape == "either" and len(values) == 1 else values


def _split_simple(raw: str, shape: Shape, explode: bool) -> Any:
    if shape in ("array", "either"):
        return _one_or_many([] if raw == "" else [part.strip() for part in raw.split(",")], shape)
    parts = [part.strip() for part in raw.split(",")] if raw else []
    if explode:
        return dict(part.partition("=")[::2] for part in parts)
    return _pairs_to_dict(parts)


def _pairs_to_dict(parts: list[str]) -> dict[str, str]:
    return dict(zip(parts[0::2], parts[1::2], strict=False))


ValueKind = Literal["text", "json", "any", "container"]
"""How an object parameter's value is read from an exploded or deepObject query: ``text``
(a scalar: the string, for pydantic to convert), ``json`` (an array or object: JSON text),
``any`` (untyped: JSON when it parses, else the string); ``container`` (a ``mixed``
parameter: JSON when it is an array's or object's text, else the string)."""


@functools.lru_cache(maxsize=1024)
def _value_kinds(
    model: type[BaseModel],
) -> dict[str, tuple[dict[str, ValueKind], ValueKind | None]]:
    """Per field: its object's value kinds by property wire name, and, for a free-form
    object (a ``dict``, no declared properties), the kind of every value (else ``None``)."""
    return {name: _object_kinds(info.annotation) for name, info in model.model_fields.items()}


def _object_kinds(annotation: Any, depth: int = 0) -> tuple[dict[str, ValueKind], ValueKind | None]:
    if depth > 8:
        return {}, None
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _object_kinds(typing.get_args(annotation)[0], depth + 1)
    if origin is typing.Union or origin is types.UnionType:
        members = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        if not all(_shape(arg)[0] == "object" for arg in members):
            return {}, None  # also a scalar or an array (``str | dict[str, str]``): not exploded
        return _object_kinds(members[0], depth + 1)
    if origin is dict or annotation is dict:
        args = typing.get_args(annotation)
        return {}, _kind(args[1] if len(args) == 2 else Any)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if getattr(annotation, "__pydantic_root_model__", False):
            return _object_kinds(annotation.model_fields["root"].annotation, depth + 1)
        return {
            info.alias or n: _kind(info.annotation) for n, info in annotation.model_fields.items()
        }, None
    return {}, None


def _kind(annotation: Any) -> ValueKind:
    bare = [a for a in typing.get_args(annotation) if a is not type(None)]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType) and len(bare) == 1:
        annotation = bare[0]
    if annotation is Any or annotation is object:
        return "any"
    shape = _shape(annotation)[0]
    if shape == "mixed":
        return "container"
    return "text" if shape == "scalar" else "any" if shape in ("either", "any") else "json"


@functools.lru_cache(maxsize=1024)
def _shapes(model: type[BaseModel]) -> dict[str, tuple[Shape, frozenset[str]]]:
    """Per field: scalar, array or object (with an object's wire property names)."""
    return {name: _shape(info.annotation) for name, info in model.model_fields.items()}


def _shape(annotation: Any, depth: int = 0) -> tuple[Shape, frozenset[str]]:
    if depth > 8:
        return "scalar", frozenset()
    if annotation is Any or annotation is object:
        return "any", frozenset()
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _shape(typing.get_args(annotation)[0], depth + 1)
    if origin is typing.Union or origin is types.UnionType:
        shapes = [_shape(a, depth + 1) for a in typing.get_args(annotation) if a is not type(None)]
        kinds = {kind for kind, _ in shapes}
        if "any" in kinds:  # a union that takes anything (``bool | Any``) is untyped
            return "any", frozenset()
        if "object" in kinds and len(kinds) > 1:
            return "mixed", frozenset()
        if "array" in kinds and kinds & {"scalar", "either"}:
            return "either", frozenset()
        return next((found for found in shapes if found[0] != "scalar"), ("scalar", frozenset()))
    if origin in (list, tuple, set, frozenset) or annotation in (list, tuple, set):
        return "array", frozenset()
    if origin is dict or annotation is dict:
        return "object", frozenset()
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if getattr(annotation, "__pydantic_root_model__", False):
            return _shape(annotation.model_fields["root"].annotation, depth + 1)
        props = frozenset(info.alias or n for n, info in annotation.model_fields.items())
        return "object", props
    return "scalar", frozenset()


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
