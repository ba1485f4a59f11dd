"""What every route of one server shares: the in-flight limiter and the thread pool."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .limiter import InFlightLimiter
from .supervisor import Supervisor


@dataclass
class RouteRuntime:
    concurrency: int
    queue_size: int
    max_body_size: int
    default_timeout: float
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

    async def run_sync(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run a blocking call in the pool, in the caller's context (trace id for logs)."""
        context = contextvars.copy_context()
        future = self.pool.submit(context.run, fn, *args, **kwargs)
        return await asyncio.wrap_future(future)

    def shutdown(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
