"""The few steps where the async client and the sync client differ, each written twice.

``_async.py`` is the client, written once; ``_sync.py`` is generated from it by
``scripts/unasync_client.py``, which renames each ``a<name>`` here to ``<name>`` (as httpx names
``aclose`` / ``close``). So this module is where sync and async really differ: how to wait,
and how the total timeout is kept.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import anyio

from ._base import Prepared
from .errors import RequestTimeoutError

T = TypeVar("T")


async def asleep(seconds: float) -> None:
    await anyio.sleep(seconds)


def sleep(seconds: float) -> None:
    time.sleep(seconds)


async def awithin_total(p: Prepared, work: Callable[[], Awaitable[T]]) -> T:
    """Run ``work`` under the call's total timeout, exactly (a cancel scope)."""
    if p.deadline is None:
        return await work()
    try:
        with anyio.fail_after(max(p.deadline - time.monotonic(), 0.0)):
            return await work()
    except TimeoutError as exc:
        raise RequestTimeoutError(
            f"{p.what}: total timeout of {p.timeout.total:g} s", trace_id=p.trace_id
        ) from exc


def within_total(p: Prepared, work: Callable[[], T]) -> T:
    """Run ``work``: a sync call keeps its total timeout between reads instead (each read is
    bounded by :meth:`Prepared.remaining`), as no cancel scope can stop a blocking read."""
    return work()
