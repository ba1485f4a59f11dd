"""What every route of one server shares: the in-flight limiter, the thread pool, and the
batchers of batched routes."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .. import metrics
from ..batching import (
    BatchClosed,
    Batcher,
    BatchFunction,
    BatchObserver,
    BatchOverloaded,
    run_unbatched,
)
from ..config import env
from ._callables import CallableKind
from ._definitions import BatchConfig
from ._errors import RequestError
from ._limiter import InFlightLimiter, keep_slot_until
from ._supervisor import Supervisor
from ._uploads import UploadLimits, upload_limits_from_env


@dataclass(frozen=True)
class BatchDefaults:
    """The environment's batching settings (``MODEL_BATCH_*``)."""

    enabled: bool = True
    max_size: int = 32
    max_wait_ms: float = 2.0
    queue_size: int | None = None


@dataclass
class RouteRuntime:
    concurrency: int
    queue_size: int
    max_body_size: int
    default_timeout: float
    body_timeout: float = 30.0
    batch_defaults: BatchDefaults = field(default_factory=BatchDefaults)
    observe_batch: BatchObserver | None = None
    """Called with (route, size) for every batch: the metrics hook (``/metrics``)."""
    upload_limits: UploadLimits = field(default_factory=UploadLimits)
    stopping: bool = field(default=False, init=False)
    """Set at the drain deadline: cancelled requests answer ``503 server_shutdown``."""
    limiter: InFlightLimiter = field(init=False)
    supervisor: Supervisor = field(init=False, default_factory=Supervisor)
    _pool: concurrent.futures.ThreadPoolExecutor | None = field(default=None, init=False)
    _batchers: dict[tuple[str, object], Batcher[Any, Any]] = field(default_factory=dict, init=False)

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

    async def batch(
        self, route: str, config: BatchConfig, fn: BatchFunction[Any, Any], items: Any
    ) -> list[Any]:
        """``fn`` over ``items``, batched with the concurrent calls of ``route`` (one batcher
        per route and function); unbatched when ``MODEL_BATCH_ENABLED`` is false."""
        if not self.batch_defaults.enabled:
            return await run_unbatched(fn, items, self.run_sync)
        batcher = self._batchers.get((route, fn))
        if batcher is None:
            defaults = self.batch_defaults
            size, wait, queue = config.resolve(
                defaults.max_size, defaults.max_wait_ms, defaults.queue_size
            )
            batcher = Batcher(
                fn,
                max_size=size,
                max_wait_ms=wait,
                queue_size=queue,
                name=route,
                observe=self.observe_batch,  # its own model thread: see Batcher
                stall_after=self.default_timeout,  # a call its callers cannot outwait
            )
            self._batchers[(route, fn)] = batcher
        try:
            return await batcher.submit_many(items)
        except BatchOverloaded as exc:
            raise RequestError(503, "overloaded", str(exc), headers={"Retry-After": "1"}) from None
        except BatchClosed:
            raise RequestError(
                503,
                "server_shutdown",
                "the worker is shutting down",
                headers={"Connection": "close"},
            ) from None

    def stalled_routes(self) -> list[str]:
        """Batched routes whose model call has outlived ``MODEL_TIMEOUT`` (``/ready`` 503)."""
        return sorted({route for (route, _), batcher in self._batchers.items() if batcher.stalled})

    def batchers(self) -> dict[str, Batcher[Any, Any]]:
        """Route → its batcher (one per route and function; the first), for stats."""
        found: dict[str, Batcher[Any, Any]] = {}
        for (route, _), batcher in self._batchers.items():
            found.setdefault(route, batcher)
        return found

    async def close_batchers(self) -> None:
        """The drain of batched routes: what waits runs now, new items are refused."""
        for batcher in list(self._batchers.values()):
            await batcher.close()

    def shutdown(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    @classmethod
    def from_env(cls) -> RouteRuntime:
        """Limits from the environment (``MODEL_THREAD_CONCURRENCY``, ``MODEL_QUEUE_SIZE``,
        ``API_MAX_BODY_SIZE``, ``MODEL_TIMEOUT``, ``API_BODY_TIMEOUT``, ``MODEL_BATCH_*``),
        read now."""
        concurrency = env.model.concurrency
        queue = env.model.queue_size
        return cls(
            concurrency=concurrency,
            queue_size=concurrency if queue is None else queue,
            max_body_size=env.api.max_body_size,
            default_timeout=env.model.timeout,
            body_timeout=env.api.body_timeout,
            batch_defaults=BatchDefaults(
                enabled=env.model.batch_enabled,
                max_size=env.model.batch_max_size,
                max_wait_ms=env.model.batch_max_wait_ms,
                queue_size=env.model.batch_queue_size,
            ),
            observe_batch=metrics.observe_batch,
            upload_limits=upload_limits_from_env(),
        )
