"""Malformed input is a 4xx with the envelope; remaining 500s carry the trace id."""

from __future__ import annotations

import json

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect as ws_connect
from websockets.sync.client import unix_connect as ws_unix_connect

from tests.support.worker import WorkerProcess

from .conftest import Start, connect, read_response

TRACE = "trace-reliability-1"


def strict_json(body: bytes) -> object:
    def refuse(token: str) -> object:
        raise ValueError(f"not JSON: {token}")

    return json.loads(body, parse_constant=refuse)


def post_raw(worker: WorkerProcess, path: str, body: bytes) -> tuple[int, dict[str, str], bytes]:
    sock = connect(worker)
    head = (
        f"POST {path} HTTP/1.1\r\nHost: w\r\nContent-Type: application/json\r\n"
        f"X-Trace-Id: {TRACE}\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    sock.sendall(head.encode() + body)
    try:
        return read_response(sock)
    finally:
        sock.close()


CASES = [
    ("/r/echo", b"[" * 1000 + b"]" * 1000, 400, "deeply nested JSON, untyped"),
    ("/r/echo", b'{"a": ' + b"[" * 5000 + b"]" * 5000 + b"}", 400, "very deeply nested, untyped"),
    ("/r/typed", b'{"text": "caf\xe9-SECRET-BODY"}', 400, "invalid UTF-8, typed"),
    ("/r/echo", b'{"text": "caf\xe9-SECRET-BODY"}', 400, "invalid UTF-8, untyped"),
    ("/r/echo", b'{"text": "\\ud800"}', 400, "lone surrogate escape, untyped"),
    ("/r/typed", b'{"text": "\\ud800"}', 400, "lone surrogate escape, typed"),
    ("/r/echo", b'{"x": NaN}', 400, "NaN, untyped"),
    ("/r/echo", b'{"x": -Infinity}', 400, "Infinity, untyped"),
    ("/r/typed", b'{"text": "a", "score": NaN}', 400, "NaN, typed"),
    ("/r/typed", b'{"text": "a", "score": Infinity}', 400, "Infinity, typed"),
]


@pytest.fixture
def worker(start_worker: Start) -> object:
    with start_worker() as running:
        yield running


@pytest.mark.parametrize(("path", "body", "status", "what"), CASES, ids=[c[3] for c in CASES])
def test_malformed_input_is_4xx(
    worker: WorkerProcess, path: str, body: bytes, status: int, what: str
) -> None:
    got, headers, payload = post_raw(worker, path, body)
    assert got == status, payload
    envelope = strict_json(payload)
    assert isinstance(envelope, dict)
    assert envelope["trace_id"] == TRACE == headers["x-trace-id"]
    assert "SECRET-BODY" not in worker.output
    assert "Traceback" not in worker.output


def test_non_finite_numbers_are_never_emitted(worker: WorkerProcess) -> None:
    status, _, payload = post_raw(worker, "/r/nan", b"{}")
    assert status == 200
    assert strict_json(payload) == {"nan": None, "inf": None, "ninf": None}


def test_a_handler_bug_is_500_with_the_trace_id(worker: WorkerProcess) -> None:
    for path in ("/r/bug", "/r/surrogate"):
        status, headers, payload = post_raw(worker, path, b'{"secret": "SECRET-BODY"}')
        assert status == 500
        envelope = strict_json(payload)
        assert isinstance(envelope, dict)
        assert envelope["type"] == "internal_error"
        assert envelope["trace_id"] == TRACE == headers["x-trace-id"]
    assert "SECRET-BODY" not in worker.output


def _ws(worker: WorkerProcess, path: str):
    if worker.socket_path:
        return ws_unix_connect(worker.socket_path, uri=f"ws://w{path}", open_timeout=5)
    assert worker.url
    return ws_connect(worker.url.replace("http", "ws") + path, open_timeout=5)


def test_websocket_deep_message_is_answered_and_session_goes_on(worker: WorkerProcess) -> None:
    with _ws(worker, "/r/ws") as ws:
        ws.send("[" * 5000 + "]" * 5000)
        error = json.loads(ws.recv(timeout=5))
        assert error["error"]["type"] == "invalid_json"
        ws.send('{"x": NaN}')
        assert json.loads(ws.recv(timeout=5))["error"]["type"] == "invalid_json"
        ws.send('{"x": 1}')
        assert json.loads(ws.recv(timeout=5))["x"] == 1


def test_websocket_binary_garbage_closes_with_1007(worker: WorkerProcess) -> None:
    with _ws(worker, "/r/ws") as ws:
        ws.send(b"\xff\xfe not text")
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=5)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1007
    assert closed.value.rcvd.reason


def test_websocket_oversized_message_closes_with_1009(worker: WorkerProcess) -> None:
    with _ws(worker, "/r/ws") as ws:
        ws.send("x" * (17 * 1024 * 1024))
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=10)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009
