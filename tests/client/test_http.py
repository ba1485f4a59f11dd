"""JSON calls through BaseClient / AsyncBaseClient against real uvicorn servers."""

from __future__ import annotations

import re
import subprocess
import sys
import time
import uuid

import httpx
import pytest
from gmi_ieops.client import (
    APIConnectionError,
    AsyncBaseClient,
    BaseClient,
    GatewayTimeoutError,
    IEOPSError,
    NotFoundError,
    OverloadedError,
    RateLimitError,
    RequestTimeoutError,
    RequestValidationError,
    ResponseValidationError,
    RetryPolicy,
    ServerError,
    Timeout,
)

from . import wire_app
from .models import Attempts, Color, EchoRequest, EchoResponse, Item

FAST_RETRY = RetryPolicy(max_retries=2, backoff=0.01, max_backoff=0.02)


def key() -> str:
    return uuid.uuid4().hex


def test_json_roundtrip(base_url: str) -> None:
    with BaseClient(base_url, headers={"X-Custom": "yes"}) as client:
        raw = client._request_raw(
            "POST",
            "/v1/echo/{name}",
            path_params={"name": "a b?é#"},
            query={"skip": None, "tag": ["x", "y"], "flag": True, "color": Color.BLUE, "n": 3},
            body=EchoRequest(prompt="hi", maxTokens=5),
            response_model=EchoResponse,
        )
        got = raw.data
        with pytest.raises(NotFoundError) as info:  # "/" is escaped too (ASGI decodes it)
            client._request(
                "POST", "/v1/echo/{name}", path_params={"name": "a/b"}, response_model=EchoResponse
            )
        assert info.value.response is not None
        assert info.value.response.request.url.raw_path == b"/v1/echo/a%2Fb"
    assert isinstance(got, EchoResponse)
    assert raw.http_response.request.url.raw_path.startswith(b"/v1/echo/a%20b%3F%C3%A9%23?")
    assert got.name == "a b?é#"
    assert got.query == [
        ["tag", "x"],
        ["tag", "y"],
        ["flag", "true"],
        ["color", "blue"],
        ["n", "3"],
    ]
    # by_alias + exclude_unset: temperature was never set, max_tokens goes by its alias.
    assert got.body == {"prompt": "hi", "maxTokens": 5}
    assert got.accept == "application/json"
    assert got.x_custom == "yes"


async def test_async_json_roundtrip(base_url: str) -> None:
    async with AsyncBaseClient(base_url) as client:
        got = await client._request(
            "POST",
            "/v1/echo/{name}",
            path_params={"name": "n1"},
            body={"prompt": "dict body", "nested": [1, 2]},
            headers={"X-Custom": "call", "X-Dropped": None},
            response_model=EchoResponse,
        )
        item = await client._request(
            "GET", "/v1/items/{item_id}", path_params={"item_id": 7}, response_model=Item
        )
    assert got.body == {"prompt": "dict body", "nested": [1, 2]}
    assert got.x_custom == "call"
    assert item == Item(id="7", price=1.5)


def test_typeadapter_and_no_body(unix_url: str) -> None:
    with BaseClient(unix_url) as client:
        as_dict = client._request(
            "GET", "/v1/items/{item_id}", path_params={"item_id": "x"}, response_model=dict
        )
        nothing = client._request(
            "GET", "/v1/items/{item_id}", path_params={"item_id": "x"}, response_model=type(None)
        )
    assert as_dict == {"id": "x", "price": 1.5}
    assert nothing is None


def test_trace_ids(base_url: str) -> None:
    with BaseClient(base_url) as client:
        raw = client._request_raw(
            "POST", "/v1/echo/{name}", path_params={"name": "t"}, response_model=EchoResponse
        )
        assert re.fullmatch(r"[0-9a-f]{32}", raw.trace_id)  # generated per call
        assert raw.data.trace_id == raw.trace_id == client.last_trace_id
        assert raw.status_code == 200 and raw.headers["x-trace-id"] == raw.trace_id
        second = client._request(
            "POST", "/v1/echo/{name}", path_params={"name": "t"}, response_model=EchoResponse
        )
        assert second.trace_id != raw.trace_id
        per_call = client._request(
            "POST",
            "/v1/echo/{name}",
            path_params={"name": "t"},
            response_model=EchoResponse,
            trace_id="call-1",
        )
        assert per_call.trace_id == "call-1" == client.last_trace_id
    with BaseClient(base_url, trace_id="client-default") as client:
        got = client._request(
            "POST", "/v1/echo/{name}", path_params={"name": "t"}, response_model=EchoResponse
        )
        assert got.trace_id == "client-default"
        with pytest.raises(NotFoundError) as info:
            client._request(
                "GET",
                "/v1/items/{item_id}",
                path_params={"item_id": "missing"},
                response_model=Item,
                trace_id="err-call",
            )
        assert info.value.trace_id == "err-call" == client.last_trace_id


def test_not_found(base_url: str) -> None:
    with BaseClient(base_url) as client, pytest.raises(NotFoundError) as info:
        client._request(
            "GET", "/v1/items/{item_id}", path_params={"item_id": "missing"}, response_model=Item
        )
    err = info.value
    assert (err.status, err.type, err.message) == (404, "not_found", "no item missing")
    assert isinstance(err, IEOPSError) and err.response is not None
    assert "status=404" in str(err) and err.trace_id and err.trace_id in str(err)


async def test_validation_error_async(base_url: str) -> None:
    async with AsyncBaseClient(base_url) as client:
        with pytest.raises(RequestValidationError) as info:
            await client._request(
                "POST", "/v1/validate", body={"x": 1}, response_model=Item, trace_id="v-1"
            )
    err = info.value
    assert err.status == 422 and err.type == "validation_error" and err.trace_id == "v-1"
    assert err.details == [{"loc": ["body", "prompt"], "msg": "Field required", "type": "missing"}]


def test_non_json_error_body(unix_url: str) -> None:
    with BaseClient(unix_url) as client, pytest.raises(ServerError) as info:
        client._request(
            "GET", "/v1/items/{item_id}", path_params={"item_id": "not-json"}, response_model=Item
        )
    assert info.value.status == 502 and info.value.type == "http_502"
    assert info.value.message == "upstream broke"


def test_response_validation_error(unix_url: str) -> None:
    with BaseClient(unix_url) as client, pytest.raises(ResponseValidationError) as info:
        client._request(
            "GET",
            "/v1/items/{item_id}",
            path_params={"item_id": "wrong-shape"},
            response_model=Item,
        )
    assert "does not fit Item" in info.value.message and info.value.trace_id


def test_503_retry_after_then_success(base_url: str) -> None:
    k = key()
    with BaseClient(base_url) as client:
        start = time.monotonic()
        got = client._request(
            "POST", "/v1/flaky", query={"key": k, "retry_after": "0.3"}, response_model=Attempts
        )
        elapsed = time.monotonic() - start
    assert got.attempts == 2 and wire_app.hits[k] == 2
    assert elapsed >= 0.3  # Retry-After honoured


async def test_async_429_retry_then_success(base_url: str) -> None:
    k = key()
    async with AsyncBaseClient(base_url) as client:
        got = await client._request(
            "POST",
            "/v1/flaky",
            query={"key": k, "retry_after": "0.05", "status": 429},
            response_model=Attempts,
        )
    assert got.attempts == 2


def test_503_retries_exhausted(base_url: str) -> None:
    k = key()
    with BaseClient(base_url, retries=1) as client, pytest.raises(OverloadedError) as info:
        client._request(
            "POST",
            "/v1/flaky",
            query={"key": k, "fails": 10, "retry_after": "0.05"},
            response_model=Attempts,
        )
    assert wire_app.hits[k] == 2  # the first try and one retry
    assert info.value.status == 503 and info.value.type == "overloaded"
    assert info.value.retry_after == pytest.approx(0.05)


def test_retry_after_is_capped(unix_url: str) -> None:
    k = key()
    policy = RetryPolicy(retry_after_cap=0.05)
    with BaseClient(unix_url, retries=policy) as client:
        start = time.monotonic()
        got = client._request(
            "POST", "/v1/flaky", query={"key": k, "retry_after": "100"}, response_model=Attempts
        )
        assert time.monotonic() - start < 2
    assert got.attempts == 2


def test_per_call_retries_zero(unix_url: str) -> None:
    k = key()
    with BaseClient(unix_url, retries=5) as client, pytest.raises(RateLimitError):
        client._request(
            "POST",
            "/v1/flaky",
            query={"key": k, "status": 429, "retry_after": "0"},
            response_model=Attempts,
            retries=0,
        )
    assert wire_app.hits[k] == 1


def test_retry_never_passes_total_timeout(unix_url: str) -> None:
    k = key()
    with BaseClient(unix_url, timeout=Timeout(total=0.5)) as client:
        start = time.monotonic()
        with pytest.raises(OverloadedError):
            client._request(
                "POST", "/v1/flaky", query={"key": k, "retry_after": "2"}, response_model=Attempts
            )
        assert time.monotonic() - start < 0.5
    assert wire_app.hits[k] == 1


def test_no_retry_on_500(base_url: str) -> None:
    k = key()
    with BaseClient(base_url, retries=3) as client, pytest.raises(ServerError) as info:
        client._request("POST", "/v1/boom", query={"key": k}, response_model=Item)
    assert wire_app.hits[k] == 1
    assert info.value.status == 500 and info.value.type == "internal_error"


def test_read_timeout_not_retried(base_url: str) -> None:
    k = key()
    with BaseClient(base_url, retries=3, timeout=Timeout(read=0.3)) as client:
        start = time.monotonic()
        with pytest.raises(RequestTimeoutError) as info:
            client._request("POST", "/v1/hang", query={"key": k}, response_model=Item)
        elapsed = time.monotonic() - start
    assert 0.25 <= elapsed < 2
    assert wire_app.hits[k] == 1
    assert isinstance(info.value.__cause__, httpx.ReadTimeout)
    assert not isinstance(info.value, GatewayTimeoutError) and info.value.status is None


async def test_total_timeout_async(base_url: str) -> None:
    k = key()
    async with AsyncBaseClient(base_url, timeout=0.3) as client:
        start = time.monotonic()
        with pytest.raises(RequestTimeoutError) as info:
            await client._request("POST", "/v1/hang", query={"key": k}, response_model=Item)
        elapsed = time.monotonic() - start
    assert 0.25 <= elapsed < 2
    assert info.value.trace_id


def test_total_timeout_per_call_sync(unix_url: str) -> None:
    k = key()
    with BaseClient(unix_url) as client:
        start = time.monotonic()
        with pytest.raises(RequestTimeoutError):
            client._request(
                "POST",
                "/v1/hang",
                query={"key": k},
                response_model=Item,
                timeout=Timeout(total=0.3),
            )
        assert 0.25 <= time.monotonic() - start < 2


class CountingTransport(httpx.BaseTransport):
    """Wraps a real transport and counts the attempts that reach it."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.attempts = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.attempts += 1
        return self.inner.handle_request(request)


def test_connect_failure_is_retried() -> None:
    missing = f"/tmp/ieops-missing-{key()}.sock"
    transport = CountingTransport(httpx.HTTPTransport(uds=missing))
    with httpx.Client(transport=transport) as http:
        client = BaseClient(f"unix://{missing}", retries=FAST_RETRY, http_client=http)
        with pytest.raises(APIConnectionError) as info:
            client._request("POST", "/v1/boom", response_model=Item, trace_id="c-1")
        client.close()  # does not close the caller's http client
        assert not http.is_closed
    assert transport.attempts == 3
    assert isinstance(info.value.__cause__, httpx.ConnectError)
    assert info.value.trace_id == "c-1" and info.value.status is None


async def test_connect_refused_async_tcp() -> None:
    with socket_closed_port() as port:
        client = AsyncBaseClient(f"http://127.0.0.1:{port}", retries=FAST_RETRY)
        with pytest.raises(APIConnectionError):
            await client._request("GET", "/health", response_model=type(None))
        await client.aclose()


def socket_closed_port() -> _ClosedPort:
    return _ClosedPort()


class _ClosedPort:
    """A port that was just bound and released: nothing listens there."""

    def __enter__(self) -> int:
        import socket

        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        s.close()
        return port

    def __exit__(self, *exc: object) -> None:
        pass


def test_bad_input_is_named() -> None:
    with pytest.raises(ValueError, match=re.escape("unix:///path/to.sock")):
        BaseClient("ftp://example")
    with pytest.raises(ValueError, match="names no socket path"):
        BaseClient("unix://")
    with pytest.raises(ValueError, match="trace_id"):
        BaseClient("http://127.0.0.1:1", trace_id="bad id with spaces")
    with pytest.raises(ValueError, match="retries must be >= 0"):
        BaseClient("http://127.0.0.1:1", retries=-1)
    with pytest.raises(ValueError, match="timeout must be > 0"):
        BaseClient("http://127.0.0.1:1", timeout=0)
    client = BaseClient("http://127.0.0.1:1")
    with pytest.raises(ValueError, match=r"missing path parameter\(s\) \['model'\]"):
        client._request("GET", "/v1/models/{model}", response_model=Item)
    with pytest.raises(ValueError, match=r"unknown path parameter\(s\) \['extra'\]"):
        client._request(
            "GET", "/v1/models/{model}", path_params={"model": "m", "extra": 1}, response_model=Item
        )
    with pytest.raises(TypeError, match="body must be a pydantic model"):
        client._request("POST", "/v1/x", body="raw text", response_model=Item)
    client.close()


def test_client_imports_no_server_code() -> None:
    code = (
        "import sys, gmi_ieops.client\n"
        "server = ('fastapi', 'uvicorn', 'starlette', 'gmi_ieops.handler', 'gmi_ieops.serving')\n"
        "bad = sorted(m for m in server if m in sys.modules)\n"
        "print(bad)\n"
        "sys.exit(1 if bad else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
