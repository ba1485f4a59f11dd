"""The exact bytes each writer of the wire produces: JSON bodies, both error envelopes,
SSE frames, WebSocket messages and the protocol layer's refusals. Pinned byte for byte so
that moving the writers (they live in ``routing/_responses.py``) changes nothing a client
sees: the seed's frames and WebSocket messages keep ``json.dumps``'s spacing, bodies are
compact."""

from __future__ import annotations

import math
import re
from typing import Any

from gmi_ieops.handler import error_body, format_error_response
from gmi_ieops.routing._errors import ErrorInfo
from gmi_ieops.routing._responses import (
    DONE_FRAME,
    data_frame,
    encode_json,
    error_format,
    protocol_refusal,
)
from pydantic import BaseModel, Field
from starlette.requests import Request

SEED = error_format(None)
OPENAI = error_format("openai")
INVALID = ErrorInfo(
    422, "validation_error", "invalid request", [{"loc": ["body", "input"], "msg": "m"}]
)
BUSY = ErrorInfo(503, "overloaded", "busy", headers={"Retry-After": "1"})


class Item(BaseModel):
    name: str = Field(alias="Name")
    note: str | None = None
    score: float | None = None


def test_json_bodies_are_compact_by_alias_without_unset_nones() -> None:
    assert encode_json(Item(Name="é")) == '{"Name":"é"}'.encode()
    assert encode_json(Item(Name="a", note=None)) == b'{"Name":"a","note":null}'
    assert encode_json({"x": math.nan, "y": [1, "z"]}) == b'{"x":null,"y":[1,"z"]}'


def test_sse_frames() -> None:
    assert data_frame(Item(Name="a")) == b'data: {"Name":"a"}\n\n'
    assert data_frame("one\ntwo") == b"data: one\ndata: two\n\n"
    assert data_frame(b"") == b"data: \n\n"
    assert DONE_FRAME == b"data: [DONE]\n\n"


def test_the_seed_envelope() -> None:
    assert SEED.status(INVALID) == 422
    assert SEED.encode(BUSY, "t-1") == b'{"message":"busy","type":"overloaded","trace_id":"t-1"}'
    assert SEED.encode(INVALID, "t-1") == (
        b'{"message":"invalid request","type":"validation_error","trace_id":"t-1",'
        b'"details":[{"loc":["body","input"],"msg":"m"}]}'
    )
    # the seed's frames and WebSocket messages: json.dumps, spaced
    assert SEED.frame(BUSY, "t-1") == (
        b'event: error\ndata: {"message": "busy", "type": "overloaded", "trace_id": "t-1"}\n\n'
    )
    assert SEED.message(BUSY, "t-1") == (
        '{"error": {"message": "busy", "type": "overloaded", "trace_id": "t-1"}}'
    )
    assert error_body("gone", "not_found", "t-2") == {
        "message": "gone",
        "type": "not_found",
        "trace_id": "t-2",
    }


def test_the_openai_envelope() -> None:
    assert OPENAI.status(INVALID) == 400
    assert OPENAI.status(BUSY) == 503
    body = (
        b'{"error":{"message":"invalid request","type":"invalid_request_error",'
        b'"param":"body.input","code":"validation_error"}}'
    )
    assert OPENAI.encode(INVALID, "t-1") == body
    assert OPENAI.frame(INVALID, "t-1") == b"data: " + body + b"\n\n"
    assert OPENAI.message(INVALID, "t-1") == body.decode()
    assert OPENAI.encode(BUSY, None) == (
        b'{"error":{"message":"busy","type":"server_error","param":null,"code":"overloaded"}}'
    )


def test_format_error_response_is_starlettes_json() -> None:
    response = format_error_response("quota", "quota_error", 429, trace_id="t-3", details={"n": 1})
    assert response.status_code == 429
    assert response.body == (
        b'{"message":"quota","type":"quota_error","trace_id":"t-3","details":{"n":1}}'
    )
    assert response.headers["x-trace-id"] == "t-3"
    assert response.headers["x-request-id"] == "t-3"
    assert response.headers["content-type"] == "application/json"


def _request(headers: dict[str, str]) -> Request:
    raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    scope: dict[str, Any] = {"type": "http", "method": "GET", "path": "/", "headers": raw}
    return Request(scope)


def test_an_error_response_outside_the_endpoints() -> None:
    response = SEED.response(_request({"X-Trace-Id": "t-4", "X-Request-Id": "r-4"}), BUSY)
    assert response.status_code == 503
    assert response.body == b'{"message":"busy","type":"overloaded","trace_id":"t-4"}'
    assert response.headers["retry-after"] == "1"
    assert response.headers["x-trace-id"] == "t-4"
    assert response.headers["x-request-id"] == "r-4"
    response = OPENAI.response(_request({}), INVALID)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json"


def test_a_protocol_refusal_in_the_servers_format() -> None:
    def render(status: int, error_type: str, message: str, trace_id: str) -> bytes:
        return OPENAI.encode(ErrorInfo(status, error_type, message), trace_id)

    raw = protocol_refusal(431, "headers_too_large", "too big", b"x-extra: 1\r\n", render)
    head, _, body = raw.partition(b"\r\n\r\n")
    assert body == (
        b'{"error":{"message":"too big","type":"invalid_request_error",'
        b'"param":null,"code":"headers_too_large"}}'
    )
    lines = head.split(b"\r\n")
    assert lines[0] == b"HTTP/1.1 431 Request Header Fields Too Large"
    assert lines[1:3] == [b"content-type: application/json", b"content-length: %d" % len(body)]
    assert re.fullmatch(rb"x-trace-id: \S+", lines[3])
    assert lines[4].startswith(b"x-request-id: ")
    assert lines[5:] == [b"x-extra: 1", b"connection: close"]
