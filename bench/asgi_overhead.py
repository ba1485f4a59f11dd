"""Server-side cost per request, without sockets: ASGI apps called in one process.

Drives each app's ASGI callable directly with a prepared scope, side by side in rounds, so
the figure is the framework's own work per request (routing, body, validation, handler
call, JSON), free of network and client noise. Complements runtime_bench.py (wrk over TCP).

    python bench/asgi_overhead.py [--requests 20000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Callable, Coroutine
from typing import Any

import _record
from fastapi import FastAPI
from gmi_ieops.handler import RouterDef, Server
from gmi_ieops.typed import api_router
from pydantic import BaseModel
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

BODY = b'{"prompt": "hello world", "max_tokens": 16, "temperature": 0.5, "user": "bench"}'

ASGI = Callable[[dict[str, Any], Any, Any], Coroutine[Any, Any, None]]


class EchoRequest(BaseModel):
    prompt: str
    max_tokens: int = 16
    temperature: float = 1.0
    user: str | None = None


class EchoResponse(BaseModel):
    text: str
    tokens: int


async def starlette_echo(request: Request) -> JSONResponse:
    data = await request.json()
    return JSONResponse({"text": data["prompt"], "tokens": data["max_tokens"]})


def starlette_app() -> ASGI:
    return Starlette(routes=[Route("/echo", starlette_echo, methods=["POST"])])


def fastapi_app() -> ASGI:
    app = FastAPI()

    @app.post("/echo")
    async def echo(body: EchoRequest) -> EchoResponse:
        return EchoResponse(text=body.prompt, tokens=body.max_tokens)

    return app


async def seed_echo(query: dict[str, Any]) -> dict[str, Any]:
    return {"text": query["prompt"], "tokens": query["max_tokens"]}


async def typed_echo(body: EchoRequest) -> EchoResponse:
    return EchoResponse(text=body.prompt, tokens=body.max_tokens)


def runtime_seed_app() -> ASGI:
    return Server(routers={"": [RouterDef(path="echo", handler=seed_echo)]}).app


def runtime_typed_app() -> ASGI:
    route = RouterDef(
        path="echo", handler=typed_echo, request_model=EchoRequest, response_model=EchoResponse
    )
    return Server(routers={"": [route]}).app


def included_router_app() -> ASGI:
    """A user's FastAPI app (with a route of its own) including the typed route as a
    router: the same operation behind FastAPI's router (issue target: >= 2x idiomatic)."""
    app = FastAPI()

    @app.get("/mine")
    async def mine() -> dict[str, str]:
        return {"mine": "yes"}

    route = RouterDef(
        path="echo", handler=typed_echo, request_model=EchoRequest, response_model=EchoResponse
    )
    app.include_router(api_router([route]))
    return app


def scope() -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/echo",
        "raw_path": b"/echo",
        "root_path": "",
        "query_string": b"",
        "headers": [
            (b"host", b"bench"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(BODY)).encode()),
        ],
        "client": ("127.0.0.1", 1234),
        "server": ("127.0.0.1", 80),
        "state": {},
    }


async def drive(app: ASGI, requests: int) -> float:
    """Seconds per request."""
    body_message = {"type": "http.request", "body": BODY, "more_body": False}
    disconnect = asyncio.Event()
    statuses: list[int] = []
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return body_message
        await disconnect.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    started = time.perf_counter()
    for _ in range(requests):
        sent = False
        await app(scope(), receive, send)
    elapsed = time.perf_counter() - started
    assert set(statuses) == {200}, set(statuses)
    return elapsed / requests


async def lifespan(app: ASGI) -> asyncio.Task[None]:
    messages = iter([{"type": "lifespan.startup"}])

    async def receive() -> dict[str, Any]:
        try:
            return next(messages)
        except StopIteration:
            await asyncio.Event().wait()
            raise

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "lifespan.startup.complete":
            started.set()

    started = asyncio.Event()
    task = asyncio.get_running_loop().create_task(
        app({"type": "lifespan", "asgi": {"version": "3.0"}}, receive, send)
    )
    await started.wait()
    return task


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--smoke", action="store_true", help="tiny counts: seconds, figures moot")
    _record.add_option(parser)
    args = parser.parse_args()
    warmup = 200
    if args.smoke:
        args.requests, args.rounds, warmup = 50, 1, 10
    apps = {
        "starlette (hand-written)": starlette_app(),
        "fastapi (idiomatic)": fastapi_app(),
        "gmi_ieops seed dict route": runtime_seed_app(),
        "gmi_ieops typed route": runtime_typed_app(),
        "included typed router": included_router_app(),
    }
    lifespans = [await lifespan(app) for app in apps.values()]
    for app in apps.values():
        await drive(app, warmup)
    times: dict[str, list[float]] = {name: [] for name in apps}
    names = list(apps)
    for round_no in range(args.rounds):  # rotating order: drift hits every app alike
        shift = round_no % len(names)
        for name in names[shift:] + names[:shift]:
            times[name].append(await drive(apps[name], args.requests))
    base = statistics.median(times["starlette (hand-written)"])
    fastapi = statistics.median(times["fastapi (idiomatic)"])
    header = ("app", "µs/request", "req/s (1 core)", "vs starlette", "vs fastapi")
    print(f"{header[0]:<28} {header[1]:>11} {header[2]:>15} {header[3]:>13} {header[4]:>11}")
    for name, samples in times.items():
        t = statistics.median(samples)
        print(
            f"{name:<28} {t * 1e6:>11.1f} {1 / t:>15,.0f} {base / t:>12.2f}x {fastapi / t:>10.2f}x"
        )
    for task in lifespans:
        task.cancel()
    speed = {name: [1 / t for t in samples] for name, samples in times.items()}
    _record.write(
        args.json,
        "asgi_overhead",
        [
            _record.ratio(
                f"{name} / {base_name} (ASGI in process, no sockets)",
                speed[name],
                speed[base_name],
                baseline=base_name,
                target=_record.at_least(bound),
            )
            for name, base_name, bound in (
                ("gmi_ieops typed route", "starlette (hand-written)", 0.95),
                ("gmi_ieops typed route", "fastapi (idiomatic)", 2.0),
                ("gmi_ieops seed dict route", "starlette (hand-written)", 0.95),
                ("included typed router", "gmi_ieops typed route", 0.95),
                ("included typed router", "fastapi (idiomatic)", 2.0),
            )
        ],
    )


if __name__ == "__main__":
    asyncio.run(main())
