"""A worker for the ``/metrics`` tests: a templated route, a stream, a failure, a slow
route (to hold a slot) and a route that reports a batch size through the batcher's hook."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from gmi_ieops.handler import Handler, HTTPMethod, RouterDef, RouterKind, Server
from gmi_ieops.metrics import observe_batch


async def item(query: dict[str, Any]) -> dict[str, Any]:
    return {"item": query["item"]}


async def stream(query: dict[str, Any]) -> AsyncIterator[dict[str, int]]:
    await asyncio.sleep(0.05)
    for n in range(3):
        yield {"n": n}
        await asyncio.sleep(0.05)


async def boom(query: dict[str, Any]) -> dict[str, Any]:
    raise RuntimeError("boom")


async def slow(query: dict[str, Any]) -> dict[str, Any]:
    await asyncio.sleep(float(query.get("seconds", 1)))
    return {}


async def batch(query: dict[str, Any]) -> dict[str, Any]:
    observe_batch("/batch", int(query.get("size", 1)))
    return {}


server = Server(
    routers={
        "": [
            RouterDef("/items/{item}", item, method=HTTPMethod.GET),
            RouterDef("/stream", stream, kind=RouterKind.SSE),
            RouterDef("/boom", boom),
            RouterDef("/slow", slow),
            RouterDef("/batch", batch),
        ]
    }
)

if __name__ == "__main__":
    Handler(server=server).serve()
