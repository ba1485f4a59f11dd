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
            _close_after(pending, pool, lambda: context.run(close))


def _close_after(
    pending: concurrent.futures.Future[Any] | None,
    pool: concurrent.futures.Executor,
    close: Callable[[], Any],
) -> None:
    """Close the generator once the ``next()`` in flight (if any) has returned."""
    if pending is None or pending.cancel() or pending.done():
        pool.submit(close)
    else:
        pending.add_done_callback(lambda _: pool.submit(close))


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
