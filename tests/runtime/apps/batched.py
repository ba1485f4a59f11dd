"""A worker with one batched typed route (``RouterDef.batch``), for test_batching_routes.py.

``POST /batch/upper`` upper-cases ``items`` through ``context.batch``; an item starting
with ``bad`` is that item's 400. ``POST /batch/hold`` holds the next batches until
``POST /batch/release``; ``GET /batch/stats`` tells what the batcher saw.
"""

from __future__ import annotations

import threading
from typing import Any

from gmi_ieops.config import env
from gmi_ieops.handler import BatchConfig, Handler, HTTPMethod, RequestContext, RouterDef, Server
from pydantic import BaseModel
from starlette.exceptions import HTTPException

_gate = threading.Event()
_gate.set()


class Items(BaseModel):
    items: list[str]


class Upper(BaseModel):
    items: list[str]


def upper(items: list[str]) -> list[str | BaseException]:
    """The 'model': runs in the pool thread, once per batch."""
    _gate.wait(30)
    return [
        HTTPException(400, f"bad item {i!r}") if i.startswith("bad") else i.upper() for i in items
    ]


async def upper_route(*, body: Items, context: RequestContext) -> Upper:
    return Upper(items=await context.batch(upper, body.items))


async def hold(query: dict[str, Any]) -> dict[str, bool]:
    _gate.clear()
    return {"held": True}


async def release(query: dict[str, Any]) -> dict[str, bool]:
    _gate.set()
    return {"held": False}


async def stats(query: dict[str, Any]) -> dict[str, Any]:
    found = {}
    for route, batcher in server.runtime.batchers().items():
        s = batcher.stats
        found[route] = {
            "batches": s.batches,
            "items": s.items,
            "largest": s.largest,
            "refused": s.refused,
            "waiting": batcher.waiting,
            "running": batcher.running,
        }
    return found


server = Server(
    routers={
        "batch": [
            RouterDef(
                path="upper",
                handler=upper_route,
                request_model=Items,
                response_model=Upper,
                operation_id="upper",
                batch=BatchConfig(max_size=8),
            ),
            RouterDef(path="hold", handler=hold),
            RouterDef(path="release", handler=release),
            RouterDef(path="stats", handler=stats, method=HTTPMethod.GET),
        ]
    },
    app_name=env.app.name,
)

if __name__ == "__main__":
    Handler(server=server).serve()
