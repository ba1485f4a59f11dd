"""A CPU-time budget for drawing one operation form's first case.

hypothesis-jsonschema draws a body by merging its schemas and checking each merged schema
against the metaschema; for a body of hundreds of joined node types (invokeai's
``POST /api/v1/queue/{queue_id}/enqueue_batch``: a graph whose nodes are a union of ~800
invocations) one draw took longer than the whole rest of the document, and the draw budget
(``roundtrip._DRAW_BUDGET``, checked between draws) never came. The budget is a
``SIGVTALRM`` timer on the process's CPU time (pytest-timeout owns ``SIGALRM``): when it
runs out while ``still_drawing()`` says no case has been made, the draw is interrupted with
:class:`OutOfTime`, a ``BaseException`` (hypothesis would take an ``Exception`` for a
failing example and replay it); once a case has been made the timer is ignored, so a call
on the wire is never cut. Only in the main thread (where signals are delivered).
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any


class OutOfTime(BaseException):
    """The form's first case did not come within its CPU budget."""


def seconds() -> float:
    """``CONFORMANCE_FORM_CPU`` (CPU seconds per operation form's first case; default 300,
    ``0`` for none)."""
    return float(os.environ.get("CONFORMANCE_FORM_CPU", "300"))


@contextmanager
def cpu_budget(limit: float, still_drawing: Callable[[], bool]) -> Iterator[None]:
    """Raise :class:`OutOfTime` in the block once ``limit`` CPU seconds are spent while
    ``still_drawing()``; nothing when ``limit`` is 0 or outside the main thread."""
    if limit <= 0 or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expired(signum: int, frame: Any) -> None:
        if still_drawing():
            raise OutOfTime()

    previous = signal.signal(signal.SIGVTALRM, expired)
    signal.setitimer(signal.ITIMER_VIRTUAL, limit)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_VIRTUAL, 0)
        signal.signal(signal.SIGVTALRM, previous)
