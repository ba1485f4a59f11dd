"""Typed RouterDefs: model validation, typed results, JSON or SSE on one path, typed WS."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from websockets.sync.client import unix_connect

from tests.support.worker import WorkerProcess, running_worker

from .conftest import APPS
from .sse import collect


@pytest.fixture(scope="module")
def typed_worker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WorkerProcess]:
    directory = tmp_path_factory.mktemp("typed")
    with running_worker(APPS / "typed.py", directory, MODEL_SERVER_SOCKET_DIR=str(directory)) as w:
        yield w


def test_json_response(typed_worker: WorkerProcess) -> None:
    with typed_worker.client() as client:
        r = client.post("/v1/chat", json={"prompt": "ab", "max_tokens": 2})
    assert r.status_code == 200
    assert r.json() == {"text": "abab", "trace_id": r.headers["x-trace-id"]}


def test_stream_flag_switches_to_sse(typed_worker: WorkerProcess) -> None:
    with (
        typed_worker.client() as client,
        client.stream(
            "POST", "/v1/chat", json={"prompt": "x", "max_tokens": 3, "stream": True}
        ) as r,
    ):
        assert r.headers["content-type"].startswith("text/event-stream")
        items, end, _ = collect(r)
    assert items == [{"index": i, "token": "x"} for i in range(3)] and end == "[DONE]"


def test_accept_header_switches_to_sse(typed_worker: WorkerProcess) -> None:
    with (
        typed_worker.client() as client,
        client.stream(
            "POST", "/v1/chat", json={"prompt": "y"}, headers={"Accept": "text/event-stream"}
        ) as r,
    ):
        items, end, _ = collect(r)
    assert len(items) == 3 and end == "[DONE]"


def test_sync_typed_stream(typed_worker: WorkerProcess) -> None:
    with (
        typed_worker.client() as client,
        client.stream("POST", "/v1/events", json={"prompt": "z", "max_tokens": 2}) as r,
    ):
        items, _, _ = collect(r)
    assert items == [{"index": 0, "token": "Z"}, {"index": 1, "token": "Z"}]


@pytest.mark.parametrize(
    ("body", "status", "error_type"),
    [
        (b'{"prompt": ""}', 422, "validation_error"),
        (b'{"prompt": "a", "max_tokens": 99}', 422, "validation_error"),
        (b'{"max_tokens": 2}', 422, "validation_error"),
        (b"{oops", 400, "invalid_json"),
        (b"", 400, "invalid_json"),
    ],
)
def test_bad_bodies(typed_worker: WorkerProcess, body: bytes, status: int, error_type: str) -> None:
    with typed_worker.client() as client:
        r = client.post("/v1/chat", content=body, headers={"content-type": "application/json"})
    assert r.status_code == status, r.text
    assert r.json()["type"] == error_type
    if status == 422:
        assert r.json()["details"][0]["loc"]


def test_typed_parameters(typed_worker: WorkerProcess) -> None:
    with typed_worker.client() as client:
        ok = client.get("/v1/items/5?verbose=true", headers={"X-Api-Key": "k"})
        bad = client.get("/v1/items/notanint")
    assert ok.json() == {"id": 5, "verbose": True, "key": "k"}
    assert bad.status_code == 422 and "item_id" in bad.json()["message"]


def test_invalid_result_is_a_500_not_a_leak(typed_worker: WorkerProcess) -> None:
    with typed_worker.client() as client:
        r = client.post("/v1/bad", json={"prompt": "a"})
    assert r.status_code == 500 and r.json()["type"] == "internal_error"


def test_typed_websocket(typed_worker: WorkerProcess) -> None:
    assert typed_worker.socket_path
    with unix_connect(typed_worker.socket_path, "ws://worker/v1/ws") as ws:
        ws.send(json.dumps({"kind": "ping", "n": 1}))
        assert json.loads(ws.recv()) == {"kind": "pong", "n": 2}
        ws.send(json.dumps({"kind": "nope"}))
        error = json.loads(ws.recv())["error"]
        assert error["type"] == "validation_error" and error["details"]
        ws.send(json.dumps({"kind": "ping", "n": 41}))
        assert json.loads(ws.recv())["n"] == 42
