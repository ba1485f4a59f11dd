"""The two error formats a service may declare, on a real worker (uvicorn on a Unix
socket): the seed's envelope (default) and OpenAI's — bodies, statuses, stream ends,
WebSocket messages, ``X-Request-Id`` — and the runtime client decoding both."""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from gmi_ieops.client import BaseClient
from gmi_ieops.client.errors import (
    GatewayTimeoutError,
    NotFoundError,
    RequestValidationError,
    ServerError,
)
from pydantic import BaseModel

from tests.support.worker import WorkerProcess, running_worker

APP = Path(__file__).parent / "apps" / "error_formats.py"
SECRET = "secret internal detail"


@pytest.fixture(scope="module", params=["ieops", "openai"])
def worker(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WorkerProcess]:
    directory = tmp_path_factory.mktemp(f"errors-{request.param}")
    with running_worker(
        APP,
        directory,
        APP_NAME="errors",
        MODEL_SERVER_SOCKET_DIR=str(directory),
        ERROR_FORMAT=request.param,
    ) as started:
        started.format = request.param  # type: ignore[attr-defined]
        yield started


def fmt(worker: WorkerProcess) -> str:
    return str(worker.format)  # type: ignore[attr-defined]


def call(worker: WorkerProcess, path: str, **kw: Any) -> httpx.Response:
    with worker.client() as client:
        return client.post(f"http://w{path}", **kw)


def error_of(worker: WorkerProcess, payload: Any, trace_id: str) -> tuple[str, str]:
    """(message, runtime type) of an error body, checking its format's exact shape."""
    if fmt(worker) == "openai":
        assert set(payload) == {"error"}
        error = payload["error"]
        assert set(error) == {"message", "type", "param", "code"}
        return error["message"], error["code"]
    assert payload["trace_id"] == trace_id
    return payload["message"], payload["type"]


def test_validation_error_is_422_or_openais_400_with_param(worker: WorkerProcess) -> None:
    response = call(worker, "/typed", json={"n": "x"})
    assert response.status_code == (400 if fmt(worker) == "openai" else 422)
    message, kind = error_of(worker, response.json(), response.headers["x-trace-id"])
    assert kind == "validation_error"
    assert message.startswith("invalid request body: prompt: Field required")
    if fmt(worker) == "openai":
        error = response.json()["error"]
        assert (error["type"], error["param"]) == ("invalid_request_error", "prompt")
    else:
        assert [d["loc"] for d in response.json()["details"]] == [["prompt"], ["n"]]


def test_invalid_json_is_400_in_both(worker: WorkerProcess) -> None:
    response = call(worker, "/typed", content=b"{bad", headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert error_of(worker, response.json(), response.headers["x-trace-id"])[1] == "invalid_json"


@pytest.mark.parametrize(
    ("path", "status", "kind", "openai_type"),
    [
        ("/boom", 500, "internal_error", "server_error"),
        ("/missing", 404, "not_found", "invalid_request_error"),
        ("/slow", 504, "timeout_error", "server_error"),
    ],
)
def test_handler_errors_keep_their_status(
    worker: WorkerProcess, path: str, status: int, kind: str, openai_type: str
) -> None:
    response = call(worker, path, json={"name": "a"})
    assert response.status_code == status
    assert SECRET not in response.text
    message, got = error_of(worker, response.json(), response.headers["x-trace-id"])
    assert got == kind and message
    if fmt(worker) == "openai":
        assert response.json()["error"]["type"] == openai_type


def test_a_routes_own_format_wins_over_the_servers(worker: WorkerProcess) -> None:
    seed = call(worker, "/boom-ieops", json={})
    assert seed.json()["type"] == "internal_error" and seed.json()["trace_id"]
    openai = call(worker, "/boom-openai", json={})
    assert openai.json()["error"]["code"] == "internal_error"


def test_unknown_path_follows_the_servers_format(worker: WorkerProcess) -> None:
    with worker.client() as client:
        response = client.get("http://w/nope")
    assert response.status_code == 404
    assert error_of(worker, response.json(), response.headers["x-trace-id"])[1] == "not_found"


def _frames(text: str) -> list[tuple[str | None, Any]]:
    frames: list[tuple[str | None, Any]] = []
    for block in text.strip().split("\n\n"):
        event = None
        data = []
        for line in block.splitlines():
            name, _, value = line.partition(": ")
            if name == "event":
                event = value
            elif name == "data":
                data.append(value)
        frames.append((event, json.loads("\n".join(data))))
    return frames


@pytest.mark.parametrize(
    ("path", "kind"), [("/stream", "internal_error"), ("/slow-stream", "timeout_error")]
)
def test_a_stream_that_fails_midway_ends_with_its_formats_error(
    worker: WorkerProcess, path: str, kind: str
) -> None:
    response = call(worker, path, json={})
    assert response.status_code == 200
    assert "[DONE]" not in response.text and SECRET not in response.text
    frames = _frames(response.text)
    assert frames[0] == (None, {"token": "first"})
    event, payload = frames[-1]
    assert len(frames) == 2
    # OpenAI's clients raise on a data frame holding "error"; ours on ``event: error``
    assert event == (None if fmt(worker) == "openai" else "error")
    assert error_of(worker, payload, response.headers["x-trace-id"])[1] == kind


def test_protocol_refusals_follow_the_servers_format(worker: WorkerProcess) -> None:
    """431 comes from the connection's parser, before any route is known."""
    assert worker.socket_path is not None
    with socket.socket(socket.AF_UNIX) as raw:
        raw.connect(worker.socket_path)
        raw.sendall(b"GET /typed HTTP/1.1\r\nHost: w\r\nX-Big: " + b"a" * 40000 + b"\r\n\r\n")
        reply = b""
        while chunk := raw.recv(65536):
            reply += chunk
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 431")
    trace_id = re.search(rb"x-trace-id: (\S+)", head)
    assert trace_id is not None and f"x-request-id: {trace_id[1].decode()}".encode() in head
    payload = json.loads(body)
    kind = error_of(worker, payload, trace_id[1].decode())[1]
    assert kind == "request_header_fields_too_large"


def test_request_id_is_echoed_or_the_trace_id(worker: WorkerProcess) -> None:
    fresh = call(worker, "/boom", json={})
    assert fresh.headers["x-request-id"] == fresh.headers["x-trace-id"]
    both = call(worker, "/typed", json={"prompt": "a"}, headers={"x-request-id": "req-7"})
    assert both.status_code == 200
    assert both.headers["x-request-id"] == both.headers["x-trace-id"] == "req-7"
    mine = call(worker, "/missing", json={}, headers={"x-request-id": "req-8", "x-trace-id": "t-8"})
    assert (mine.headers["x-request-id"], mine.headers["x-trace-id"]) == ("req-8", "t-8")
    bad = call(worker, "/stream", json={}, headers={"x-request-id": "no spaces allowed"})
    assert bad.headers["x-request-id"] == bad.headers["x-trace-id"] != "no spaces allowed"


# -- the runtime client decodes both ------------------------------------------------------


class Ask(BaseModel):
    prompt: str | None = None
    n: Any = 1


class Answer(BaseModel):
    text: str


class Token(BaseModel):
    token: str


class Say(BaseModel):
    text: str


def client_for(worker: WorkerProcess) -> BaseClient:
    class Client(BaseClient):
        error_format = fmt(worker)

    return Client(f"unix://{worker.socket_path}", retries=0)


def test_client_raises_the_typed_error_of_either_format(worker: WorkerProcess) -> None:
    with client_for(worker) as client:
        with pytest.raises(RequestValidationError) as invalid:
            client._request("POST", "/typed", body=Ask(n="x"), response_model=Answer)
        assert invalid.value.status == (400 if fmt(worker) == "openai" else 422)
        assert invalid.value.type == "validation_error"
        assert "prompt: Field required" in invalid.value.message
        assert invalid.value.details and invalid.value.details[0]["loc"] == ["prompt"]
        assert invalid.value.trace_id
        with pytest.raises(NotFoundError, match="no such thing: a") as missing:
            client._request("POST", "/missing", body={"name": "a"}, response_model=Answer)
        assert missing.value.type == "not_found"
        with pytest.raises(GatewayTimeoutError):
            client._request("POST", "/slow", body={}, response_model=Answer)
        with pytest.raises(ServerError) as failed:
            client._request("POST", "/boom", body={}, response_model=Answer)
        assert failed.value.type == "internal_error" and failed.value.status == 500


@pytest.mark.parametrize(
    ("path", "error"), [("/stream", ServerError), ("/slow-stream", GatewayTimeoutError)]
)
def test_client_stream_raises_the_midstream_error(
    worker: WorkerProcess, path: str, error: type[Exception]
) -> None:
    got: list[Token] = []
    with (
        client_for(worker) as client,
        pytest.raises(error) as caught,
        client._stream("POST", path, body={}, event_model=Token) as stream,
    ):
        got.extend(stream)
    assert [t.token for t in got] == ["first"]
    assert caught.value.trace_id  # type: ignore[attr-defined]


async def test_async_client_stream_raises_the_midstream_error(worker: WorkerProcess) -> None:
    from gmi_ieops.client import AsyncBaseClient

    class Client(AsyncBaseClient):
        error_format = fmt(worker)

    got: list[Token] = []
    async with Client(f"unix://{worker.socket_path}", retries=0) as client:
        with pytest.raises(ServerError) as caught:
            async with client._stream("POST", "/stream", body={}, event_model=Token) as stream:
                async for token in stream:
                    got.append(token)
    assert [t.token for t in got] == ["first"] and caught.value.type == "internal_error"


def test_websocket_errors_follow_the_format_and_decode(worker: WorkerProcess) -> None:
    with (
        client_for(worker) as client,
        client._websocket("/ws", send_model=Say, receive_model=Say) as session,
    ):
        session.send(Say(text="hi"))
        assert session.receive(timeout=5).text == "hi"
        session.connection.send(json.dumps({"txt": 1}))  # invalid: answered, goes on
        with pytest.raises(RequestValidationError):
            session.receive(timeout=5)
        session.send(Say(text="again"))
        assert session.receive(timeout=5).text == "again"
        session.connection.send(json.dumps({"text": "fail"}))
        raw = session.connection.recv(timeout=5)
    payload = json.loads(raw)
    if fmt(worker) == "openai":
        assert payload["error"]["code"] == "internal_error"
        assert set(payload["error"]) == {"message", "type", "param", "code"}
    else:
        assert payload["error"]["type"] == "internal_error" and payload["error"]["trace_id"]
    assert SECRET not in raw
