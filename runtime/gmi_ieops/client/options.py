"""Per-client and per-call settings: timeouts, the retry policy, and the call options."""

from __future__ import annotations

import functools
import random
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, TypedDict

import httpx


@dataclass(frozen=True, slots=True)
class Timeout:
    """Limits in seconds; ``None`` disables one. A plain number sets every field."""

    connect: float | None = 5.0
    read: float | None = 600.0
    write: float | None = 60.0
    pool: float | None = 10.0
    total: float | None = None
    idle: float | None = 120.0

    @classmethod
    def of(cls, value: float | Timeout) -> Timeout:
        """A ``Timeout`` from a number (every field) or a ``Timeout`` (unchanged)."""
        if isinstance(value, Timeout):
            return value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(f"timeout must be a number of seconds or a Timeout, got {value!r}")
        if value <= 0:
            raise ValueError(f"timeout must be > 0 seconds, got {value!r}")
        v = float(value)
        return cls(connect=v, read=v, write=v, pool=v, total=v, idle=v)

    def httpx_timeout(self, remaining: float | None, read: float | None = None) -> httpx.Timeout:
        """httpx's per-request timeouts, each cut to the time left of ``total``."""
        read = self.read if read is None else read
        return httpx.Timeout(
            connect=_cut(self.connect, remaining),
            read=_cut(read, remaining),
            write=_cut(self.write, remaining),
            pool=_cut(self.pool, remaining),
        )

    def extension(self, remaining: float | None, read: float | None = None) -> dict[str, Any]:
        """The ``timeout`` request extension httpx reads (cached when nothing is cut)."""
        if remaining is None:
            return _extension(self, read)
        return self.httpx_timeout(remaining, read).as_dict()


@functools.lru_cache(maxsize=256)
def _extension(timeout: Timeout, read: float | None) -> dict[str, Any]:
    return timeout.httpx_timeout(None, read).as_dict()


def _cut(limit: float | None, remaining: float | None) -> float | None:
    if remaining is None:
        return limit
    remaining = max(remaining, 0.001)
    return remaining if limit is None else min(limit, remaining)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """When and how long to wait before retrying a request that is safe to retry.

    ``rng`` (a ``random.Random``) draws the jitter; default: the ``random`` module.
    """

    max_retries: int = 2
    backoff: float = 0.2
    max_backoff: float = 5.0
    retry_after_cap: float = 20.0
    retry_statuses: frozenset[int] = field(default_factory=lambda: frozenset({429, 503}))
    rng: random.Random | None = field(default=None, compare=False, hash=False, repr=False)

    def __post_init__(self) -> None:
        if isinstance(self.max_retries, bool) or not isinstance(self.max_retries, int):
            raise TypeError(f"retries must be an int or a RetryPolicy, got {self.max_retries!r}")
        if self.max_retries < 0:
            raise ValueError(f"retries must be >= 0, got {self.max_retries}")
        for name in ("backoff", "max_backoff", "retry_after_cap"):
            if getattr(self, name) < 0:
                raise ValueError(f"RetryPolicy.{name} must be >= 0, got {getattr(self, name)}")

    @classmethod
    def of(cls, value: int | RetryPolicy, base: RetryPolicy | None = None) -> RetryPolicy:
        """A policy from an int (``max_retries`` of ``base``) or a policy (unchanged)."""
        if isinstance(value, RetryPolicy):
            return value
        if base is None:
            return cls(max_retries=value)
        return replace(base, max_retries=value)

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """Seconds to wait before retry number ``attempt`` (1-based): full jitter.

        ``floor + uniform(0, window)``: the floor is ``Retry-After`` (capped at
        ``retry_after_cap``; 0 without the header), so the server's wish is honoured; the
        window doubles with each attempt from ``max(floor, backoff)`` up to
        ``max(max_backoff, floor)``. Drawing over the whole window (not a 10 % slice) is
        what spreads a crowd of clients that were refused together, so they do not come
        back in lock-step and get refused together again.
        """
        floor = 0.0 if retry_after is None else min(max(retry_after, 0.0), self.retry_after_cap)
        start = max(floor, self.backoff)
        window = min(start * 2.0 ** min(attempt - 1, 64), max(self.max_backoff, floor))
        return floor + (self.rng or random).uniform(0.0, window)


class CallOptions(TypedDict, total=False):
    """Per-call options every generated method may forward (``**options``)."""

    trace_id: str | None
    timeout: float | Timeout | None
    retries: int | RetryPolicy | None
    headers: Mapping[str, object] | None
