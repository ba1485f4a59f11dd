"""Unfinished request bodies: a deadline, 408, and no in-flight slot held while waiting."""

from __future__ import annotations

import json
import socket

from .conftest import Start, closed_by_peer, connect, read_response

CONCURRENCY = 2
QUEUE = 1


def stalled(worker: object, chunked: bool) -> socket.socket:
    sock = connect(worker)  # type: ignore[arg-type]
    if chunked:
        head = b"POST /r/echo HTTP/1.1\r\nHost: w\r\nTransfer-Encoding: chunked\r\n"
        sock.sendall(head + b'Content-Type: application/json\r\n\r\n5\r\n{"a":\r\n')
    else:
        head = b"POST /r/echo HTTP/1.1\r\nHost: w\r\nContent-Length: 10\r\n"
        sock.sendall(head + b"Content-Type: application/json\r\n\r\n{")
    return sock


def test_stalled_bodies_get_408_and_do_not_starve_others(start_worker: Start) -> None:
    with start_worker(
        MODEL_THREAD_CONCURRENCY=str(CONCURRENCY),
        MODEL_QUEUE_SIZE=str(QUEUE),
        API_BODY_TIMEOUT="1.5",
    ) as worker:
        attackers = [stalled(worker, chunked=i % 2 == 1) for i in range(3 * (CONCURRENCY + QUEUE))]
        with worker.client() as client:
            for _ in range(5):  # while every attacker is holding its connection open
                reply = client.post("/r/echo", json={"x": 1})
                assert reply.status_code == 200, reply.text
        for sock in attackers:
            status, headers, body = read_response(sock)
            assert status == 408
            assert headers.get("connection") == "close"
            envelope = json.loads(body)
            assert envelope["type"] == "request_timeout" and envelope["trace_id"]
            assert closed_by_peer(sock)
            sock.close()
