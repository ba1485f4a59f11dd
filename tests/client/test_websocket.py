"""Typed WebSocket sessions against real uvicorn servers (Unix socket and TCP)."""

from __future__ import annotations

import time
import uuid

import pytest
from gmi_ieops.client import (
    APIConnectionError,
    AsyncBaseClient,
    BaseClient,
    ClientError,
    OverloadedError,
    RequestTimeoutError,
    RequestValidationError,
    RetryPolicy,
    WebSocketClosedError,
)

from . import wire_app
from .models import ClientMessage, ServerMessage


def test_sync_session(base_url: str) -> None:
    with (
        BaseClient(base_url) as client,
        client._websocket(
            "/v1/ws", send_model=ClientMessage, receive_model=ServerMessage, trace_id="ws-1"
        ) as ws,
    ):
        assert ws.trace_id == "ws-1"
        ws.send(ClientMessage(text="héllo 😀"))
        assert ws.receive(timeout=5) == ServerMessage(echo="héllo 😀", n=1)
        # An error message raises the typed error; the session goes on.
        ws.send(ClientMessage(text="bad"))
        with pytest.raises(RequestValidationError) as info:
            ws.receive(timeout=5)
        assert info.value.trace_id == "ws-1" and info.value.status == 422
        ws.send(ClientMessage(text="again"))
        assert ws.receive(timeout=5).n == 2
        ws.send(ClientMessage(text="close"))
        assert list(ws) == []  # a normal close ends the iteration
        with pytest.raises(WebSocketClosedError) as closed:
            ws.receive()
        assert closed.value.code == 1000


async def test_async_session(base_url: str) -> None:
    async with (
        AsyncBaseClient(base_url, trace_id="aws-1") as client,
        client._websocket("/v1/ws", send_model=ClientMessage, receive_model=ServerMessage) as ws,
    ):
        assert ws.trace_id == "aws-1"
        for text in ("a", "b"):
            await ws.send(ClientMessage(text=text))
        got = [await ws.receive(timeout=5), await ws.receive(timeout=5)]
        assert [m.echo for m in got] == ["a", "b"]
        await ws.send(ClientMessage(text="bad"))
        with pytest.raises(RequestValidationError):
            await ws.receive()
        await ws.send(ClientMessage(text="c"))
        await ws.send(ClientMessage(text="close"))
        assert [m.echo async for m in ws] == ["c"]


def test_receive_timeout(unix_url: str) -> None:
    with BaseClient(unix_url) as client:
        ws = client._websocket("/v1/ws", send_model=ClientMessage, receive_model=ServerMessage)
        with ws:  # lazily connected on enter
            start = time.monotonic()
            with pytest.raises(RequestTimeoutError):
                ws.receive(timeout=0.2)
            assert 0.15 <= time.monotonic() - start < 2


async def test_async_receive_timeout_and_abnormal_close(unix_url: str) -> None:
    async with AsyncBaseClient(unix_url) as client:
        ws = client._websocket("/v1/ws", send_model=ClientMessage, receive_model=ServerMessage)
        with pytest.raises(RequestTimeoutError):
            await ws.receive(timeout=0.2)  # connects lazily on first use
        await ws.send(ClientMessage(text="abort"))
        with pytest.raises(WebSocketClosedError) as info:
            async for _ in ws:
                pass
        assert info.value.code == 1011 and info.value.reason == "handler failed"
        await ws.aclose()


def test_send_checks_type(unix_url: str) -> None:
    with (
        BaseClient(unix_url) as client,
        client._websocket("/v1/ws", send_model=ClientMessage, receive_model=ServerMessage) as ws,
        pytest.raises(TypeError, match="send\\(\\) takes a ClientMessage"),
    ):
        ws.send(ServerMessage(echo="x", n=1))  # type: ignore[arg-type]


def test_handshake_refused(base_url: str) -> None:
    with BaseClient(base_url) as client:
        ws = client._websocket("/v1/nowhere", send_model=ClientMessage, receive_model=ServerMessage)
        with pytest.raises(ClientError) as info:
            ws.connect()
    assert info.value.status == 403


async def test_missing_socket_is_a_connection_error() -> None:
    client = AsyncBaseClient(
        "unix:///tmp/ieops-no-such-dir/x.sock", retries=RetryPolicy(backoff=0.01)
    )
    ws = client._websocket("/v1/ws", send_model=ClientMessage, receive_model=ServerMessage)
    with pytest.raises(APIConnectionError) as info:
        await ws.connect()
    assert isinstance(info.value.__cause__, FileNotFoundError)
    await client.aclose()


def test_handshake_503_is_retried(base_url: str) -> None:
    k = uuid.uuid4().hex
    with (
        BaseClient(base_url) as client,
        client._websocket(
            "/v1/ws", query={"busy": k}, send_model=ClientMessage, receive_model=ServerMessage
        ) as ws,
    ):
        ws.send(ClientMessage(text="after retry"))
        assert ws.receive(timeout=5).echo == "after retry"
    assert wire_app.hits[k] == 2


async def test_async_handshake_503_without_retries(unix_url: str) -> None:
    k = uuid.uuid4().hex
    async with AsyncBaseClient(unix_url, retries=0) as client:
        ws = client._websocket(
            "/v1/ws",
            query={"busy": k},
            send_model=ClientMessage,
            receive_model=ServerMessage,
            trace_id="hs-1",
        )
        with pytest.raises(OverloadedError) as info:
            await ws.connect()
    err = info.value
    assert (err.status, err.type, err.trace_id, err.retry_after) == (
        503,
        "overloaded",
        "hs-1",
        0.05,
    )
    assert wire_app.hits[k] == 1
