"""Content negotiation: which of the types an operation offers the ``Accept`` header allows.

RFC 9110 §12.5.1: each media range has a weight ``q`` (default 1, ``q=0`` refuses); a type
takes the weight of the most specific range that matches it (``video/mp4`` over
``video/*`` over ``*/*``). No ``Accept`` header accepts everything.
"""

from __future__ import annotations

import functools


@functools.lru_cache(maxsize=256)
def _ranges(header: str) -> tuple[tuple[str, str, float], ...]:
    ranges: list[tuple[str, str, float]] = []
    for item in header.split(","):
        media, *params = (part.strip() for part in item.split(";"))
        kind, _, sub = media.lower().partition("/")
        if not kind or not sub:
            continue
        weight = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    weight = min(max(float(value.strip()), 0.0), 1.0)
                except ValueError:
                    weight = 0.0
        ranges.append((kind, sub, weight))
    return tuple(ranges)


def quality(header: str | None, media: str) -> float:
    """The weight ``header`` gives ``media`` (0: not acceptable)."""
    if header is None or not header.strip():
        return 1.0
    kind, _, sub = media.split(";", 1)[0].strip().lower().partition("/")
    best, weight = -1, 0.0
    for r_kind, r_sub, q in _ranges(header):
        if r_kind == kind and r_sub == sub:
            rank = 2
        elif r_kind == kind and r_sub == "*":
            rank = 1
        elif r_kind == "*" and r_sub == "*":
            rank = 0
        else:
            continue
        if rank > best:
            best, weight = rank, q
    return weight


def negotiate(header: str | None, offered: tuple[str, ...] | list[str]) -> str | None:
    """The offered type ``header`` weighs highest (the first on a tie), or None if none."""
    chosen, weight = None, 0.0
    for media in offered:
        q = quality(header, media)
        if q > weight:
            chosen, weight = media, q
    return chosen


__all__ = ["negotiate", "quality"]
