"""The shape docs/client.md promises the generator: thin subclasses, type-checked by mypy."""

from __future__ import annotations

import sys

import pytest
from gmi_ieops.client import (
    AsyncBaseClient,
    AsyncEventStream,
    AsyncWebSocketClientSession,
    BaseClient,
    CallOptions,
    EventStream,
    NotFoundError,
    Timeout,
    WebSocketClientSession,
)

from .models import ClientMessage, EchoRequest, EchoResponse, Item, ServerMessage, Token

if sys.version_info >= (3, 11):
    from typing import Unpack
else:
    from typing_extensions import Unpack


class Client(BaseClient):
    """What ``ieops-gen`` emits, in miniature."""

    def get_item(self, item_id: str, **options: Unpack[CallOptions]) -> Item:
        return self._request(
            "GET",
            "/v1/items/{item_id}",
            path_params={"item_id": item_id},
            response_model=Item,
            **options,
        )

    def echo(self, body: EchoRequest, *, name: str, **options: Unpack[CallOptions]) -> EchoResponse:
        return self._request(
            "POST",
            "/v1/echo/{name}",
            path_params={"name": name},
            body=body,
            response_model=EchoResponse,
            **options,
        )

    def items_as_list(self, item_id: str) -> list[Item]:
        # Not a real list route: the point is that mypy accepts list[Model] as response_model.
        return self._request(
            "GET",
            "/v1/items/{item_id}",
            path_params={"item_id": item_id},
            response_model=list[Item],
        )

    def stream(self, n: int, *, timeout: float | Timeout | None = None) -> EventStream[Token]:
        return self._stream(
            "POST", "/v1/stream", query={"n": n}, event_model=Token, timeout=timeout
        )

    def chat(self) -> WebSocketClientSession[ClientMessage, ServerMessage]:
        return self._websocket("/v1/ws", send_model=ClientMessage, receive_model=ServerMessage)


class AsyncClient(AsyncBaseClient):
    async def get_item(self, item_id: str, **options: Unpack[CallOptions]) -> Item:
        return await self._request(
            "GET",
            "/v1/items/{item_id}",
            path_params={"item_id": item_id},
            response_model=Item,
            **options,
        )

    def stream(self, n: int) -> AsyncEventStream[Token]:
        return self._stream("POST", "/v1/stream", query={"n": n}, event_model=Token)

    def chat(self) -> AsyncWebSocketClientSession[ClientMessage, ServerMessage]:
        return self._websocket("/v1/ws", send_model=ClientMessage, receive_model=ServerMessage)


def test_generated_sync_client(base_url: str) -> None:
    with Client(base_url) as client:
        assert client.get_item("a", trace_id="g-1", retries=0, timeout=5) == Item(id="a", price=1.5)
        assert client.last_trace_id == "g-1"
        got = client.echo(EchoRequest(prompt="p"), name="n", headers={"X-Custom": "c"})
        assert (got.name, got.x_custom, got.body) == ("n", "c", {"prompt": "p"})
        with pytest.raises(NotFoundError):
            client.get_item("missing")
        with client.stream(2) as events:
            assert [e.index for e in events] == [0, 1]
        with client.chat() as ws:
            ws.send(ClientMessage(text="x"))
            assert ws.receive(timeout=5) == ServerMessage(echo="x", n=1)


async def test_generated_async_client(base_url: str) -> None:
    async with AsyncClient(base_url) as client:
        assert (await client.get_item("b")).id == "b"
        async with client.stream(3) as events:
            assert [e.index async for e in events] == [0, 1, 2]
        async with client.chat() as ws:
            await ws.send(ClientMessage(text="y"))
            assert (await ws.receive(timeout=5)).echo == "y"
