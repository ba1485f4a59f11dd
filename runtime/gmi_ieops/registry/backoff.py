"""Retry delays while the proxy is unreachable: quick at first, never faster than needed.

A worker whose proxy restarts should be back in the table within a second or two, but a
fleet of workers facing a dead proxy must not hammer it in lock-step: delays double from
``first`` up to ``cap`` and are spread by a random factor.
"""

from __future__ import annotations

import random


class Backoff:
    """Exponential delays with jitter: ``first``, ``2*first``, ... up to ``cap`` seconds."""

    def __init__(
        self,
        first: float = 0.5,
        cap: float = 5.0,
        factor: float = 2.0,
        jitter: float = 0.2,
        rng: random.Random | None = None,
    ) -> None:
        if first <= 0 or cap <= 0 or factor < 1 or not 0 <= jitter < 1:
            raise ValueError("backoff needs first > 0, cap > 0, factor >= 1, 0 <= jitter < 1")
        self.first = first
        self.cap = cap
        self.factor = factor
        self.jitter = jitter
        self._rng = rng or random.Random()
        self._next = min(first, cap)

    def next(self) -> float:
        """The delay before the next retry; each call grows the one after."""
        base = self._next
        self._next = min(base * self.factor, self.cap)
        return base * self._rng.uniform(1.0 - self.jitter, 1.0)

    def reset(self) -> None:
        """Back to ``first`` after a success."""
        self._next = min(self.first, self.cap)


__all__ = ["Backoff"]
