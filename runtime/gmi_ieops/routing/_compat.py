"""``asyncio.timeout`` for Python 3.10, which lacks it."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

if sys.version_info >= (3, 11):
    from asyncio import timeout as timeout_after
else:  # pragma: no cover - exercised on 3.10 only

    @asynccontextmanager
    async def timeout_after(delay: float | None) -> AsyncIterator[None]:
        if delay is None:
            yield
            return
        task = asyncio.current_task()
        assert task is not None
        fired = False

        def expire() -> None:
            nonlocal fired
            fired = True
            task.cancel()

        handle = asyncio.get_running_loop().call_later(delay, expire)
        try:
            yield
        except asyncio.CancelledError:
            if fired:
                raise TimeoutError from None
            raise
        finally:
            handle.cancel()


def uncancel_current_task() -> None:
    """Forget a cancellation we handled ourselves (client gone), where Python tracks them."""
    task = asyncio.current_task()
    if task is not None and hasattr(task, "uncancel"):
        task.uncancel()


__all__ = ["timeout_after", "uncancel_current_task"]
