"""Where an SSE frame is written: the wire format of DESIGN §3.2."""

from __future__ import annotations

import functools
import json
import typing
from typing import Any

from pydantic import BaseModel, RootModel
from pydantic_core import to_json

DONE_FRAME = b"data: [DONE]\n\n"


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


def unset_nones(model: BaseModel, depth: int = 0) -> dict[Any, Any] | None:
    """The ``exclude`` argument that drops unset ``None`` fields, nested models included.

    Only the fields :func:`_fields_to_check` names are looked at, so a model whose fields
    can neither default to ``None`` nor hold a model costs one cache lookup.
    """
    checks = _fields_to_check(type(model))
    if not checks or depth > 32:
        return None
    if isinstance(model, RootModel):  # exclusions apply to the root value itself
        root = model.root
        if isinstance(root, BaseModel):
            return unset_nones(root, depth + 1)
        if isinstance(root, list):
            return _in_list(root, depth) or None
        if isinstance(root, dict):
            return _in_map(root, depth) or None
        return None
    exclude: dict[Any, Any] = {}
    fields_set = model.__pydantic_fields_set__
    for name in checks:
        value = getattr(model, name, None)
        if value is None:
            if name not in fields_set:
                exclude[name] = True
        elif isinstance(value, BaseModel):
            inner = unset_nones(value, depth + 1)
            if inner:
                exclude[name] = inner
        elif isinstance(value, list) and value and isinstance(value[0], BaseModel):
            items = _in_list(value, depth)
            if items:
                exclude[name] = items
        elif isinstance(value, dict) and value:
            entries = _in_map(value, depth)
            if entries:
                exclude[name] = entries
    return exclude or None


def _in_list(values: list[Any], depth: int) -> dict[int, Any]:
    return {
        i: inner
        for i, item in enumerate(values)
        if isinstance(item, BaseModel) and (inner := unset_nones(item, depth + 1))
    }


def _in_map(values: dict[Any, Any], depth: int) -> dict[Any, Any]:
    """A map of models (``additionalProperties`` a schema): exclusions by key."""
    return {
        key: inner
        for key, item in values.items()
        if isinstance(item, BaseModel) and (inner := unset_nones(item, depth + 1))
    }


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


def data_frame(item: Any) -> bytes:
    """``data: <json>\\n\\n``; text items are sent as they are (one ``data:`` line per line)."""
    if isinstance(item, bytes):
        item = item.decode()
    if isinstance(item, str):
        lines = item.splitlines() or [""]
        return b"".join(b"data: " + line.encode() + b"\n" for line in lines) + b"\n"
    return b"data: " + encode_json(item) + b"\n\n"


def error_frame(body: dict[str, Any]) -> bytes:
    """``event: error`` with the error envelope; it ends the stream (no ``[DONE]``)."""
    return b"event: error\ndata: " + json.dumps(body).encode() + b"\n\n"
