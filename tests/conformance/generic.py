"""A generic implementation of any generated service, built at run time.

Every abstract method of the service class gets a body that records the keyword arguments
it was called with and answers what the harness planned for the next call of that method:
a response model instance (or ``None``), a list of SSE events, or, for a WebSocket, one
message to send back for the first message received. The plans are values drawn with
hypothesis from the response schemas; between calls the harness sets a fresh one.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Call:
    """What one service method received."""

    method: str
    kwargs: dict[str, Any]
    messages: list[Any] = field(default_factory=list)


class Planner:
    """Shared between the harness (sets plans, reads calls) and the served methods."""

    def __init__(self) -> None:
        self.plans: dict[str, list[Any]] = {}
        self._cycle: dict[str, itertools.cycle[Any]] = {}
        self.calls: list[Call] = []
        self.lock = threading.Lock()

    def plan(self, method: str, *values: Any) -> None:
        """Answer ``values`` in turn (cycling) on the next calls of ``method``."""
        with self.lock:
            self.plans[method] = list(values)
            self._cycle[method] = itertools.cycle(self.plans[method])

    def next(self, method: str) -> Any:
        with self.lock:
            cycle = self._cycle.get(method)
        if cycle is None:
            raise LookupError(f"no planned answer for {method}")
        return next(cycle)

    def record(self, method: str, kwargs: dict[str, Any]) -> Call:
        call = Call(method, {k: snapshot(v) for k, v in kwargs.items() if k != "context"})
        with self.lock:
            self.calls.append(call)
        return call

    def take(self) -> list[Call]:
        with self.lock:
            taken, self.calls = self.calls, []
        return taken


def snapshot(value: Any) -> Any:
    """An upload as ``("file", filename, content_type, content)``: its spool is deleted
    once the call returns, so the harness compares this copy."""
    from gmi_ieops.handler import UploadFile

    if isinstance(value, UploadFile):
        return ("file", value.filename, value.content_type, value.open().read())
    if isinstance(value, list) and value and isinstance(value[0], UploadFile):
        return [snapshot(v) for v in value]
    return value


def _api(name: str, planner: Planner) -> Any:
    async def method(self: Any, **kwargs: Any) -> Any:
        planner.record(name, kwargs)
        return planner.next(name)

    return method


def _sse(name: str, planner: Planner) -> Any:
    async def method(self: Any, **kwargs: Any) -> AsyncIterator[Any]:
        planner.record(name, kwargs)
        for event in planner.next(name):
            yield event

    return method


def _ws(name: str, planner: Planner) -> Any:
    async def method(self: Any, **kwargs: Any) -> None:
        session = kwargs.pop("session")
        call = planner.record(name, kwargs)
        async for message in session:
            call.messages.append(message)
            await session.send(planner.next(name))
            return

    return method


def build(service_class: type, kinds: dict[str, str], planner: Planner) -> Any:
    """An instance of a subclass of ``service_class``; ``kinds`` maps method -> api/sse/ws."""
    body: dict[str, Any] = {}
    for name, kind in kinds.items():
        maker = {"api": _api, "sse": _sse, "ws": _ws}[kind]
        body[name] = maker(name, planner)
    cls = type("Generic" + service_class.__name__, (service_class,), body)
    return cls()
