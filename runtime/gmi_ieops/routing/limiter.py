"""Bounded in-flight requests with a short queue; beyond it, 503 right away.

An inference worker that accepts more work than it can run only makes every caller late;
refusing fast lets the proxy send the request to another worker.
"""

from __future__ import annotations

import asyncio
from collections import deque


class InFlightLimiter:
    """At most ``limit`` holders; at most ``queue_size`` waiters; others are refused."""

    def __init__(self, limit: int, queue_size: int) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self.limit = limit
        self.queue_size = queue_size
        self.in_flight = 0
        self._waiters: deque[asyncio.Future[None]] = deque()

    @property
    def waiting(self) -> int:
        return len(self._waiters)

    def try_acquire(self) -> bool:
        """Take a free slot without waiting (the common case, with no coroutine to run)."""
        if self.in_flight < self.limit and not self._waiters:
            self.in_flight += 1
            return True
        return False

    async def acquire(self) -> bool:
        """Take a slot, waiting in the queue if needed; ``False`` when the queue is full."""
        if self.try_acquire():
            return True
        if len(self._waiters) >= self.queue_size:
            return False
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.release()  # the slot was handed over just as we were cancelled
            else:
                self._waiters.remove(waiter)
            raise
        return True

    def release(self) -> None:
        """Give the slot to the next waiter, or free it."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        self.in_flight -= 1
