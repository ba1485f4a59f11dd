"""Noticing, while a handler runs, that the client has gone — and stopping the handler."""

from __future__ import annotations

import asyncio

from starlette.types import Receive


class DisconnectWatcher:
    """Waits for ``http.disconnect`` in the background and cancels the request's task.

    The body must have been read already: from then on ``receive()`` only reports that the
    client left.
    """

    def __init__(self, receive: Receive) -> None:
        self._receive = receive
        self._target = asyncio.current_task()
        self._task: asyncio.Task[None] | None = None
        self.gone = False

    def start(self) -> DisconnectWatcher:
        self._task = asyncio.get_running_loop().create_task(self._watch())
        return self

    async def _watch(self) -> None:
        while True:
            message = await self._receive()
            if message["type"] == "http.disconnect":
                self.gone = True
                if self._target is not None:
                    self._target.cancel()
                return

    def stop(self) -> None:
        """Call before the response is complete, so the end of the response is not taken
        for a client that left."""
        if self._task is not None:
            self._task.cancel()
            self._task = None

    def client_gone(self) -> bool:
        return self.gone
