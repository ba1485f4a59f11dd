"""SSE streaming cost: the runtime's stream route against a raw Starlette StreamingResponse.

Both apps are called in one process through ASGI (no sockets, no client), side by side in
rounds with the order rotating, so the figures are the frameworks' own work per event:

- events/s of one long stream (the handler yields small JSON events as fast as it can);
- time to first event of a one-event stream (call to first body bytes);
- memory per idle open stream: 1,000 streams that sent one event and wait (tracemalloc).

    python bench/sse_bench.py [--events 20000] [--rounds 5] [--idle 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import time
import tracemalloc
from collections.abc import AsyncIterator
from typing import Any

import _record
from asgi_overhead import ASGI, lifespan
from gmi_ieops.handler import RouterDef, RouterKind, Server
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import StreamingResponse
from starlette.routing import Route

BODY = b'{"prompt": "hello", "n": 0}'
TARGET = 0.9  # the runtime's events/s against raw Starlette


class Knobs:
    """What the running round asks of the handlers (both apps read the same one)."""

    events = 1
    idle: asyncio.Event | None = None


async def _events() -> AsyncIterator[dict[str, Any]]:
    for i in range(Knobs.events):
        yield {"token": "tok", "index": i}
    if Knobs.idle is not None:
        await Knobs.idle.wait()


async def runtime_stream(query: dict[str, Any]) -> AsyncIterator[dict[str, Any]]:
    async for event in _events():
        yield event


async def starlette_stream(request: Request) -> StreamingResponse:
    await request.body()

    async def frames() -> AsyncIterator[bytes]:
        async for event in _events():
            yield b"data: " + json.dumps(event, separators=(",", ":")).encode() + b"\n\n"

    return StreamingResponse(frames(), media_type="text/event-stream")


def apps() -> dict[str, ASGI]:
    route = RouterDef(path="tokens", handler=runtime_stream, kind=RouterKind.SSE)
    return {
        "starlette": Starlette(routes=[Route("/tokens", starlette_stream, methods=["POST"])]),
        "runtime": Server(routers={"": [route]}).app,
    }


def _scope() -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/tokens",
        "raw_path": b"/tokens",
        "root_path": "",
        "query_string": b"",
        "headers": [
            (b"host", b"bench"),
            (b"content-type", b"application/json"),
            (b"accept", b"text/event-stream"),
            (b"content-length", str(len(BODY)).encode()),
        ],
        "client": ("127.0.0.1", 1234),
        "server": ("127.0.0.1", 80),
        "state": {},
    }


async def stream_once(app: ASGI, first: asyncio.Event | None = None) -> tuple[int, float]:
    """One request to the end of its stream: (body bytes, seconds to the first event)."""
    sent = False
    done = asyncio.Event()
    size = 0
    first_at = 0.0
    status = 0
    started = time.perf_counter()

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": BODY, "more_body": False}
        await done.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal size, first_at, status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body" and message.get("body"):
            if not size:
                first_at = time.perf_counter() - started
                if first is not None:
                    first.set()
            size += len(message["body"])

    try:
        await app(_scope(), receive, send)
    finally:
        done.set()
    if status != 200:
        raise SystemExit(f"the app answered {status}, not 200: the bench is broken")
    return size, first_at


async def events_per_second(app: ASGI, events: int) -> float:
    Knobs.events, Knobs.idle = events, None
    started = time.perf_counter()
    await stream_once(app)
    return events / (time.perf_counter() - started)


async def first_event(app: ASGI, requests: int) -> float:
    Knobs.events, Knobs.idle = 1, None
    return statistics.median([(await stream_once(app))[1] for _ in range(requests)])


async def idle_bytes(app: ASGI, streams: int) -> float:
    """Python heap per open stream that has sent its first event and waits."""
    Knobs.events, Knobs.idle = 1, asyncio.Event()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    firsts = [asyncio.Event() for _ in range(streams)]
    tasks = [asyncio.create_task(stream_once(app, first)) for first in firsts]
    await asyncio.gather(*(first.wait() for first in firsts))
    held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    Knobs.idle.set()
    await asyncio.gather(*tasks)
    return held / streams


async def main(args: argparse.Namespace) -> None:
    # The idle streams are all in flight at once: above the runtime's in-flight limit, they
    # would get 503 (the limit is what a worker wants, not what this bench measures).
    os.environ["MODEL_THREAD_CONCURRENCY"] = str(args.idle + 8)
    servers = apps()
    spans = [await lifespan(app) for app in servers.values()]
    names = list(servers)
    rates: dict[str, list[float]] = {n: [] for n in names}
    ttfe: dict[str, list[float]] = {n: [] for n in names}
    idle: dict[str, list[float]] = {n: [] for n in names}
    for name in names:  # warm up
        await events_per_second(servers[name], max(10, args.events // 10))
    for round_no in range(args.rounds):
        order = names[round_no % len(names) :] + names[: round_no % len(names)]
        for name in order:
            rates[name].append(await events_per_second(servers[name], args.events))
            ttfe[name].append(await first_event(servers[name], args.first))
            idle[name].append(await idle_bytes(servers[name], args.idle))
    for task in spans:
        task.cancel()
    print(
        f"SSE in process: {args.events} events per stream, {args.rounds} rounds (median), "
        f"time to first event over {args.first} streams, {args.idle} idle streams"
    )
    print(f"{'app':<10} {'events/s':>10} {'first event µs':>15} {'KiB per idle stream':>20}")
    for name in names:
        print(
            f"{name:<10} {statistics.median(rates[name]):>10.0f} "
            f"{statistics.median(ttfe[name]) * 1e6:>15.0f} "
            f"{statistics.median(idle[name]) / 1024:>20.1f}"
        )
    events = _record.ratio(
        "events/s, runtime / Starlette",
        rates["runtime"],
        rates["starlette"],
        baseline="raw Starlette StreamingResponse",
        target=_record.at_least(TARGET),
    )
    first = _record.ratio(
        "first-event speed (1/latency), runtime / Starlette",
        [1 / t for t in ttfe["runtime"]],
        [1 / t for t in ttfe["starlette"]],
        baseline="raw Starlette StreamingResponse",
        target=_record.at_least(TARGET),
    )
    memory = _record.Figure(
        f"KiB per idle open stream ({args.idle} streams)",
        statistics.median(idle["runtime"]) / 1024,
        unit="KiB",
        note=f"Starlette: {statistics.median(idle['starlette']) / 1024:.1f} KiB",
    )
    print(f"target events/s >= {TARGET}x Starlette: {'met' if events.met else 'NOT met'}")
    _record.write(args.json, "sse_bench", [events, first, memory])


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--first", type=int, default=300, help="streams timed to first event")
    parser.add_argument("--idle", type=int, default=1000, help="idle open streams")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--smoke", action="store_true", help="tiny counts: seconds, figures moot")
    _record.add_option(parser)
    cli = parser.parse_args()
    if cli.smoke:
        cli.events, cli.first, cli.idle, cli.rounds = 50, 5, 20, 1
    asyncio.run(main(cli))
