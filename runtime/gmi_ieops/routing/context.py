"""``RequestContext``: what a typed handler may know about its request, without globals."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from starlette.datastructures import Headers
from starlette.requests import HTTPConnection

from ..utils.log import TraceLogger, get_logger

T = TypeVar("T")


@dataclass
class RequestContext:
    """Passed as ``context=`` to typed handlers that ask for it."""

    trace_id: str
    connection: HTTPConnection
    client_gone: Callable[[], bool] = field(repr=False)
    pool_runner: Callable[..., Awaitable[Any]] | None = field(default=None, repr=False)
    _logger: TraceLogger | None = field(default=None, init=False, repr=False)

    @property
    def logger(self) -> TraceLogger:
        """A logger bound to this request's trace id (made on first use)."""
        if self._logger is None:
            self._logger = get_logger("handler", trace_id=self.trace_id)
        return self._logger

    @property
    def headers(self) -> Headers:
        return self.connection.headers

    @property
    def request(self) -> HTTPConnection:
        """The Starlette ``Request`` (HTTP routes) or ``WebSocket``, for anything else."""
        return self.connection

    async def run_sync(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run blocking work (a model's forward pass) in the worker's bounded thread pool.

        The pool has ``MODEL_THREAD_CONCURRENCY`` threads, shared with sync handlers, so an
        async handler's heavy work is bounded like theirs and keeps the event loop free.
        """
        if self.pool_runner is None:
            return await asyncio.to_thread(fn, *args, **kwargs)
        result: T = await self.pool_runner(fn, *args, **kwargs)
        return result

    async def is_disconnected(self) -> bool:
        """Whether the client has gone; long handlers may poll this to stop early."""
        return self.client_gone()
