"""Headers and connections: size and count limits (431), idle and header timeouts, a cap."""

from __future__ import annotations

import contextlib
import fcntl
import json
import socket
import struct
import termios
import time

from .conftest import (
    Start,
    closed_by_peer,
    connect,
    proc_fds,
    proc_rss,
    read_response,
    record_figure,
)

REQUEST = b"POST /r/echo HTTP/1.1\r\nHost: w\r\nContent-Type: application/json\r\n"


def _send_quietly(sock: socket.socket, data: bytes) -> None:
    """Send as much as the worker takes; it may close the connection part-way."""
    with contextlib.suppress(OSError):
        sock.sendall(data)


def _wait_until_read(sock: socket.socket) -> None:
    """Until the peer has taken what was sent (a Unix socket's send queue empties only then;
    over TCP it means acknowledged, plus a moment for the worker to read it)."""
    for _ in range(500):
        queued = struct.unpack("i", fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, b"\0" * 4))[0]
        if queued == 0:
            break
        time.sleep(0.01)
    time.sleep(0.3)


def test_large_header_is_431(start_worker: Start, transport: str) -> None:
    with start_worker(SERVER_MAX_HEADER_SIZE="16384") as worker:
        sock = connect(worker)
        _send_quietly(
            sock, REQUEST + b"X-Big: " + b"a" * 8_000_000 + b"\r\nContent-Length: 2\r\n\r\n{}"
        )
        status, _headers, body = read_response(sock)
        assert status == 431
        assert json.loads(body)["type"] == "request_header_fields_too_large"
        assert closed_by_peer(sock)
        with worker.client() as client:
            assert client.post("/r/echo", json={}).status_code == 200


def test_headers_under_the_limit_arriving_in_pieces_are_served(start_worker: Start) -> None:
    """24 KiB of headers against a 32 KiB limit, in two reads: counted once, served."""
    with start_worker(SERVER_MAX_HEADER_SIZE="32768") as worker:
        sock = connect(worker)
        fields = b"".join(b"X-F%d: %s\r\n" % (i, b"v" * 1000) for i in range(24))
        sock.sendall(REQUEST + fields[: len(fields) // 2])
        _wait_until_read(sock)  # the worker reads the first half on its own
        sock.sendall(fields[len(fields) // 2 :] + b"Content-Length: 2\r\n\r\n{}")
        assert read_response(sock)[0] == 200


def test_too_many_headers_is_431(start_worker: Start) -> None:
    with start_worker(SERVER_MAX_HEADERS="100") as worker:
        sock = connect(worker)
        many = b"".join(b"X-H%d: v\r\n" % i for i in range(100_000))
        _send_quietly(sock, REQUEST + many + b"Content-Length: 2\r\n\r\n{}")
        status, _, body = read_response(sock)
        assert status == 431
        assert "100" in json.loads(body)["message"]
        # exactly at the limit is fine
        ok = connect(worker)
        fine = b"".join(b"X-H%d: v\r\n" % i for i in range(96))
        ok.sendall(REQUEST + fine + b"Content-Length: 2\r\n\r\n{}")
        assert read_response(ok)[0] == 200


def test_unfinished_huge_headers_keep_memory_bounded(start_worker: Start, transport: str) -> None:
    with start_worker() as worker:
        pid = worker.proc.pid
        before = proc_rss(pid)
        socks = [connect(worker) for _ in range(10)]
        chunk = b"a" * (1 << 20)
        for sock in socks:
            _send_quietly(sock, REQUEST + b"X-Big: ")
        for _ in range(20):  # 20 MB per connection, never finished
            for sock in socks:
                _send_quietly(sock, chunk)
        time.sleep(0.5)
        peak = proc_rss(pid)
        for sock in socks:
            sock.close()
        growth = (peak - before) / 2**20
        record_figure(f"header attack RSS growth MB ({transport}, 10 x 20 MB)", round(growth, 1))
        assert growth < 30, f"RSS grew by {growth:.0f} MB"
        with worker.client() as client:
            assert client.post("/r/echo", json={}).status_code == 200


def test_idle_and_slow_header_connections_are_closed(start_worker: Start) -> None:
    with start_worker(SERVER_KEEPALIVE_TIMEOUT="0.5", SERVER_HEADER_TIMEOUT="1") as worker:
        idle = connect(worker)
        slow = connect(worker)
        slow.sendall(b"POST /r/echo HTTP/1.1\r\nHost: w\r\n")
        assert closed_by_peer(idle, timeout=10)
        # a request started but never finished its headers: 408, then closed
        status, headers, _ = read_response(slow)
        assert status == 408 and headers.get("connection") == "close"
        assert closed_by_peer(slow, timeout=10)


def test_connections_past_the_cap_get_503(start_worker: Start) -> None:
    with start_worker(SERVER_MAX_CONNECTIONS="20", SERVER_KEEPALIVE_TIMEOUT="60") as worker:
        held = [connect(worker) for _ in range(20)]
        time.sleep(0.2)
        extra = connect(worker)
        _send_quietly(extra, REQUEST + b"Content-Length: 2\r\n\r\n{}")
        status, headers, body = read_response(extra)
        assert status == 503
        assert json.loads(body)["type"] == "overloaded"
        assert headers.get("connection") == "close" and headers.get("retry-after")
        for sock in held:
            sock.close()
        time.sleep(0.2)
        with worker.client() as client:
            assert client.post("/r/echo", json={}).status_code == 200


def test_idle_connections_at_a_low_fd_limit_do_not_break_service(start_worker: Start) -> None:
    """300 idle connections against 256 file descriptors: the worker says 503, not silence."""
    with start_worker(RLIMIT_NOFILE="256", SERVER_KEEPALIVE_TIMEOUT="60") as worker:
        held: list[socket.socket] = []
        for _ in range(300):
            try:
                held.append(connect(worker, timeout=2))
            except OSError:
                break
        time.sleep(1)  # the connections past the cap are answered and closed meanwhile
        record_figure(
            "300 idle connections at RLIMIT_NOFILE=256: worker's open fds",
            proc_fds(worker.proc.pid),
        )
        answered = 0
        for _ in range(3):
            try:
                sock = connect(worker, timeout=5)
                _send_quietly(sock, REQUEST + b"Content-Length: 2\r\n\r\n{}")
                status, _, body = read_response(sock)
                assert status == 503 and json.loads(body)["type"] == "overloaded"
                answered += 1
                sock.close()
            except OSError as exc:
                raise AssertionError(f"no answer at the connection cap: {exc!r}") from exc
        for sock in held:
            sock.close()
        time.sleep(0.3)
        with worker.client() as client:
            assert client.post("/r/echo", json={}).status_code == 200
        assert answered == 3
