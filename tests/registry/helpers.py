"""A real worker stand-in for registry tests: uvicorn serving a tiny app in the test's loop."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import uvicorn
from gmi_ieops.registry import Registrar, Registration
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route


async def _health(request: Request) -> PlainTextResponse:
    return PlainTextResponse("ok")


@dataclass
class Worker:
    """Where the worker listens: a Unix socket path, or a TCP port on 127.0.0.1."""

    socket_path: str | None
    host: str
    port: int


@contextlib.asynccontextmanager
async def serve_worker(socket_path: str | None = None) -> AsyncIterator[Worker]:
    """Serve ``GET /health`` on ``socket_path`` or on 127.0.0.1 and a free port."""
    if socket_path is not None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.bind(socket_path)
        port = 0
    else:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    app = Starlette(routes=[Route("/health", _health)])
    config = uvicorn.Config(app, lifespan="off", log_config=None, access_log=False)
    server = uvicorn.Server(config)
    task = asyncio.get_running_loop().create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.005)
    try:
        yield Worker(socket_path, "127.0.0.1", port)
    finally:
        server.should_exit = True
        server.force_exit = True
        await task


def registrar_for(
    proxy_socket: str = "",
    *,
    proxy_url: str = "",
    interval: float = 0.2,
    worker_id: str = "test-app.abcd1234",
    server_socket: str = "/tmp/test-app.abcd1234.sock",
    **kwargs: object,
) -> Registrar:
    registration = Registration(
        id=worker_id,
        server_socket=server_socket,
        max_concurrent_reqs=8,
        endpoint="test-app",
        weight=1,
    )
    return Registrar(
        registration,
        proxy_socket=proxy_socket,
        proxy_url=proxy_url,
        interval=interval,
        **kwargs,  # type: ignore[arg-type]
    )


async def loop_lag_while(seconds: float) -> float:
    """The worst delay of a 10 ms ticker on this loop over ``seconds``: is the loop free?"""
    worst = 0.0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        before = time.monotonic()
        await asyncio.sleep(0.01)
        worst = max(worst, time.monotonic() - before - 0.01)
    return worst
