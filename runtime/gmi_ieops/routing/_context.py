"""``RequestContext``: what a typed handler may know about its request, without globals."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from starlette.datastructures import Headers
from starlette.requests import HTTPConnection

from ..batching import BatchFunction, run_unbatched
from ..utils.log import TraceLogger, get_logger
from ._accept import negotiate

T = TypeVar("T")
ItemT = TypeVar("ItemT")
ResultT = TypeVar("ResultT")


@dataclass
class RequestContext:
    """Passed as ``context=`` to typed handlers that ask for it."""

    trace_id: str
    connection: HTTPConnection
    client_gone: Callable[[], bool] = field(repr=False)
    pool_runner: Callable[..., Awaitable[Any]] | None = field(default=None, repr=False)
    batch_runner: Callable[..., Awaitable[list[Any]]] | None = field(default=None, repr=False)
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

    def negotiate(self, *offered: str) -> str | None:
        """Which of ``offered`` (media types, the preferred first) the request's ``Accept``
        weighs highest; None when it allows none. An operation answering JSON or a file
        (docs/files.md) returns the model for ``application/json``, the bytes otherwise."""
        return negotiate(self.connection.headers.get("accept"), offered)

    async def run_sync(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run blocking work (a model's forward pass) in the worker's bounded thread pool.

        The pool has ``MODEL_THREAD_CONCURRENCY`` threads, shared with sync handlers, so an
        async handler's heavy work is bounded like theirs and keeps the event loop free.
        """
        if self.pool_runner is None:
            return await asyncio.to_thread(fn, *args, **kwargs)
        result: T = await self.pool_runner(fn, *args, **kwargs)
        return result

    async def batch(
        self, fn: BatchFunction[ItemT, ResultT], items: Sequence[ItemT]
    ) -> list[ResultT]:
        """``fn(items)`` batched with the concurrent requests of this route, when the route
        batches (``RouterDef.batch`` / ``x-ieops-batch``): each item counts one towards the
        batch size, and this request gets back its own items' results, in order (an item's
        exception is raised here). ``fn`` takes a list and returns one result per item; a
        sync ``fn`` runs in a thread (the batcher's model thread). On a route that does not
        batch, it is one call of its own, in the worker's thread pool."""
        if self.batch_runner is None:
            return await run_unbatched(fn, items, self.run_sync)
        results: list[ResultT] = await self.batch_runner(fn, items)
        return results

    async def is_disconnected(self) -> bool:
        """Whether the client has gone; long handlers may poll this to stop early."""
        return self.client_gone()
