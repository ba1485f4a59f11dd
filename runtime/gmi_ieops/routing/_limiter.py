"""Bounded in-flight requests with a short queue; beyond it, 503 right away.

An inference worker that accepts more work than it can run only makes every caller late;
refusing fast lets the proxy send the request to another worker.

A slot is a thread's worth of capacity, so it is given back only when the work it stands
for has really stopped: a sync handler that timed out (or whose client left) keeps its slot
until its thread returns. When every slot is held that way the worker is *saturated*: new
requests are refused at once instead of queueing behind threads that may never return,
and ``/ready`` says so.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import contextvars
from collections import deque


class InFlightLimiter:
    """At most ``limit`` holders; at most ``queue_size`` waiters; others are refused."""

    def __init__(self, limit: int, queue_size: int) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self.limit = limit
        self.queue_size = queue_size
        self.in_flight = 0
        self.stuck = 0
        """Slots whose request has ended while a thread of it still runs."""
        self._waiters: deque[asyncio.Future[bool]] = deque()

    @property
    def waiting(self) -> int:
        return len(self._waiters)

    @property
    def saturated(self) -> bool:
        """Every slot is held by a thread that outlived its request."""
        return self.stuck >= self.limit

    def try_acquire(self) -> bool:
        """Take a free slot without waiting (the common case, with no coroutine to run)."""
        if self.in_flight < self.limit and not self._waiters:
            self.in_flight += 1
            return True
        return False

    async def acquire(self) -> bool:
        """Take a slot, waiting in the queue if needed; ``False`` when refused."""
        if self.try_acquire():
            return True
        if self.saturated or len(self._waiters) >= self.queue_size:
            return False
        waiter: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            return await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled() and waiter.result():
                self.release()  # the slot was handed over just as we were cancelled
            else:
                self._remove(waiter)
            raise

    def _remove(self, waiter: asyncio.Future[bool]) -> None:
        with contextlib.suppress(ValueError):
            self._waiters.remove(waiter)

    def release(self) -> None:
        """Give the slot to the next waiter, or free it."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(True)
                return
        self.in_flight -= 1

    def _refuse_waiters(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(False)


class Slot:
    """One request's slot; released when the request ends and its threads have returned."""

    __slots__ = ("_ended", "_loop", "_pending", "limiter")

    def __init__(self, limiter: InFlightLimiter) -> None:
        self.limiter = limiter
        self._pending = 0
        self._ended = False
        self._loop: asyncio.AbstractEventLoop | None = None

    def keep_until(self, future: concurrent.futures.Future[object]) -> None:
        """Hold the slot until ``future`` (a thread the request abandoned) is done."""
        self._pending += 1
        loop = self._loop = asyncio.get_running_loop()

        def done(_: object) -> None:
            with contextlib.suppress(RuntimeError):  # the loop has closed: nothing to free
                loop.call_soon_threadsafe(self._thread_done)

        future.add_done_callback(done)

    def end(self) -> None:
        """The request is over: free the slot now, or once its threads have returned."""
        if self._ended:
            return
        self._ended = True
        if self._pending == 0:
            self.limiter.release()
            return
        limiter = self.limiter
        limiter.stuck += 1
        if limiter.saturated:
            limiter._refuse_waiters()

    def _thread_done(self) -> None:
        self._pending -= 1
        if self._pending == 0 and self._ended:
            self.limiter.stuck -= 1
            self.limiter.release()


current_slot: contextvars.ContextVar[Slot | None] = contextvars.ContextVar(
    "ieops_slot", default=None
)


def keep_slot_until(future: concurrent.futures.Future[object]) -> None:
    """Called when a request stops waiting for ``future``: if the thread is still running,
    the request's slot stays taken until it returns (a thread cannot be interrupted)."""
    if future.cancel() or future.done():
        return  # it never started, or it has finished: the thread is free
    slot = current_slot.get()
    if slot is not None:
        slot.keep_until(future)
