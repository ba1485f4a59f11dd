"""One timer per event loop that watches every in-flight API request.

A per-request ``asyncio.timeout`` and a per-request disconnect-watcher task cost as much as
a small route itself. Instead, each request registers here (a dict entry); a tick every
``TICK`` seconds starts a disconnect watcher for requests that have run longer than one
tick, and cancels requests past their deadline. So timeouts fire up to one tick late, and
a client that leaves within the first tick is noticed when the response is sent.
Streams (SSE) watch for disconnects from their first byte instead (see ``http.py``).
"""

from __future__ import annotations

import asyncio
from typing import Literal

from starlette.types import Receive

TICK = 0.05

StopReason = Literal["timeout", "disconnect"]


class Supervised:
    """One request under supervision."""

    __slots__ = ("deadline", "receive", "started", "stop_reason", "task", "watch", "watcher")

    def __init__(
        self,
        task: asyncio.Task[object],
        receive: Receive,
        started: float,
        deadline: float,
        watch: bool,
    ) -> None:
        self.task = task
        self.receive = receive
        self.started = started
        self.deadline = deadline
        self.watch = watch
        self.stop_reason: StopReason | None = None
        self.watcher: asyncio.Task[None] | None = None

    def client_gone(self) -> bool:
        return self.stop_reason == "disconnect"

    async def _watch(self) -> None:
        while True:
            message = await self.receive()
            if message["type"] == "http.disconnect":
                if self.stop_reason is None:
                    self.stop_reason = "disconnect"
                    self.task.cancel()
                return


class Supervisor:
    """Deadlines and disconnect watching for many requests with one timer."""

    def __init__(self) -> None:
        self._requests: dict[asyncio.Task[object], Supervised] = {}
        self._timer: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def enter(self, receive: Receive, timeout: float, *, watch: bool = True) -> Supervised:
        """Supervise the current task; ``watch=False`` while the body is still being read
        (a watcher would take the body's messages): only the deadline then applies."""
        task = asyncio.current_task()
        assert task is not None
        loop = self._loop = asyncio.get_running_loop()
        now = loop.time()
        record = Supervised(task, receive, now, now + timeout, watch)
        self._requests[task] = record
        if self._timer is None:
            self._timer = loop.call_at(now + TICK, self._tick)
        return record

    def leave(self, record: Supervised) -> None:
        self._requests.pop(record.task, None)
        if record.watcher is not None:
            record.watcher.cancel()
            record.watcher = None

    def _tick(self) -> None:
        assert self._loop is not None
        now = self._loop.time()
        for record in list(self._requests.values()):
            if record.stop_reason is not None:
                continue
            if now >= record.deadline:
                record.stop_reason = "timeout"
                record.task.cancel()
            elif record.watch and record.watcher is None and now - record.started >= TICK:
                record.watcher = self._loop.create_task(record._watch())
        self._timer = self._loop.call_at(now + TICK, self._tick) if self._requests else None
