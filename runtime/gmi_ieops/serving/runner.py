"""``Handler``: runs a :class:`Server` under uvicorn with the worker lifecycle.

Start: bind (fail fast) → startup hooks → listen → ``/ready`` → register.
Stop (SIGTERM/SIGINT or :func:`request_shutdown`): unregister → not ready → stop accepting
and drain in-flight requests and streams up to ``GRACEFUL_SHUTDOWN_TIME`` → shutdown hooks
→ remove the socket file → exit. A second signal forces a quick exit.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import faulthandler
import logging
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Coroutine
from types import FrameType
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import uvicorn

from .. import lifecycle as lifecycle_module
from ..config import ConfigError, env
from ..registry.disabled import NotRegistering
from ..utils import log
from .protocol import ConnectionLimits, protocol_class
from .sockets import Listener, SocketError, auto_socket_path, bind_tcp, bind_unix

if TYPE_CHECKING:
    from ..routing._app import Server

_logger = log.get_logger("serving")

FORCED_EXIT_CODE = 1
HARD_STOP_MARGIN = 0.9
"""The watchdog ends the process this long after the drain deadline (the contract: + 1 s)."""
CUT_ANSWER_TIME = 0.3
"""How long requests cancelled at the drain deadline get to send their 503."""
SHUTDOWN_RESERVE = 0.2
"""Kept back from the shutdown hooks' budget for closing the loop and exiting."""

T = TypeVar("T")


class Announcer(Protocol):
    """Tells the load balancer about the worker (the IEOPS proxy registrar)."""

    async def start(self) -> None: ...
    async def stop(self) -> None: ...


class _Uvicorn(uvicorn.Server):
    """uvicorn with our start and stop ordering, a bounded drain and exit codes.

    The drain ends ``GRACEFUL_SHUTDOWN_TIME`` s after the first signal: requests still
    running then are cancelled (they answer ``503 server_shutdown``), the shutdown hooks
    run, and a watchdog thread ends the process at that deadline + 1 s whatever handlers,
    hooks or a blocked event loop do. A second signal exits at once with code 1.
    """

    def __init__(self, config: uvicorn.Config, worker: Handler, grace: float) -> None:
        super().__init__(config)
        self.worker = worker
        self.grace = grace
        self.drain_started = False
        self.drain_deadline = 0.0
        self._watchdog: threading.Timer | None = None

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started and not self.should_exit:
            await self.worker._on_listening()
            loop = asyncio.get_running_loop()
            self.worker.server.lifecycle.bind(loop, self.begin_drain)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        # A signal handler runs inside whatever task was interrupted: run ours (and the
        # drain task it starts) in a fresh context, so no request's trace id leaks in.
        contextvars.Context().run(self._handle_signal, sig)

    def _handle_signal(self, sig: int) -> None:
        if self.drain_started:
            _logger.warning("second signal (%s): exiting now without draining", _name(sig))
            self.worker.exit_now(FORCED_EXIT_CODE)
            return
        _logger.info("received %s: draining", _name(sig))
        self.begin_drain()

    def begin_drain(self) -> None:
        if self.drain_started:
            return
        self.drain_started = True
        self.drain_deadline = time.monotonic() + self.grace
        self._watchdog = threading.Timer(self.grace + HARD_STOP_MARGIN, self._overran)
        self._watchdog.daemon = True
        self._watchdog.start()
        if not self.started:
            self.should_exit = True
            return
        asyncio.get_running_loop().create_task(self._drain())

    def _overran(self) -> None:
        _logger.error(
            "shutdown did not finish within GRACEFUL_SHUTDOWN_TIME + 1 s (%.1f s): exiting now",
            self.grace + 1,
        )
        self.worker.exit_now(FORCED_EXIT_CODE)

    async def _drain(self) -> None:
        try:
            await self.worker._before_drain()
        finally:
            self.worker.server.lifecycle.draining = True
            self.should_exit = True

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        """uvicorn's shutdown, bounded by the drain deadline and without cutting idle
        keep-alive connections while requests still run."""
        _logger.info("shutting down: no new connections; draining")
        if not self.drain_started:  # uvicorn stopped by itself (max requests): same rules
            self.drain_started = True
            self.drain_deadline = time.monotonic() + self.grace
        for server in self.servers:
            server.close()
        for sock in sockets or []:
            sock.close()
        state = self.server_state
        for connection in list(state.connections):
            connection.shutdown()
        while state.tasks and not self.force_exit:
            remaining = self.drain_deadline - time.monotonic()
            if remaining <= 0:
                break
            await asyncio.wait(set(state.tasks), timeout=min(remaining, 0.1))
        if state.tasks:
            count = len(state.tasks)
            _logger.warning(
                "drain deadline (GRACEFUL_SHUTDOWN_TIME=%gs) passed: stopping %d request(s) "
                "and stream(s) still running; they are answered 503 server_shutdown",
                self.grace,
                count,
            )
            self.worker.server.runtime.stopping = True
            for task in list(state.tasks):
                task.cancel()
            await asyncio.wait(set(state.tasks), timeout=CUT_ANSWER_TIME)
        for connection in list(state.connections):
            close = getattr(connection, "close_if_idle", None)
            if close is not None:
                close()
            elif not connection.transport.is_closing():  # pragma: no cover - other protocols
                connection.transport.close()
        if self.force_exit:
            return
        budget = self.drain_deadline + HARD_STOP_MARGIN - SHUTDOWN_RESERVE - time.monotonic()
        try:
            await asyncio.wait_for(self.lifespan.shutdown(), timeout=max(budget, 0.05))
        except TimeoutError:
            _logger.error("shutdown hooks did not finish before the shutdown deadline")

    def cancel_watchdog(self) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()


def _name(sig: int) -> str:
    try:
        return signal.Signals(sig).name
    except ValueError:  # pragma: no cover
        return str(sig)


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


def _dump_stacks_on_sigusr1() -> None:
    """``kill -USR1 <pid>`` writes every thread's stack to stderr (the log) and the worker
    serves on: the way to see where a worker that looks stuck is (a model thread that never
    returns, a blocked loop) without a debugger on the machine. A handler the program set
    itself is left alone."""
    if signal.getsignal(signal.SIGUSR1) in (signal.SIG_DFL, None):
        faulthandler.register(signal.SIGUSR1, all_threads=True)


def _threads_still_running(wait: float) -> list[threading.Thread]:
    """Non-daemon threads (handler threads, mostly) still alive after ``wait`` seconds."""
    deadline = time.monotonic() + wait
    others = [t for t in threading.enumerate() if not t.daemon and t is not threading.main_thread()]
    for thread in others:
        thread.join(max(0.0, deadline - time.monotonic()))
    return [t for t in others if t.is_alive()]


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
        self._owns_process = False

    def serve(self) -> None:
        """Block until the worker stops; exit non-zero when it stopped because of a failure."""
        try:
            env.validate()
        except ConfigError as exc:
            raise SystemExit(f"gmi_ieops: {exc}") from None
        log.configure()
        _dump_stacks_on_sigusr1()
        # The process ends with the worker: the shutdown watchdog stays armed until then.
        self._owns_process = True
        try:
            code = run_event_loop(self.serve_async())
        except SocketError as exc:
            raise SystemExit(f"gmi_ieops: {exc}") from None
        stuck = _threads_still_running(0.2)
        if stuck:
            # Threads cannot be interrupted; waiting for them would hold the exit past the
            # drain deadline (a handler stuck for minutes). Their requests were answered.
            _logger.warning(
                "exiting with %d handler thread(s) still running: %s",
                len(stuck),
                ", ".join(sorted(t.name for t in stuck)),
            )
            self.exit_now(code)
        if code:
            sys.exit(code)

    def exit_now(self, code: int) -> None:
        """End the process at once: flush the logs, remove the socket file, ``_exit``."""
        if self.listener is not None:
            self.listener.cleanup()
        for handler in logging.getLogger(log.LOGGER_NAME).handlers:
            with contextlib.suppress(Exception):
                handler.flush()
        with contextlib.suppress(Exception):
            sys.stderr.flush()
            sys.stdout.flush()
        os._exit(code)

    async def serve_async(self) -> int:
        """Run in the current event loop; returns the exit code."""
        server = self.server
        lifecycle_module.set_current(server.lifecycle)
        self.listener = self._bind()
        limits = ConnectionLimits.from_env()
        config = uvicorn.Config(
            server.app,
            lifespan="on",
            http=protocol_class(limits, server.lifecycle, server.protocol_error_body),
            access_log=False,  # the runtime writes its own access lines (LOG_ACCESS)
            log_level=env.log.level.lower(),
            timeout_keep_alive=max(1, round(limits.keepalive_timeout)),
            log_config=None,
        )
        uvicorn_server = _Uvicorn(config, self, env.server.graceful_shutdown_time)
        try:
            await uvicorn_server.serve(sockets=[self.listener.sock])
        finally:
            if not self._owns_process:
                uvicorn_server.cancel_watchdog()
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
        """The IEOPS proxy registrar for this listener; with ``REGISTER_ENABLED=false`` a
        stand-in that says so (``registry.disabled``), and the HTTP client is never imported."""
        if not env.register.enabled:
            return NotRegistering(listener.describe())
        from ..registry import Registrar, advertised_address

        address = advertised_address(listener.unix_path, listener.host, listener.port)
        return Registrar.from_env(address)

    async def _before_drain(self) -> None:
        if self.announcer is not None:
            try:
                await self.announcer.stop()
            except Exception:
                _logger.exception("unregistering failed")
