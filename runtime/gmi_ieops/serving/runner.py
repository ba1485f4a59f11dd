"""``Handler``: runs a :class:`Server` under uvicorn with the worker lifecycle.

Start: bind (fail fast) → startup hooks → listen → ``/ready`` → register.
Stop (SIGTERM/SIGINT or :func:`request_shutdown`): unregister → not ready → stop accepting
and drain in-flight requests and streams up to ``GRACEFUL_SHUTDOWN_TIME`` → shutdown hooks
→ remove the socket file → exit. A second signal forces a quick exit.
"""

from __future__ import annotations

import asyncio
import signal
import socket
import sys
from collections.abc import Coroutine
from types import FrameType
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, cast

import uvicorn

from ..config import ConfigError, env
from ..utils import log
from . import lifecycle as lifecycle_module
from .sockets import Listener, SocketError, auto_socket_path, bind_tcp, bind_unix

if TYPE_CHECKING:
    from ..routing.app import Server

_logger = log.get_logger("serving")

FORCED_EXIT_CODE = 1

T = TypeVar("T")


class Announcer(Protocol):
    """Tells the load balancer about the worker (the IEOPS proxy registrar)."""

    async def start(self) -> None: ...
    async def stop(self) -> None: ...


class _Uvicorn(uvicorn.Server):
    """uvicorn with our start and stop ordering and exit codes."""

    def __init__(self, config: uvicorn.Config, worker: Handler) -> None:
        super().__init__(config)
        self.worker = worker
        self.drain_started = False

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started and not self.should_exit:
            await self.worker._on_listening()
            loop = asyncio.get_running_loop()
            self.worker.server.lifecycle.bind(loop, self.begin_drain)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self.drain_started:
            _logger.warning("second signal: exiting now without draining")
            self.force_exit = True
            self.should_exit = True
            self.worker.forced = True
            return
        _logger.info("received %s: draining", signal.Signals(sig).name)
        self.begin_drain()

    def begin_drain(self) -> None:
        if self.drain_started:
            return
        self.drain_started = True
        if not self.started:
            self.should_exit = True
            return
        asyncio.get_running_loop().create_task(self._drain())

    async def _drain(self) -> None:
        try:
            await self.worker._before_drain()
        finally:
            self.worker.server.lifecycle.draining = True
            self.should_exit = True


def run_event_loop(main: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run`` on uvloop when it is installed (as uvicorn itself would choose)."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    if sys.version_info >= (3, 11):
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            return runner.run(main)
    uvloop.install()  # pragma: no cover - Python 3.10
    return asyncio.run(main)  # pragma: no cover


class Handler:
    """The seed's ``Handler(server=server).serve()``: run the worker until it is stopped."""

    def __init__(
        self,
        server: Server,
        *,
        socket_path: str | None = None,
        host: str | None = None,
        port: int | None = None,
        announcer: Announcer | None = None,
    ) -> None:
        """``announcer`` defaults to the IEOPS proxy registrar configured by ``REGISTER_*``."""
        self.server = server
        self._socket_path = socket_path
        self._host = host
        self._port = port
        self.announcer = announcer
        self.listener: Listener | None = None
        self.forced = False

    def serve(self) -> None:
        """Block until the worker stops; exit non-zero when it stopped because of a failure."""
        try:
            env.validate()
        except ConfigError as exc:
            raise SystemExit(f"gmi_ieops: {exc}") from None
        log.configure()
        try:
            code = run_event_loop(self.serve_async())
        except SocketError as exc:
            raise SystemExit(f"gmi_ieops: {exc}") from None
        if code:
            sys.exit(code)

    async def serve_async(self) -> int:
        """Run in the current event loop; returns the exit code."""
        server = self.server
        lifecycle_module.set_current(server.lifecycle)
        self.listener = self._bind()
        config = uvicorn.Config(
            server.app,
            lifespan="on",
            access_log=env.log.access,
            log_level=env.log.level.lower(),
            # uvicorn annotates this as int but passes it to asyncio.wait_for: seconds may be
            # fractional.
            timeout_graceful_shutdown=cast(int, env.server.graceful_shutdown_time),
            log_config=None,
        )
        uvicorn_server = _Uvicorn(config, self)
        try:
            await uvicorn_server.serve(sockets=[self.listener.sock])
        finally:
            self.listener.cleanup()
            lifecycle_module.set_current(None)
        _logger.info("stopped")
        code = server.lifecycle.exit_code
        if self.forced and not code:
            code = FORCED_EXIT_CODE
        return code

    def _bind(self) -> Listener:
        socket_setting = self._socket_path if self._socket_path is not None else env.server.socket
        if socket_setting == "":
            host = self._host or env.server.host
            port = self._port if self._port is not None else env.server.port
            return bind_tcp(host, port)
        path = socket_setting or auto_socket_path(self.server.name, env.server.socket_dir)
        return bind_unix(path, env.server.socket_mode)

    async def _on_listening(self) -> None:
        assert self.listener is not None
        _logger.info("listening on %s", self.listener.describe())
        print(f"gmi_ieops: listening on {self.listener.describe()}", file=sys.stderr, flush=True)
        if self.announcer is None:
            self.announcer = self._registrar(self.listener)
        await self.announcer.start()

    @staticmethod
    def _registrar(listener: Listener) -> Announcer:
        """The IEOPS proxy registrar for this listener (it does nothing when disabled)."""
        from ..registry import Registrar, advertised_address

        address = advertised_address(listener.unix_path, listener.host, listener.port)
        return Registrar.from_env(address)

    async def _before_drain(self) -> None:
        if self.announcer is not None:
            try:
                await self.announcer.stop()
            except Exception:
                _logger.exception("unregistering failed")
