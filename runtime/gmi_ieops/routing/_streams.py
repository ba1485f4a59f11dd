"""Turning whatever a handler returns into one async iterator, run in the right place.

Async generators run on the event loop; sync iterators are advanced one item at a time in
the worker's thread pool, so a client that leaves stops them at their next item.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import inspect
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from ._limiter import keep_slot_until

_END = object()


def _advance(iterator: Iterator[Any]) -> Any:
    return next(iterator, _END)


async def iterate_in_pool(
    iterator: Iterator[Any], pool: concurrent.futures.Executor
) -> AsyncIterator[Any]:
    """Each ``next()`` in ``pool``, in the caller's context (so logs keep the trace id)."""
    context = contextvars.copy_context()
    pending: concurrent.futures.Future[Any] | None = None
    try:
        while True:
            pending = pool.submit(context.run, _advance, iterator)
            item = await asyncio.wrap_future(pending)
            pending = None
            if item is _END:
                return
            yield item
    finally:
        close = getattr(iterator, "close", None)
        if close is not None:
            closed = _close_after(pending, pool, lambda: context.run(close))
            # The request's slot stays taken until the thread is free again.
            keep_slot_until(closed)
        elif pending is not None:
            keep_slot_until(pending)


def _close_after(
    pending: concurrent.futures.Future[Any] | None,
    pool: concurrent.futures.Executor,
    close: Callable[[], Any],
) -> concurrent.futures.Future[Any]:
    """Close the generator once the ``next()`` in flight (if any) has returned; the future
    is done when it is closed."""
    done: concurrent.futures.Future[Any] = concurrent.futures.Future()
    done.set_running_or_notify_cancel()

    def submit(_: object = None) -> None:
        try:
            closing = pool.submit(close)
        except RuntimeError:  # the pool has shut down (the worker is stopping)
            done.set_result(None)
            return
        closing.add_done_callback(lambda _: done.set_result(None))

    if pending is None or pending.cancel() or pending.done():
        submit()
    else:
        pending.add_done_callback(submit)
    return done


async def as_async_iterator(result: Any, pool: concurrent.futures.Executor) -> AsyncIterator[Any]:
    """An async iterator over a handler's result: stream, iterable, or a single value."""
    if inspect.isawaitable(result):
        result = await result
    if hasattr(result, "__aiter__"):
        try:
            async for item in result:
                yield item
        finally:
            await aclose(result)
    elif isinstance(result, Iterator):
        in_pool = iterate_in_pool(result, pool)
        try:
            async for item in in_pool:
                yield item
        finally:
            await aclose(in_pool)
    elif isinstance(result, (list, tuple)):
        for item in result:
            yield item
    elif result is not None:
        yield result


async def aclose(iterator: AsyncIterator[Any]) -> None:
    close = getattr(iterator, "aclose", None)
    if close is not None:
        await close()
