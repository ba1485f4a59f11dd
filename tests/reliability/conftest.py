"""Real workers under attack, over a Unix socket and over TCP.

Counts scale with ``RELIABILITY_SCALE`` (default 1; the soak is ``RELIABILITY_SCALE=10``).
Figures measured by the tests are printed at the end of the run and, with
``RELIABILITY_FIGURES=path.json``, written there (docs/reliability.md quotes them).
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.support.worker import WorkerProcess, running_worker

APP = Path(__file__).parent / "app.py"
SCALE = float(os.environ.get("RELIABILITY_SCALE", "1"))
FIGURES: dict[str, Any] = {}

pytestmark = pytest.mark.reliability


def scaled(count: int) -> int:
    return max(1, int(count * SCALE))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.reliability)


def record_figure(name: str, value: Any) -> None:
    FIGURES[name] = value


def p99(values: list[float]) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[98]


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not FIGURES:
        return
    terminalreporter.section("reliability figures")
    for name, value in sorted(FIGURES.items()):
        terminalreporter.write_line(f"{name}: {value}")
    target = os.environ.get("RELIABILITY_FIGURES")
    if target:
        Path(target).write_text(json.dumps(FIGURES, indent=2, sort_keys=True) + "\n")


TRANSPORTS = ["unix", "tcp"]
REQUEST_HEAD = b"POST /r/echo HTTP/1.1\r\nHost: w\r\nContent-Type: application/json\r\n"


@pytest.fixture(params=TRANSPORTS)
def transport(request: pytest.FixtureRequest) -> str:
    return str(request.param)


Start = Callable[..., Any]


@pytest.fixture
def start_worker(tmp_path: Path, transport: str) -> Start:
    """``start_worker(**env)``: a context manager running the suite's worker."""

    @contextmanager
    def start(**env: str) -> Iterator[WorkerProcess]:
        settings = {"APP_NAME": "rel", "MODEL_SERVER_SOCKET_DIR": str(tmp_path), **env}
        if transport == "tcp":
            settings.update(MODEL_SERVER_SOCKET="", MODEL_SERVER_PORT="0")
        with running_worker(APP, tmp_path, **settings) as worker:
            yield worker

    return start


def connect(worker: WorkerProcess, timeout: float = 10) -> socket.socket:
    """A raw connection to the worker, for requests no well-behaved client would send."""
    if worker.socket_path:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        sock.connect(worker.socket_path)
        return sock
    assert worker.url is not None
    host, port = worker.url.removeprefix("http://").rsplit(":", 1)
    sock = socket.create_connection((host, int(port)), timeout=timeout)
    return sock


async def exchange(worker: WorkerProcess, request: bytes) -> tuple[int, bytes, float]:
    """One request on a new connection with asyncio streams (lighter than an HTTP client,
    so that hundreds at once measure the worker, not the client): status, body, seconds."""
    started = time.monotonic()
    if worker.socket_path:
        reader, writer = await asyncio.open_unix_connection(worker.socket_path)
    else:
        assert worker.url is not None
        host, port = worker.url.removeprefix("http://").rsplit(":", 1)
        reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(request)
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        body = await reader.readexactly(length)
        return status, body, time.monotonic() - started
    finally:
        writer.close()


def json_request(path: str, body: bytes) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: w\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body


def read_response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """One HTTP/1.1 response with a Content-Length body (what the worker's errors use)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed before a response: {data!r}")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return status, headers, body


def closed_by_peer(sock: socket.socket, timeout: float = 10) -> bool:
    """Whether the worker closes the connection (reads end) within ``timeout``."""
    sock.settimeout(timeout)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if not sock.recv(65536):
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except TimeoutError:
        return False
    return False


class ExitClock:
    """When the worker process exits, stamped by a thread waiting on it (not by the test's
    event loop, which may be busy reading the last responses)."""

    def __init__(self, worker: WorkerProcess) -> None:
        self.started = time.monotonic()
        self.exited: float | None = None
        self._thread = threading.Thread(target=self._wait, args=(worker,), daemon=True)
        self._thread.start()

    def _wait(self, worker: WorkerProcess) -> None:
        worker.proc.wait()
        self.exited = time.monotonic()

    def seconds(self, timeout: float = 20) -> float:
        self._thread.join(timeout)
        assert self.exited is not None, "the worker did not exit"
        return self.exited - self.started


def proc_rss(pid: int) -> int:
    with open(f"/proc/{pid}/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def proc_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))
