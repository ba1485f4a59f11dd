"""``application/x-www-form-urlencoded`` request bodies, read into the route's model.

The body is read like a JSON body (``API_MAX_BODY_SIZE``, ``API_BODY_TIMEOUT``) and split
by the standard library's ``parse_qsl``; names and values are percent-decoded as UTF-8
(``+`` is a space). Values reach the model as
OpenAPI 3.x serialises them (docs/files.md): a repeated name is an array, an object (or an
array of objects) without an ``encoding`` entry is JSON text, and a property whose
``encoding`` gives ``style``/``explode`` is read like a query parameter of that style
(``ids=1,2``, ``filter[color]=red``). Scalars are text, validated in pydantic's lax mode.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from pydantic import BaseModel

from ._errors import RequestError
from ._request import Headers, _from_query, _shapes, _value_kinds, parse_model

URLENCODED = "application/x-www-form-urlencoded"
MAX_FIELDS = 1000
"""Fields in one form (as for multipart parts): more is 413."""


@dataclass(frozen=True)
class UrlencodedSpec:
    """The route's ``request_model`` may come as ``application/x-www-form-urlencoded``."""

    styles: Mapping[str, tuple[str, bool]] = field(default_factory=dict)
    """``encoding.<name>`` ``(style, explode)`` by wire name, where the spec gives them."""
    json: bool = False
    """JSON is accepted too (the spec offers both): chosen by ``Content-Type``."""


def parse_body(
    model: type[BaseModel], body: bytes, headers: Headers, spec: UrlencodedSpec
) -> BaseModel:
    """The body by its ``Content-Type``: a form, or JSON when the spec offers it (415 else).

    Without a ``Content-Type`` the body is read as JSON where JSON is offered, else as a form.
    """
    raw = headers.get(b"content-type")
    media = raw.decode("latin-1").split(";", 1)[0].strip().lower() if raw is not None else ""
    is_json = media == "application/json" or media.endswith("+json")
    if media == URLENCODED or (not media and not spec.json):
        return parse_form(model, body, spec)
    if spec.json and (is_json or not media):
        return parse_model(model, body)
    expected = f"application/json or {URLENCODED}" if spec.json else URLENCODED
    raise RequestError(
        415, "unsupported_media_type", f"expected a body of type {expected}, got {media!r}"
    )


def form_pairs(body: bytes) -> list[tuple[str, str]]:
    """The ``name=value`` pairs of a form body, decoded (400 when not UTF-8, 413 past
    :data:`MAX_FIELDS`)."""
    try:
        return parse_qsl(
            body.decode("utf-8"),
            keep_blank_values=True,
            encoding="utf-8",
            errors="strict",
            max_num_fields=MAX_FIELDS,
        )
    except UnicodeDecodeError as exc:
        message = f"form body is not UTF-8 after percent-decoding: {exc.reason}"
        raise RequestError(400, "invalid_request", message) from None
    except ValueError:  # parse_qsl's "Max number of fields exceeded"
        raise RequestError(
            413, "payload_too_large", f"more than {MAX_FIELDS} fields in the form"
        ) from None


def parse_form(model: type[BaseModel], body: bytes, spec: UrlencodedSpec) -> BaseModel:
    """A form body into ``model`` (422 with ``details`` when it does not fit)."""
    from ._uploads import _validate_fields

    pairs = form_pairs(body)
    shapes = _shapes(model)
    kinds = _value_kinds(model)
    styled: dict[str, Any] = {}
    consumed: set[str] = set()
    for name, info in model.model_fields.items():
        wire = info.alias or name
        if wire not in spec.styles:
            continue
        style, explode = spec.styles[wire]
        shape, props = shapes[name]
        found = _from_query(pairs, wire, shape, props, style, explode, kinds[name])
        if shape == "object" and style == "deepObject":
            consumed |= {k for k, _ in pairs if k.startswith(wire + "[") and k.endswith("]")}
        elif shape == "object" and explode:
            consumed |= props
        consumed.add(wire)
        if found is not None:
            styled[wire] = found
    values: dict[str, list[str]] = {}
    for key, item in pairs:
        if key not in consumed:
            values.setdefault(key, []).append(item)
    return _validate_fields(model, values, styled)


__all__ = ["URLENCODED", "UrlencodedSpec", "form_pairs", "parse_body", "parse_form"]
