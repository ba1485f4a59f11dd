"""A worker exercising every handler shape, stream and limit of the runtime.

Handlers that stop write a line to $EVENTS_FILE (``<name> <monotonic time>``) so tests can
see, from outside the process, when a handler was stopped.
"""

from __future__ import annotations

import asyncio
import functools
import os
import threading
import time
from typing import Any

from fastapi import HTTPException
from gmi_ieops.config import env
from gmi_ieops.handler import (
    Handler,
    HTTPMethod,
    RouterConfig,
    RouterDef,
    RouterKind,
    Server,
)
from gmi_ieops.utils import log
from starlette.websockets import WebSocket

EVENTS = os.environ.get("EVENTS_FILE", "")
_lock = threading.Lock()


def record(name: str) -> None:
    if EVENTS:
        with _lock, open(EVENTS, "a") as f:
            f.write(f"{name} {time.monotonic()}\n")


# -- the four kinds, through four callable shapes ------------------------------------------


async def async_gen(query: dict[str, Any]):
    for i in range(int(query.get("n", 3))):
        yield {"i": i, "kind": "async_gen"}


def sync_gen(query: dict[str, Any]):
    for i in range(int(query.get("n", 3))):
        yield {"i": i, "kind": "sync_gen", "thread": threading.current_thread().name}


class Model:
    async def async_fn(self, query: dict[str, Any]) -> dict[str, Any]:
        return {"kind": "async_fn", "echo": query}

    def sync_fn(self, prefix: str, query: dict[str, Any]) -> dict[str, Any]:
        return {"kind": "sync_fn", "prefix": prefix, "thread": threading.current_thread().name}


class CallableGen:
    async def __call__(self, query: dict[str, Any]):
        yield {"kind": "callable_async_gen"}


# -- slow streams that notice being stopped ------------------------------------------------


async def slow_async_stream(query: dict[str, Any]):
    try:
        for i in range(10_000):
            yield {"i": i}
            await asyncio.sleep(float(query.get("interval", 0.02)))
    finally:
        record("async_stopped")


def slow_sync_stream(query: dict[str, Any]):
    try:
        for i in range(10_000):
            yield {"i": i}
            time.sleep(float(query.get("interval", 0.02)))
    finally:
        record("sync_stopped")


async def slow_api(query: dict[str, Any]) -> dict[str, Any]:
    try:
        await asyncio.sleep(float(query.get("seconds", 30)))
        return {"slept": True}
    finally:
        record("api_stopped")


def failing_stream(query: dict[str, Any]):
    yield {"i": 0}
    raise RuntimeError("model crashed at token 1")


async def bad_request_stream(query: dict[str, Any]):
    raise HTTPException(status_code=400, detail="prompt is empty")
    yield {}  # pragma: no cover - makes this an async generator


async def finite_stream(query: dict[str, Any]):
    for i in range(int(query.get("n", 20))):
        yield {"i": i}
        await asyncio.sleep(float(query.get("interval", 0.05)))


async def traced(query: dict[str, Any]) -> dict[str, Any]:
    log.get_logger().info("handling traced request")
    return {"trace_id": query["trace_id"]}


async def path_param(query: dict[str, Any]) -> dict[str, Any]:
    return {"item": query["item_id"], "q": query.get("q"), "body": query.get("b")}


# -- WebSockets ----------------------------------------------------------------------------


async def ws_message(query: dict[str, Any]) -> dict[str, Any]:
    if query.get("fail"):
        raise HTTPException(status_code=400, detail="bad message")
    return {"echo": query.get("text"), "trace_id": query["trace_id"]}


def ws_stream(query: dict[str, Any]):
    for i in range(int(query.get("n", 2))):
        yield {"i": i}


async def ws_raw(websocket: WebSocket) -> None:
    await websocket.accept()
    text = await websocket.receive_text()
    await websocket.send_text(text.upper())
    await websocket.close()


startup_state = {"loaded": False}


def on_startup() -> None:
    time.sleep(float(os.environ.get("STARTUP_DELAY", "0")))
    startup_state["loaded"] = True
    record("startup")


async def on_shutdown() -> None:
    record("shutdown")


async def loaded(query: dict[str, Any]) -> dict[str, Any]:
    return {"loaded": startup_state["loaded"], "app": env.app.name}


model = Model()

server = Server(
    routers={
        "kinds": [
            RouterDef(path="async_gen", handler=async_gen, kind=RouterKind.SSE),
            RouterDef(path="sync_gen", handler=sync_gen, kind=RouterKind.SSE),
            RouterDef(path="async_fn", handler=model.async_fn, kind=RouterKind.API),
            RouterDef(
                path="sync_fn", handler=functools.partial(model.sync_fn, "p"), kind=RouterKind.API
            ),
            RouterDef(path="callable", handler=CallableGen(), kind=RouterKind.SSE),
        ],
        "slow": [
            RouterDef(path="async_stream", handler=slow_async_stream, kind=RouterKind.SSE),
            RouterDef(path="sync_stream", handler=slow_sync_stream, kind=RouterKind.SSE),
            RouterDef(path="api", handler=slow_api, kind=RouterKind.API),
            RouterDef(path="api_short_timeout", handler=slow_api, timeout=0.3),
            RouterDef(
                path="stream_short_timeout",
                handler=slow_async_stream,
                kind=RouterKind.SSE,
                timeout=0.3,
            ),
            RouterDef(path="finite", handler=finite_stream, kind=RouterKind.SSE),
        ],
        "misc": [
            RouterDef(path="failing_stream", handler=failing_stream, kind=RouterKind.SSE),
            RouterDef(path="bad_request_stream", handler=bad_request_stream, kind=RouterKind.SSE),
            RouterDef(path="traced", handler=traced),
            RouterDef(path="items/{item_id}", handler=path_param),
            RouterDef(path="items/{item_id}", handler=path_param, method=HTTPMethod.GET),
            RouterDef(path="loaded", handler=loaded, method=HTTPMethod.GET),
        ],
        "ws": [
            RouterDef(path="message", handler=ws_message, kind=RouterKind.WS),
            RouterDef(path="stream", handler=ws_stream, kind=RouterKind.WS),
            RouterDef(path="raw", handler=ws_raw, kind=RouterKind.WS),
        ],
    },
    router_config=RouterConfig(timeout=60, sse_headers={"X-Custom-Sse": "yes"}),
    prefix="/api",
    on_startup=on_startup,
    on_shutdown=on_shutdown,
    enable_cors=True,
    app_name=env.app.name,
)

if __name__ == "__main__":
    Handler(server=server).serve()
