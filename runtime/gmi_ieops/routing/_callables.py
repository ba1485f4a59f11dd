"""Finding out what kind of callable a handler is, and how to call it.

Handlers come as plain functions, bound methods, ``functools.partial`` objects and callable
instances; decorators may hide the real function behind ``__wrapped__``.
"""

from __future__ import annotations

import enum
import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from starlette.websockets import WebSocket


class CallableKind(enum.Enum):
    ASYNC_GENERATOR = "async generator"
    SYNC_GENERATOR = "sync generator"
    ASYNC_FUNCTION = "async function"
    SYNC_FUNCTION = "sync function"

    @property
    def is_async(self) -> bool:
        return self in (CallableKind.ASYNC_GENERATOR, CallableKind.ASYNC_FUNCTION)

    @property
    def is_generator(self) -> bool:
        return self in (CallableKind.ASYNC_GENERATOR, CallableKind.SYNC_GENERATOR)


def _target(fn: Callable[..., Any]) -> Callable[..., Any]:
    """The function whose code object tells the kind: through partials and callable objects."""
    target: Any = fn
    for _ in range(64):  # bounded: a pathological object cannot loop forever
        if isinstance(target, functools.partial):
            target = target.func
        elif inspect.ismethod(target):
            target = target.__func__
        elif inspect.isfunction(target):
            unwrapped = inspect.unwrap(target)
            if unwrapped is target:
                break
            target = unwrapped
        elif not inspect.isclass(target) and inspect.isfunction(
            inspect.getattr_static(type(target), "__call__", None)
        ):
            target = type(target).__call__
        else:
            break
    return cast("Callable[..., Any]", target)


def kind_of(fn: Callable[..., Any]) -> CallableKind:
    target = _target(fn)
    if inspect.isasyncgenfunction(target):
        return CallableKind.ASYNC_GENERATOR
    if inspect.isgeneratorfunction(target):
        return CallableKind.SYNC_GENERATOR
    if inspect.iscoroutinefunction(target):
        return CallableKind.ASYNC_FUNCTION
    return CallableKind.SYNC_FUNCTION


@dataclass(frozen=True)
class Signature:
    """Which keyword arguments a handler accepts (decided once, at route build time)."""

    names: frozenset[str]
    var_keyword: bool
    positional_count: int
    websocket_param: str | None

    def accepts(self, name: str) -> bool:
        return self.var_keyword or name in self.names

    def select(self, candidates: dict[str, Any]) -> dict[str, Any]:
        if self.var_keyword:
            return candidates
        return {name: value for name, value in candidates.items() if name in self.names}


def signature_of(fn: Callable[..., Any]) -> Signature:
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):  # some builtins have no signature: pass the seed's dict
        return Signature(frozenset(), True, 1, None)
    names: set[str] = set()
    var_keyword = False
    positional = 0
    websocket_param = None
    for param in sig.parameters.values():
        if param.kind is param.VAR_KEYWORD:
            var_keyword = True
            continue
        if param.kind is param.VAR_POSITIONAL:
            positional += 1
            continue
        if param.kind in (param.POSITIONAL_ONLY, param.POSITIONAL_OR_KEYWORD):
            positional += 1
        if param.kind is not param.POSITIONAL_ONLY:
            names.add(param.name)
        annotation = param.annotation
        if (inspect.isclass(annotation) and issubclass(annotation, WebSocket)) or (
            isinstance(annotation, str) and annotation.rsplit(".", 1)[-1] == "WebSocket"
        ):
            websocket_param = param.name
    return Signature(frozenset(names), var_keyword, positional, websocket_param)
