"""The worker the reliability suite attacks: every handler kind, plus a stats route.

``/probe/stats`` reports what the suite checks for leaks from outside the process: handler
threads, open file descriptors, asyncio tasks and RSS. ``RLIMIT_NOFILE`` (when set) lowers
the process's file-descriptor limit before serving, as a crowded host would.
"""

from __future__ import annotations

import asyncio
import os
import resource
import threading
import time
from typing import Any

from gmi_ieops.handler import Handler, HTTPMethod, RouterDef, RouterKind, Server
from pydantic import BaseModel


class Text(BaseModel):
    text: str
    score: float | None = None


class Reply(BaseModel):
    text: str
    score: float | None = None


async def echo(query: dict[str, Any]) -> dict[str, Any]:
    return query


def sync_echo(query: dict[str, Any]) -> dict[str, Any]:
    return {"ok": True, "trace_id": query["trace_id"]}


def sync_sleep(query: dict[str, Any]) -> dict[str, Any]:
    time.sleep(float(query.get("seconds", 1)))
    return {"slept": query.get("seconds", 1)}


async def async_sleep(query: dict[str, Any]) -> dict[str, Any]:
    await asyncio.sleep(float(query.get("seconds", 1)))
    return {"slept": query.get("seconds", 1)}


async def busy(query: dict[str, Any]) -> dict[str, Any]:
    """Hold the event loop (no await) for a moment, as a CPU-heavy async handler does."""
    until = time.monotonic() + float(query.get("seconds", 0.05))
    while time.monotonic() < until:
        pass
    await asyncio.sleep(0)
    return {"ok": True}


async def stream(query: dict[str, Any]):
    for i in range(int(query.get("n", 10))):
        yield {"i": i}
        await asyncio.sleep(float(query.get("interval", 0.01)))


def sync_stream(query: dict[str, Any]):
    for i in range(int(query.get("n", 10))):
        yield {"i": i}
        time.sleep(float(query.get("interval", 0.01)))


async def bug(query: dict[str, Any]) -> dict[str, Any]:
    raise RuntimeError("a bug in the handler")


async def not_a_number(query: dict[str, Any]) -> dict[str, Any]:
    return {"nan": float("nan"), "inf": float("inf"), "ninf": float("-inf")}


async def lone_surrogate(query: dict[str, Any]) -> dict[str, Any]:
    return {"text": "\ud800"}


async def typed(body: Text) -> Reply:
    return Reply(text=body.text, score=body.score)


async def ws_echo(query: dict[str, Any]) -> dict[str, Any]:
    return query


async def stats() -> dict[str, Any]:
    with open("/proc/self/statm") as f:
        rss_pages = int(f.read().split()[1])
    return {
        "threads": sorted(t.name for t in threading.enumerate()),
        "handler_threads": sum(t.name.startswith("ieops-handler") for t in threading.enumerate()),
        "fds": len(os.listdir("/proc/self/fd")),
        "tasks": len(asyncio.all_tasks()),
        "rss": rss_pages * os.sysconf("SC_PAGE_SIZE"),
    }


server = Server(
    routers={
        "r": [
            RouterDef("echo", echo),
            RouterDef("sync_echo", sync_echo),
            RouterDef("sync_sleep", sync_sleep, timeout=float(os.environ.get("SLEEP_TIMEOUT", 60))),
            RouterDef("async_sleep", async_sleep),
            RouterDef("busy", busy),
            RouterDef("stream", stream, kind=RouterKind.SSE),
            RouterDef("sync_stream", sync_stream, kind=RouterKind.SSE),
            RouterDef("bug", bug),
            RouterDef("nan", not_a_number),
            RouterDef("surrogate", lone_surrogate),
            RouterDef("typed", typed, request_model=Text, response_model=Reply),
            RouterDef("ws", ws_echo, kind=RouterKind.WS),
        ],
        "probe": [RouterDef("stats", stats, method=HTTPMethod.GET)],
    },
)

if __name__ == "__main__":
    limit = os.environ.get("RLIMIT_NOFILE")
    if limit:
        hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        resource.setrlimit(resource.RLIMIT_NOFILE, (int(limit), hard))
    Handler(server=server).serve()
