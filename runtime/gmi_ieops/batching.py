"""Dynamic batching: concurrent calls of one model function share one model call.

A model (an embedder, a classifier) answers 32 inputs in one forward pass in little more
time than one. :class:`Batcher` collects the items that concurrent callers submit, runs
the function once per batch of up to ``max_size`` items — as soon as that many wait, or
``max_wait_ms`` after the oldest arrived, whichever is first, and only when a runner is
free — and hands each caller its own results. The wait is paid only under concurrent load
(the previous batch held more than one item): a lone caller of an idle model runs at once,
so batching costs a single client nothing (``always_wait=True`` turns that off).

Items are what is counted, not callers: a caller submitting 20 texts puts 20 items in the
queue (they may span two batches). Failures stay with their caller: a result that is an
exception goes to the caller of that item, and when the function raises for a whole batch
of several callers, each caller's items are run again on their own so one bad input fails
only its sender. A caller that leaves (cancelled: its client went, its timeout passed)
takes its waiting items out of the queue; a batch already running finishes for the others.

Admission is by items too: at most ``queue_size`` items may wait; a submission beyond
that raises :class:`BatchOverloaded` at once (the runtime answers 503 ``overloaded``).

A model call that never returns (a device hang, a deadlock in a native library) would
otherwise leave every later caller queued until its timeout. With ``stall_after`` set (the
runtime passes ``MODEL_TIMEOUT``), a batch that has run that long logs its thread's stack
once, and while every runner is held by such a batch the batcher is *stalled*: waiting
items and new submissions get :class:`BatchStalled` (503 at once, and ``/ready`` says so,
so the proxy sends the work elsewhere) until the batch returns.
:meth:`Batcher.close` is the drain: it refuses new items, runs what waits without waiting
for more, and returns when every batch is done.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import functools
import inspect
import logging
import sys
import threading
import time
import traceback
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar, cast

ItemT = TypeVar("ItemT")
ResultT = TypeVar("ResultT")

BatchFunction = Callable[
    [list[ItemT]],
    "Sequence[ResultT | BaseException] | Awaitable[Sequence[ResultT | BaseException]]",
]
"""Items → one result per item, in order; a result may be an exception for that item.
A sync function runs in a thread; an ``async def`` runs on the event loop."""

BatchObserver = Callable[[str, int], None]
"""Called once per batch with the batcher's name and the batch's size (for metrics)."""

_logger = logging.getLogger("gmi_ieops.batching")


class BatchOverloaded(Exception):
    """The batcher's queue is full: the caller should be refused (503), not queued."""


class BatchStalled(BatchOverloaded):
    """Every runner holds a batch that has run past ``stall_after``: refused, not queued."""


class BatchClosed(Exception):
    """The batcher is closed (the worker is shutting down)."""


@dataclass
class BatchStats:
    """Counters readable in tests and by ``/metrics``: how large batches really were."""

    batches: int = 0
    items: int = 0
    sizes: Counter[int] = field(default_factory=Counter)
    """Batch size → how many batches had it."""
    refused: int = 0
    retried: int = 0
    """Batches that raised and were run again caller by caller."""

    @property
    def largest(self) -> int:
        return max(self.sizes, default=0)


class _Caller(Generic[ResultT]):
    """One submission: its items' results, and the future its caller awaits."""

    __slots__ = ("future", "remaining", "results")

    def __init__(self, count: int, future: asyncio.Future[list[ResultT]]) -> None:
        self.results: list[Any] = [None] * count
        self.remaining = count
        self.future = future

    def deliver(self, index: int, value: ResultT | BaseException) -> None:
        if self.future.done():
            return  # failed already, or its caller left
        if isinstance(value, BaseException):
            self.future.set_exception(value)
            return
        self.results[index] = value
        self.remaining -= 1
        if self.remaining == 0:
            self.future.set_result(self.results)


class _Entry(Generic[ItemT, ResultT]):
    __slots__ = ("arrived", "caller", "index", "item")

    def __init__(self, caller: _Caller[ResultT], index: int, item: ItemT, arrived: float) -> None:
        self.caller = caller
        self.index = index
        self.item = item
        self.arrived = arrived


class _Batch:
    """A batch being computed: when it started, and the thread that runs it (for its stack)."""

    __slots__ = ("size", "started", "thread")

    def __init__(self, size: int, started: float) -> None:
        self.size = size
        self.started = started
        self.thread: int | None = None


class Batcher(Generic[ItemT, ResultT]):
    """Collects concurrent submissions into batches for ``fn`` (see the module docstring).

    A sync ``fn`` runs in ``executor``, by default the batcher's own ``concurrency``
    threads: the model is always called from the same thread, one batch at a time (a model
    on one device), and batches never wait for a handler-pool thread that sync handlers
    hold. ``observe`` is the metrics hook.
    """

    def __init__(
        self,
        fn: BatchFunction[ItemT, ResultT],
        *,
        max_size: int = 32,
        max_wait_ms: float = 2.0,
        queue_size: int | None = None,
        concurrency: int = 1,
        name: str = "batch",
        executor: concurrent.futures.Executor | None = None,
        observe: BatchObserver | None = None,
        isolate_errors: bool = True,
        always_wait: bool = False,
        stall_after: float | None = None,
    ) -> None:
        if max_size < 1:
            raise ValueError("max_size must be at least 1")
        if max_wait_ms < 0:
            raise ValueError("max_wait_ms must not be negative")
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        if queue_size is not None and queue_size < 0:
            raise ValueError("queue_size must not be negative")
        if stall_after is not None and stall_after <= 0:
            raise ValueError("stall_after must be positive")
        self.fn = fn
        self.max_size = max_size
        self.max_wait = max_wait_ms / 1000.0
        self.queue_size = queue_size
        self.concurrency = concurrency
        self.name = name
        self._own_executor = executor is None
        self.executor: concurrent.futures.Executor = executor or (
            concurrent.futures.ThreadPoolExecutor(concurrency, thread_name_prefix=f"batch-{name}")
        )
        self.observe = observe
        self.isolate_errors = isolate_errors
        self.always_wait = always_wait
        self.stall_after = stall_after
        self._last_size = 0
        self.stats = BatchStats()
        self._is_async = _is_async(fn)
        self._queue: deque[_Entry[ItemT, ResultT]] = deque()
        self._running: dict[asyncio.Task[None], _Batch] = {}
        self._dispatcher: asyncio.Task[None] | None = None
        self._wakeup: asyncio.Future[None] | None = None
        self._closing = False

    @property
    def waiting(self) -> int:
        """Items queued, not yet in a batch."""
        return len(self._queue)

    @property
    def running(self) -> int:
        """Batches being computed now."""
        return len(self._running)

    @property
    def stalled(self) -> bool:
        """Every runner holds a batch that has run for ``stall_after`` or longer."""
        if self.stall_after is None or len(self._running) < self.concurrency:
            return False
        now = time.monotonic()
        return all(now - batch.started >= self.stall_after for batch in self._running.values())

    async def submit(self, item: ItemT) -> ResultT:
        """One item's result (or its exception raised)."""
        return (await self.submit_many([item]))[0]

    async def submit_many(self, items: Sequence[ItemT]) -> list[ResultT]:
        """Every item's result, in order; the first failing item's exception is raised."""
        if self._closing:
            raise BatchClosed(f"{self.name}: the batcher is closed")
        if not items:
            return []
        if self.stalled:
            self.stats.refused += 1
            raise self._stall_error()
        queued = len(self._queue)
        if self.queue_size is not None and queued and queued + len(items) > self.queue_size:
            self.stats.refused += 1
            raise BatchOverloaded(
                f"{self.name}: {queued} items are waiting for a batch "
                f"(queue size {self.queue_size}); retry shortly"
            )
        loop = asyncio.get_running_loop()
        caller: _Caller[ResultT] = _Caller(len(items), loop.create_future())
        now = loop.time()
        self._queue.extend(_Entry(caller, i, item, now) for i, item in enumerate(items))
        self._kick(loop)
        try:
            return await caller.future
        except asyncio.CancelledError:
            self._forget(caller)
            raise
        except BaseException:
            self._forget(caller)  # one item failed: its others need not run
            raise

    async def close(self) -> None:
        """Refuse new items, run the waiting ones now, return once every batch is done."""
        self._closing = True
        self._wake()
        while self._dispatcher is not None or self._running:
            pending = [t for t in (self._dispatcher, *self._running) if t is not None]
            await asyncio.wait(pending)
        if self._own_executor:
            self.executor.shutdown(wait=False)

    # -- the dispatcher ---------------------------------------------------------------------

    def _kick(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._dispatcher is None:
            # A fresh context: a batch belongs to no single request (no caller's trace id).
            context = contextvars.Context()
            self._dispatcher = context.run(loop.create_task, self._dispatch())
        elif len(self._queue) >= self.max_size:
            self._wake()

    def _wake(self) -> None:
        if self._wakeup is not None and not self._wakeup.done():
            self._wakeup.set_result(None)

    def _forget(self, caller: _Caller[ResultT]) -> None:
        if any(entry.caller is caller for entry in self._queue):
            self._queue = deque(entry for entry in self._queue if entry.caller is not caller)

    async def _dispatch(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self._queue:
                while len(self._running) >= self.concurrency:
                    await asyncio.wait(set(self._running), return_when=asyncio.FIRST_COMPLETED)
                await self._fill(loop)
                batch = [self._queue.popleft() for _ in range(min(self.max_size, len(self._queue)))]
                if batch:
                    self._last_size = len(batch)
                    record = _Batch(len(batch), time.monotonic())
                    task = loop.create_task(self._run(batch, record))
                    self._running[task] = record  # until its model call returns (_run)
        finally:
            self._dispatcher = None
            self._wakeup = None

    async def _fill(self, loop: asyncio.AbstractEventLoop) -> None:
        """Wait until a full batch waits, or the oldest item has waited ``max_wait``; not
        at all after a lone item (no concurrent load to wait for)."""
        if self._last_size <= 1 and not self.always_wait:
            return
        while self._queue and len(self._queue) < self.max_size and not self._closing:
            remaining = self._queue[0].arrived + self.max_wait - loop.time()
            if remaining <= 0:
                return
            wakeup = self._wakeup = loop.create_future()
            timer = loop.call_later(remaining, _resolve, wakeup)
            try:
                await wakeup
            finally:
                timer.cancel()

    async def _run(self, batch: list[_Entry[ItemT, ResultT]], record: _Batch) -> None:
        size = len(batch)
        if size > self.stats.largest and size > 1:
            # At most max_size such lines per process: proof that batching happens.
            _logger.info("%s: largest batch so far: %d items", self.name, size)
        self.stats.batches += 1
        self.stats.items += size
        self.stats.sizes[size] += 1
        if self.observe is not None:
            try:
                self.observe(self.name, size)  # a Server's: metrics.observe_batch
            except Exception:
                _logger.exception("%s: the batch observer failed", self.name)
        callers = len({id(entry.caller) for entry in batch})
        watchdog = None
        if self.stall_after is not None:
            loop = asyncio.get_running_loop()
            watchdog = loop.call_later(self.stall_after, self._stalled_batch, record)
        try:
            results = await self._call([entry.item for entry in batch], record)
        except Exception as exc:
            if callers > 1 and self.isolate_errors:
                await self._retry_alone(batch, exc, record)
                return
            for entry in batch:
                entry.caller.deliver(entry.index, exc)
            return
        finally:
            # Out of the count as the call returns (what follows awaits nothing): a caller
            # woken by its result already sees the batcher unstalled.
            self._running.pop(cast("asyncio.Task[None]", asyncio.current_task()), None)
            if watchdog is not None:
                watchdog.cancel()
            self._returned(record)
        took = (time.monotonic() - record.started) * 1000
        _logger.debug("%s: %d items from %d callers in %.1f ms", self.name, size, callers, took)
        for entry, result in zip(batch, results, strict=True):
            entry.caller.deliver(entry.index, result)

    # -- stalls -----------------------------------------------------------------------------

    def _stall_error(self) -> BatchStalled:
        return BatchStalled(
            f"{self.name}: the model call has run for more than {self.stall_after:g} s "
            "without returning (a stalled batch); retry on another worker"
        )

    def _stalled_batch(self, batch: _Batch) -> None:
        """A batch has run for ``stall_after``: say where its thread is, once, and refuse
        the waiting items if no runner is left."""
        frame = sys._current_frames().get(batch.thread) if batch.thread is not None else None
        where = "".join(traceback.format_stack(frame)) if frame is not None else "(async)\n"
        _logger.warning(
            "%s: a batch of %d items has run for %g s (stall_after) and has not returned; "
            "the thread running it is at:\n%s",
            self.name,
            batch.size,
            self.stall_after,
            where.rstrip(),
        )
        if self.stalled:
            error = self._stall_error()
            waiting, self._queue = self._queue, deque()
            for entry in waiting:
                entry.caller.deliver(entry.index, error)

    def _returned(self, batch: _Batch) -> None:
        took = time.monotonic() - batch.started
        if self.stall_after is not None and took >= self.stall_after:
            _logger.warning("%s: the stalled batch returned after %.1f s", self.name, took)

    async def _retry_alone(
        self, batch: list[_Entry[ItemT, ResultT]], error: Exception, record: _Batch
    ) -> None:
        """The batch raised: run each caller's items on their own, so only the caller whose
        input caused it gets the error."""
        self.stats.retried += 1
        _logger.warning(
            "%s: a batch of %d items raised %s; running each caller's items alone",
            self.name,
            len(batch),
            type(error).__name__,
        )
        groups: dict[int, list[_Entry[ItemT, ResultT]]] = {}
        for entry in batch:
            groups.setdefault(id(entry.caller), []).append(entry)
        for entries in groups.values():
            if entries[0].caller.future.done():
                continue  # its caller left meanwhile
            try:
                results = await self._call([entry.item for entry in entries], record)
            except Exception as exc:
                for entry in entries:
                    entry.caller.deliver(entry.index, exc)
                continue
            for entry, result in zip(entries, results, strict=True):
                entry.caller.deliver(entry.index, result)

    async def _call(self, items: list[ItemT], batch: _Batch) -> Sequence[ResultT | BaseException]:
        if self._is_async:
            results = await cast("Awaitable[Sequence[Any]]", self.fn(items))
        else:
            loop = asyncio.get_running_loop()
            context = contextvars.copy_context()

            def call() -> Any:
                batch.thread = threading.get_ident()  # whose stack a stall logs
                return context.run(self.fn, items)

            results = cast("Sequence[Any]", await loop.run_in_executor(self.executor, call))
        if not isinstance(results, Sequence) or len(results) != len(items):
            got = len(results) if isinstance(results, Sequence) else type(results).__name__
            raise RuntimeError(
                f"{self.name}: the batch function returned {got} results for {len(items)} items"
            )
        return results


async def run_unbatched(
    fn: BatchFunction[ItemT, ResultT],
    items: Sequence[ItemT],
    run_sync: Callable[..., Awaitable[Any]],
) -> list[ResultT]:
    """``fn`` over ``items`` in one call of its own (batching off): the same contract as
    :meth:`Batcher.submit_many` — a sync ``fn`` runs through ``run_sync`` (a thread), an
    item's exception is raised."""
    batch = list(items)
    if not batch:
        return []
    if _is_async(fn):
        results = await cast("Awaitable[Sequence[Any]]", fn(batch))
    else:
        results = await run_sync(fn, batch)
    if not isinstance(results, Sequence) or len(results) != len(batch):
        got = len(results) if isinstance(results, Sequence) else type(results).__name__
        raise RuntimeError(f"the batch function returned {got} results for {len(batch)} items")
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return list(results)


def _is_async(fn: object) -> bool:
    """``async def`` functions, callable objects with an ``async def __call__``, partials."""
    while isinstance(fn, functools.partial):
        fn = fn.func
    return inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(
        getattr(fn, "__call__", None)  # noqa: B004 - the method, not callable()
    )


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


__all__ = [
    "BatchClosed",
    "BatchFunction",
    "BatchObserver",
    "BatchOverloaded",
    "BatchStalled",
    "BatchStats",
    "Batcher",
    "run_unbatched",
]
