"""The worker's lifecycle state: ready, draining, and who asked it to stop and why.

One :class:`Lifecycle` exists per running server. Code anywhere in the process (a child
process monitor, a fatal error in a background task) calls :func:`request_shutdown` to stop
the worker cleanly — unregister, drain, shutdown hooks — instead of ``sys.exit``.
"""

from __future__ import annotations

import asyncio
import contextvars
import os
import signal
import threading
from collections.abc import Callable

from .utils import log

_logger = log.get_logger("lifecycle")


class Lifecycle:
    """Readiness and shutdown state shared by the app (``/ready``) and the runner."""

    def __init__(self) -> None:
        self.started = False
        self.draining = False
        self.exit_code = 0
        self.shutdown_reason: str | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._on_shutdown_request: Callable[[], None] | None = None
        self._lock = threading.Lock()

    @property
    def ready(self) -> bool:
        return self.started and not self.draining

    def bind(
        self, loop: asyncio.AbstractEventLoop, on_shutdown_request: Callable[[], None]
    ) -> None:
        """Called by the runner: how to start a graceful stop from any thread."""
        self._loop = loop
        self._on_shutdown_request = on_shutdown_request

    def request_shutdown(self, exit_code: int = 0, reason: str = "requested") -> None:
        """Stop the worker gracefully; safe to call from any thread, more than once.

        The first non-zero exit code wins, so a crash is not masked by a later clean stop.
        """
        with self._lock:
            if exit_code and not self.exit_code:
                self.exit_code = exit_code
            if self.shutdown_reason is not None:
                return
            self.shutdown_reason = reason
        _logger.warning("shutdown requested: %s (exit code %d)", reason, self.exit_code)
        loop, callback = self._loop, self._on_shutdown_request
        if loop is not None and callback is not None and not loop.is_closed():
            # In a fresh context: the drain must not run under the caller's trace id.
            loop.call_soon_threadsafe(callback, context=contextvars.Context())


_current: Lifecycle | None = None


def current() -> Lifecycle | None:
    """The lifecycle of the server running in this process, if any."""
    return _current


def set_current(lifecycle: Lifecycle | None) -> None:
    global _current
    _current = lifecycle


def request_shutdown(exit_code: int = 1, reason: str = "requested") -> None:
    """Ask the running worker to stop cleanly with ``exit_code``.

    With no server running in this process, the process is sent SIGTERM, which is what a
    supervisor would do.
    """
    lifecycle = _current
    if lifecycle is not None:
        lifecycle.request_shutdown(exit_code, reason)
    else:
        _logger.warning("shutdown requested with no server running: %s", reason)
        os.kill(os.getpid(), signal.SIGTERM)
