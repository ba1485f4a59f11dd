"""What every route of one server shares: the in-flight limiter and the thread pool."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .callables import CallableKind
from .limiter import InFlightLimiter, keep_slot_until
from .supervisor import Supervisor
from .uploads import UploadLimits


@dataclass
class RouteRuntime:
    concurrency: int
    queue_size: int
    max_body_size: int
    default_timeout: float
    body_timeout: float = 30.0
    upload_limits: UploadLimits = field(default_factory=UploadLimits)
    stopping: bool = field(default=False, init=False)
    """Set at the drain deadline: cancelled requests answer ``503 server_shutdown``."""
    limiter: InFlightLimiter = field(init=False)
    supervisor: Supervisor = field(init=False, default_factory=Supervisor)
    _pool: concurrent.futures.ThreadPoolExecutor | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.limiter = InFlightLimiter(self.concurrency, self.queue_size)

    @property
    def pool(self) -> concurrent.futures.ThreadPoolExecutor:
        """Threads for sync handlers, created on first use (bounded by the concurrency)."""
        if self._pool is None:
            self._pool = concurrent.futures.ThreadPoolExecutor(
                max_workers=self.concurrency, thread_name_prefix="ieops-handler"
            )
        return self._pool

    async def run_sync(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        """Run a blocking call in the pool, in the caller's context (trace id for logs)."""
        context = contextvars.copy_context()
        future = self.pool.submit(context.run, fn, *args, **kwargs)
        try:
            return await asyncio.wrap_future(future)
        except asyncio.CancelledError:
            keep_slot_until(future)
            raise

    async def call(
        self, kind: CallableKind, fn: Callable[..., Any], /, *args: Any, **kwargs: Any
    ) -> Any:
        """Call a handler where its kind says: async ones on the loop, sync ones in the pool.

        Generator functions are only called (creating a generator runs no user code); the
        caller iterates the result (``streams.as_async_iterator``).
        """
        if kind is CallableKind.ASYNC_FUNCTION:
            return await fn(*args, **kwargs)
        if kind is CallableKind.SYNC_FUNCTION:
            result = await self.run_sync(fn, *args, **kwargs)
            if asyncio.iscoroutine(result):
                result = await result
            return result
        return fn(*args, **kwargs)

    def shutdown(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
