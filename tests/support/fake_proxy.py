"""A real stand-in for the IEOPS proxy: uvicorn + Starlette on a real Unix socket (or TCP).

It serves ``POST /api/model/register`` and ``/api/model/unregister`` like the proxy (an
upsert table of workers, answers ``{"message": str, "data": any}``), records every request
with ``time.monotonic()`` and wall-clock stamps, and can be told to misbehave: answer 500,
answer garbage or a wrong shape, stall past the registrar's 0.8 s timeout, go away (socket
file removed), refuse (a socket file with nobody listening) and come back on the same path.

It runs in a thread with its own event loop, so it works from sync tests, from async tests
(use the ``a``-prefixed waits there, which do not block the loop) and next to worker
subprocesses. Use it with ``with FakeProxy.unix() as proxy:`` or the ``fake_proxy`` /
``fake_proxy_tcp`` fixtures (import them into a ``conftest.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

REGISTER = "/api/model/register"
UNREGISTER = "/api/model/unregister"

_REGISTER_FIELDS: dict[str, type | tuple[type, ...]] = {
    "id": str,
    "server_socket": str,
    "max_concurrent_reqs": int,
    "endpoint": str,
    "weight": (int, float),
}


@dataclass(frozen=True)
class ProxyRequest:
    """One request as the proxy received it."""

    path: str
    body: Any
    """The parsed JSON body, or ``None`` when it was not JSON."""
    raw: bytes
    monotonic: float
    wall: float
    mode: str
    """How the proxy was set to answer when it arrived: ok, fail, garbage, wrong_shape, stall."""
    http_version: str = "1.1"
    content_type: str = ""
    authorization: str = ""


class FakeProxy:
    """The proxy on ``socket_path`` (Unix) or ``host:port`` (TCP); see the module doc."""

    def __init__(
        self, socket_path: str | None = None, *, host: str = "127.0.0.1", port: int | None = None
    ) -> None:
        if socket_path is None and port is None:
            raise ValueError("FakeProxy needs a socket path or a TCP port (0: any free port)")
        self.socket_path = socket_path
        self.host = host
        self.port = port
        self.workers: dict[str, dict[str, Any]] = {}
        """The proxy's table: worker id → last register body."""
        self._requests: list[ProxyRequest] = []
        self._lock = threading.Lock()
        self._mode = "ok"
        self._status = 500
        self._stall_s = 2.0
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._release: asyncio.Event | None = None
        self._tmpdir: str | None = None
        self._app = Starlette(
            routes=[
                Route(REGISTER, self._handle, methods=["POST"]),
                Route(UNREGISTER, self._handle, methods=["POST"]),
            ]
        )

    # -- construction ---------------------------------------------------------------------

    @classmethod
    def unix(cls) -> FakeProxy:
        """A proxy on a fresh socket in a short temporary directory (Unix paths max 107 B)."""
        tmpdir = tempfile.mkdtemp(prefix="ieops-proxy-")
        proxy = cls(os.path.join(tmpdir, "proxy.sock"))
        proxy._tmpdir = tmpdir
        return proxy

    @classmethod
    def tcp(cls) -> FakeProxy:
        """A proxy on 127.0.0.1 and a free port."""
        return cls(port=0)

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` of a TCP proxy (the port is known once started)."""
        if self.port is None:
            raise ValueError("this FakeProxy listens on a Unix socket, not TCP")
        return f"http://{self.host}:{self.port}"

    def env(self) -> dict[str, str]:
        """Environment variables pointing a worker at this proxy."""
        if self.socket_path is not None:
            return {"IEOPS_PROXY_SOCKET": self.socket_path, "IEOPS_PROXY_URL": ""}
        return {"IEOPS_PROXY_URL": self.url}

    # -- life -----------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, timeout: float = 5.0) -> FakeProxy:
        """Listen (again, on the same path or port) and return once accepting."""
        if self.running:
            return self
        sock = self._bind()
        config = uvicorn.Config(
            self._app,
            lifespan="off",
            log_config=None,
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=1,
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=asyncio.run,
            args=(self._serve(server, sock),),
            name="fake-ieops-proxy",
            daemon=True,
        )
        self._server, self._thread = server, thread
        thread.start()
        deadline = time.monotonic() + timeout
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                sock.close()
                raise RuntimeError(f"fake proxy did not start on {self.address}")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        """Remove the socket file and stop listening: the proxy is gone."""
        if self.socket_path is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.socket_path)
        self._shutdown()

    def refuse(self) -> None:
        """Stop listening but leave a socket file behind: connections are refused."""
        self._shutdown()
        if self.socket_path is not None and not os.path.exists(self.socket_path):
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as stale:
                stale.bind(self.socket_path)

    def restart(self) -> FakeProxy:
        """Come back on the same address with an empty table, as a restarted proxy does."""
        self.stop()
        with self._lock:
            self.workers.clear()
        return self.start()

    def close(self) -> None:
        self.stop()
        if self._tmpdir is not None:
            shutil.rmtree(self._tmpdir, ignore_errors=True)

    def __enter__(self) -> FakeProxy:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- misbehaviour ---------------------------------------------------------------------

    def fail(self, status: int = 500) -> None:
        """Answer every request with ``status`` and a JSON error body."""
        self._set("fail", status=status)

    def garbage(self) -> None:
        """Answer 200 with a body that is not JSON."""
        self._set("garbage")

    def wrong_shape(self) -> None:
        """Answer 200 with JSON that is not ``{"message": str, "data": any}``."""
        self._set("wrong_shape")

    def stall(self, seconds: float = 2.0) -> None:
        """Hold every request ``seconds`` before answering (normally) — or until stopped."""
        self._set("stall", stall_s=seconds)

    def heal(self) -> None:
        """Answer normally again."""
        self._set("ok")

    # -- what was received ----------------------------------------------------------------

    @property
    def requests(self) -> list[ProxyRequest]:
        with self._lock:
            return list(self._requests)

    @property
    def registers(self) -> list[ProxyRequest]:
        return [r for r in self.requests if r.path == REGISTER]

    @property
    def unregisters(self) -> list[ProxyRequest]:
        return [r for r in self.requests if r.path == UNREGISTER]

    def clear(self) -> None:
        """Forget the recorded requests (not the table)."""
        with self._lock:
            self._requests.clear()

    def wait_for(
        self, condition: Callable[[FakeProxy], bool], timeout: float = 5.0, what: str = ""
    ) -> None:
        """Block until ``condition(self)`` holds; an ``AssertionError`` after ``timeout``."""
        deadline = time.monotonic() + timeout
        while not condition(self):
            if time.monotonic() > deadline:
                raise AssertionError(self._timeout_message(what or "condition", timeout))
            time.sleep(0.01)

    async def await_for(
        self, condition: Callable[[FakeProxy], bool], timeout: float = 5.0, what: str = ""
    ) -> None:
        """:meth:`wait_for` for async tests: sleeps on the event loop instead of blocking it."""
        deadline = time.monotonic() + timeout
        while not condition(self):
            if time.monotonic() > deadline:
                raise AssertionError(self._timeout_message(what or "condition", timeout))
            await asyncio.sleep(0.01)

    @property
    def address(self) -> str:
        return self.socket_path if self.socket_path is not None else f"{self.host}:{self.port}"

    # -- internals ------------------------------------------------------------------------

    def _set(self, mode: str, *, status: int = 500, stall_s: float | None = None) -> None:
        with self._lock:
            self._mode = mode
            self._status = status
            if stall_s is not None:
                self._stall_s = stall_s

    def _bind(self) -> socket.socket:
        if self.socket_path is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.socket_path)
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.bind(self.socket_path)
            return sock
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port or 0))
        self.port = sock.getsockname()[1]
        return sock

    async def _serve(self, server: uvicorn.Server, sock: socket.socket) -> None:
        self._loop = asyncio.get_running_loop()
        self._release = asyncio.Event()
        await server.serve(sockets=[sock])

    def _shutdown(self) -> None:
        server, thread, loop, release = self._server, self._thread, self._loop, self._release
        if server is None or thread is None:
            return
        server.should_exit = True
        server.force_exit = True
        if loop is not None and release is not None:
            with contextlib.suppress(RuntimeError):  # the loop may have ended already
                loop.call_soon_threadsafe(release.set)
        thread.join(10)
        if thread.is_alive():
            raise RuntimeError(f"fake proxy on {self.address} did not stop")
        self._server = self._thread = self._loop = self._release = None

    async def _handle(self, request: Request) -> Response:
        raw = await request.body()
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        with self._lock:
            mode, status, stall_s = self._mode, self._status, self._stall_s
            self._requests.append(
                ProxyRequest(
                    request.url.path,
                    body,
                    raw,
                    time.monotonic(),
                    time.time(),
                    mode,
                    request.scope.get("http_version", ""),
                    request.headers.get("content-type", ""),
                    request.headers.get("authorization", ""),
                )
            )
        if mode == "stall" and self._release is not None:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._release.wait(), stall_s)
        if mode == "fail":
            return JSONResponse({"message": "injected failure", "data": None}, status)
        if mode == "garbage":
            return PlainTextResponse("<html><body>502 Bad Gateway</body></html>")
        if mode == "wrong_shape":
            return JSONResponse(["not", "the", "proxy", "shape"])
        return self._apply(request.url.path, body)

    def _apply(self, path: str, body: Any) -> Response:
        if not isinstance(body, dict) or not isinstance(body.get("id"), str):
            return JSONResponse(
                {"message": "body must be a JSON object with an id", "data": None}, 400
            )
        if path == UNREGISTER:
            with self._lock:
                existed = self.workers.pop(body["id"], None) is not None
            return JSONResponse({"message": "unregistered", "data": {"existed": existed}})
        wrong = [
            name
            for name, kind in _REGISTER_FIELDS.items()
            if not isinstance(body.get(name), kind) or isinstance(body.get(name), bool)
        ]
        if wrong:
            return JSONResponse({"message": f"bad fields: {', '.join(wrong)}", "data": None}, 400)
        with self._lock:
            self.workers[body["id"]] = body
        return JSONResponse({"message": "registered", "data": {"id": body["id"]}})

    def _timeout_message(self, what: str, timeout: float) -> str:
        seen = ", ".join(f"{r.path}[{r.mode}]" for r in self.requests[-10:]) or "nothing"
        return f"fake proxy: {what} not met within {timeout:g} s; last requests: {seen}"


@pytest.fixture
def fake_proxy() -> Iterator[FakeProxy]:
    """A running fake proxy on a Unix socket, closed after the test."""
    with FakeProxy.unix() as proxy:
        yield proxy


@pytest.fixture
def fake_proxy_tcp() -> Iterator[FakeProxy]:
    """A running fake proxy on 127.0.0.1 and a free port, closed after the test."""
    with FakeProxy.tcp() as proxy:
        yield proxy


__all__ = [
    "REGISTER",
    "UNREGISTER",
    "FakeProxy",
    "ProxyRequest",
    "fake_proxy",
    "fake_proxy_tcp",
]
