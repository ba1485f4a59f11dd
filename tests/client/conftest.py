"""Real uvicorn servers (Unix socket and TCP 127.0.0.1) running the wire-format app."""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
import uvicorn

from .wire_app import make_app


@dataclass
class RunningServer:
    base_url: str
    server: uvicorn.Server
    thread: threading.Thread


def _start(sock: socket.socket, base_url: str, uds: str | None) -> RunningServer:
    config = uvicorn.Config(
        make_app(),
        log_level="warning",
        lifespan="off",
        ws="websockets-sansio",
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    transport = httpx.HTTPTransport(uds=uds) if uds else None
    http_base = "http://localhost" if uds else base_url
    deadline = time.monotonic() + 10
    with httpx.Client(transport=transport, timeout=1) as probe:
        while True:  # wait until it answers, not merely until the thread runs
            try:
                if probe.get(http_base + "/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError(f"test server at {base_url} did not start")
            time.sleep(0.02)
    return RunningServer(base_url, server, thread)


def _stop(running: RunningServer) -> None:
    running.server.should_exit = True
    running.thread.join(5)


@pytest.fixture(scope="session")
def unix_server() -> Iterator[RunningServer]:
    tmp = tempfile.mkdtemp(prefix="ieops-client-")  # short: AF_UNIX paths are <= 107 bytes
    path = os.path.join(tmp, "wire.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(path)
    running = _start(sock, f"unix://{path}", path)
    yield running
    _stop(running)
    shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="session")
def tcp_server() -> Iterator[RunningServer]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    running = _start(sock, f"http://127.0.0.1:{port}", None)
    yield running
    _stop(running)


@pytest.fixture(params=["unix", "tcp"])
def base_url(request: pytest.FixtureRequest) -> str:
    """Each test using it runs against both transports."""
    running: RunningServer = request.getfixturevalue(f"{request.param}_server")
    return running.base_url


@pytest.fixture
def unix_url(unix_server: RunningServer) -> str:
    return unix_server.base_url
