"""Where an SSE frame is written: the wire format of DESIGN §3.2."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel
from pydantic_core import to_json

DONE_FRAME = b"data: [DONE]\n\n"


def encode_json(value: Any) -> bytes:
    """JSON bytes of a handler's value: models by alias, other values as pydantic would.

    ``NaN`` and infinities are not JSON: they are written as ``null`` (as models do).
    """
    if isinstance(value, BaseModel):
        return value.model_dump_json(by_alias=True).encode()
    return to_json(value, by_alias=True, inf_nan_mode="null")


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
