"""The client against the real runtime: a typed worker (tests/runtime/apps/typed.py) as a
process on its own Unix socket, so both sides of the wire formats are checked together."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from gmi_ieops.client import (
    AsyncBaseClient,
    BaseClient,
    RequestValidationError,
    ServerError,
)
from pydantic import BaseModel

from tests.support.worker import running_worker

TYPED_APP = Path(__file__).parent.parent / "runtime" / "apps" / "typed.py"


# Stand-ins for what ieops-gen emits from the typed app's spec (the client shares no classes
# with the server).
class ChatRequest(BaseModel):
    prompt: str
    max_tokens: int = 3
    stream: bool = False


class ChatResponse(BaseModel):
    text: str
    trace_id: str


class ChatChunk(BaseModel):
    index: int
    token: str


class Item(BaseModel):
    id: int
    verbose: bool
    key: str | None


class Ping(BaseModel):
    kind: str
    n: int


class Pong(BaseModel):
    kind: str
    n: int


@pytest.fixture(scope="module")
def worker_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    directory = tmp_path_factory.mktemp("interop")
    with running_worker(
        TYPED_APP, directory, MODEL_SERVER_SOCKET_DIR=str(directory), REGISTER_ENABLED="false"
    ) as worker:
        assert worker.socket_path, worker.output
        yield f"unix://{worker.socket_path}"


def test_json_call_and_trace_id(worker_url: str) -> None:
    with BaseClient(worker_url) as client:
        got = client._request(
            "POST",
            "/v1/chat",
            body=ChatRequest(prompt="ab", max_tokens=2),
            response_model=ChatResponse,
            trace_id="interop-1",
        )
        assert got == ChatResponse(text="abab", trace_id="interop-1")
        assert client.last_trace_id == "interop-1"


def test_stream_by_accept_and_by_flag(worker_url: str) -> None:
    with BaseClient(worker_url) as client:
        with client._stream(
            "POST", "/v1/chat", body=ChatRequest(prompt="x", max_tokens=3), event_model=ChatChunk
        ) as stream:
            assert [c.index for c in stream] == [0, 1, 2]
        flagged = ChatRequest(prompt="y", max_tokens=2, stream=True)
        with client._stream("POST", "/v1/chat", body=flagged, event_model=ChatChunk) as stream:
            assert [c.token for c in stream] == ["y", "y"]
        with client._stream(
            "POST", "/v1/events", body=ChatRequest(prompt="z", max_tokens=2), event_model=ChatChunk
        ) as stream:
            assert [c.token for c in stream] == ["Z", "Z"]


def test_parameters_in_path_query_header(worker_url: str) -> None:
    with BaseClient(worker_url) as client:
        got = client._request(
            "GET",
            "/v1/items/{item_id}",
            path_params={"item_id": 42},
            query={"verbose": True},
            headers={"X-Api-Key": "k"},
            response_model=Item,
        )
    assert got == Item(id=42, verbose=True, key="k")


def test_errors_of_the_runtime(worker_url: str) -> None:
    with BaseClient(worker_url) as client:
        with pytest.raises(RequestValidationError) as info:
            client._request(
                "POST",
                "/v1/chat",
                body={"prompt": "", "max_tokens": 3},
                response_model=ChatResponse,
                trace_id="bad-1",
            )
        err = info.value
        assert (err.status, err.type, err.trace_id) == (422, "validation_error", "bad-1")
        assert err.details
        with pytest.raises(ServerError) as info500:
            client._request(
                "POST", "/v1/bad", body=ChatRequest(prompt="p"), response_model=ChatResponse
            )
        assert info500.value.status == 500 and info500.value.type == "internal_error"
        assert "Traceback" not in info500.value.message


async def test_async_against_runtime(worker_url: str) -> None:
    async with AsyncBaseClient(worker_url) as client:
        got = await client._request(
            "POST",
            "/v1/chat",
            body=ChatRequest(prompt="q", max_tokens=1),
            response_model=ChatResponse,
        )
        assert got.text == "q" and got.trace_id == client.last_trace_id
        async with client._stream(
            "POST", "/v1/chat", body=ChatRequest(prompt="s", max_tokens=4), event_model=ChatChunk
        ) as stream:
            assert [c.index async for c in stream] == [0, 1, 2, 3]
        async with client._websocket("/v1/ws", send_model=Ping, receive_model=Pong) as ws:
            await ws.send(Ping(kind="ping", n=1))
            assert await ws.receive(timeout=5) == Pong(kind="pong", n=2)


def test_websocket_against_runtime(worker_url: str) -> None:
    with (
        BaseClient(worker_url) as client,
        client._websocket(
            "/v1/ws", send_model=Ping, receive_model=Pong, trace_id="ws-interop"
        ) as ws,
    ):
        assert ws.trace_id == "ws-interop"
        ws.send(Ping(kind="ping", n=1))
        assert ws.receive(timeout=5) == Pong(kind="pong", n=2)
        ws.send(Ping(kind="nope", n=1))  # the server's model refuses it and goes on
        with pytest.raises(RequestValidationError) as info:
            ws.receive(timeout=5)
        assert info.value.details
        ws.send(Ping(kind="ping", n=41))
        assert ws.receive(timeout=5).n == 42
