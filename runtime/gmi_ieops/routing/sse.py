"""Where an SSE frame is written: the wire format of DESIGN §3.2."""

from __future__ import annotations

import json
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
    """The ``exclude`` argument that drops unset ``None`` fields, nested models included."""
    if depth > 32:
        return None
    if isinstance(model, RootModel):  # exclusions apply to the root value itself
        root = model.root
        if isinstance(root, BaseModel):
            return unset_nones(root, depth + 1)
        if isinstance(root, list):
            return _in_list(root, depth) or None
        return None
    exclude: dict[Any, Any] = {}
    fields_set = model.__pydantic_fields_set__
    for name in type(model).model_fields:
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
    return exclude or None


def _in_list(values: list[Any], depth: int) -> dict[int, Any]:
    return {
        i: inner
        for i, item in enumerate(values)
        if isinstance(item, BaseModel) and (inner := unset_nones(item, depth + 1))
    }


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
