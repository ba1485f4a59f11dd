"""A generated app served for real: uvicorn in a thread, on a Unix socket or 127.0.0.1.

The harness drives both ends from one process, so the generic service (``generic.py``) and
the checks share memory; the HTTP traffic between them still goes through a real socket,
uvicorn's protocol and the runtime's fast path. ``Capture`` records what the app sent for
each request (status, headers, body bytes) so the bytes on the wire can be validated.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn
from starlette.types import ASGIApp, Message, Receive, Scope, Send


@dataclass
class Exchange:
    """One HTTP request as the server answered it."""

    method: str
    path: str
    query: bytes
    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    request_headers: dict[str, str] = field(default_factory=dict)


class Capture:
    """ASGI middleware that keeps every answered HTTP exchange, in order."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.exchanges: list[Exchange] = []
        self.lock = threading.Lock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        record = Exchange(scope["method"], scope["path"], scope.get("query_string", b""))
        record.request_headers = {
            k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])
        }
        chunks: list[bytes] = []

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                record.status = message["status"]
                record.headers = {
                    k.decode("latin-1").lower(): v.decode("latin-1")
                    for k, v in message.get("headers", [])
                }
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            record.body = b"".join(chunks)
            with self.lock:
                self.exchanges.append(record)

    def wait(self, count: int, timeout: float = 5) -> list[Exchange]:
        """The exchanges so far, once ``count`` have completed (the app finishes a moment
        after the client has read the last byte)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.exchanges) >= count:
                    break
            time.sleep(0.001)
        return self.take()

    def take(self) -> list[Exchange]:
        with self.lock:
            taken, self.exchanges = self.exchanges, []
        return taken


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(app: Any, *, uds: Path | None = None, port: int | None = None) -> Iterator[None]:
    """Run ``app`` with uvicorn in a daemon thread until the block ends."""
    config = uvicorn.Config(
        app,
        uds=str(uds) if uds else None,
        host="127.0.0.1",
        port=port or 0,
        log_level="warning",
        lifespan="on",
        loop="asyncio",
        ws="auto",
        timeout_graceful_shutdown=1,
        timeout_keep_alive=600,  # hypothesis may draw for seconds between two calls
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(10)
