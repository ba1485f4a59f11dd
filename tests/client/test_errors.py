"""Error classes picked by status and by envelope type; Retry-After parsing; backoff."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import httpx
import pytest
from gmi_ieops.client import (
    APIStatusError,
    BadRequestError,
    ClientError,
    GatewayTimeoutError,
    NotFoundError,
    OverloadedError,
    RateLimitError,
    RequestTimeoutError,
    RequestValidationError,
    ServerError,
)
from gmi_ieops.client.errors import error_from_envelope, error_from_response, parse_retry_after


@pytest.mark.parametrize(
    ("status", "cls", "type_"),
    [
        (400, BadRequestError, "http_400"),
        (401, ClientError, "http_401"),
        (404, NotFoundError, "http_404"),
        (422, RequestValidationError, "http_422"),
        (429, RateLimitError, "http_429"),
        (500, ServerError, "http_500"),
        (502, ServerError, "http_502"),
        (503, OverloadedError, "http_503"),
        (504, GatewayTimeoutError, "http_504"),
    ],
)
def test_class_by_status_without_envelope(
    status: int, cls: type[APIStatusError], type_: str
) -> None:
    response = httpx.Response(status, content=b"")
    err = error_from_response(response, "sent-id")
    assert type(err) is cls and err.status == status and err.type == type_
    assert err.trace_id == "sent-id"


def test_envelope_wins_over_defaults() -> None:
    body = b'{"message": "too long", "type": "context_length", "trace_id": "srv", "details": [1]}'
    response = httpx.Response(400, content=body, headers={"X-Trace-Id": "hdr"})
    err = error_from_response(response, "sent")
    assert (err.message, err.type, err.trace_id, err.details) == (
        "too long",
        "context_length",
        "srv",
        [1],
    )


@pytest.mark.parametrize(
    ("body", "message", "type_"),
    [
        (b'{"error": "empty input", "error_type": "Validation"}', "empty input", "Validation"),
        (b'{"error": "InvalidArgument", "message": "bad k"}', "bad k", "http_422"),
        (b'{"detail": "no such model"}', "no such model", "http_422"),
    ],
)
def test_declared_error_bodies_are_read(body: bytes, message: str, type_: str) -> None:
    """The bodies a spec declares, as the server writes them (``DeclaredErrors``): TGI's
    ``{"error", "error_type"}``, a message beside an ``error`` word, FastAPI's ``detail``."""
    err = error_from_response(httpx.Response(422, content=body), "sent")
    assert (type(err), err.message, err.type) == (RequestValidationError, message, type_)


def test_gateway_timeout_is_both() -> None:
    err = error_from_response(
        httpx.Response(504, json={"message": "slow", "type": "timeout_error"}), None
    )
    assert isinstance(err, RequestTimeoutError) and isinstance(err, ServerError)


@pytest.mark.parametrize(
    ("type_", "cls", "status"),
    [
        ("validation_error", RequestValidationError, 422),
        ("overloaded", OverloadedError, 503),
        ("timeout_error", GatewayTimeoutError, 504),
        ("not_found", NotFoundError, 404),
        ("internal_error", ServerError, 500),
        ("something_new", ServerError, 500),
    ],
)
def test_class_by_envelope_type(type_: str, cls: type[APIStatusError], status: int) -> None:
    err = error_from_envelope({"message": "m", "type": type_, "trace_id": "t"}, "fallback")
    assert type(err) is cls and err.status == status and err.type == type_ and err.trace_id == "t"
    assert error_from_envelope({"message": "m"}, "fallback").trace_id == "fallback"


def test_retry_after_parsing() -> None:
    assert parse_retry_after("2") == 2.0
    assert parse_retry_after(" 0.5 ") == 0.5
    assert parse_retry_after("-3") == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None
    assert parse_retry_after("nan") is None
    later = datetime.now(timezone.utc) + timedelta(seconds=30)
    got = parse_retry_after(format_datetime(later, usegmt=True))
    assert got is not None and 25 < got <= 30
