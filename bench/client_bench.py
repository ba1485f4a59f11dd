"""Requests/s of ``BaseClient._request`` against a raw ``httpx.Client`` on the same route.

Both talk to the same uvicorn server (a subprocess, so it does not share the client's GIL)
over the same Unix socket, in alternating batches (the order swaps every batch), one
persistent connection each. The raw baseline does the least a caller can: pre-encoded JSON
bytes in, ``response.json()`` out. The typed client also serialises the request model,
validates the response model, fills a path template and sends a trace id. Prints the median
requests/s of each and the ratio client / raw (target >= 0.9). Run by hand:

    .venv/bin/python bench/client_bench.py [--requests 50] [--rounds 100] [--async]
    .venv/bin/python bench/client_bench.py --smoke     # seconds: does it still run?
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable

import _record
import httpx
from gmi_ieops.client import AsyncBaseClient, BaseClient
from pydantic import BaseModel


class Request(BaseModel):
    prompt: str
    max_tokens: int = 16


class Reply(BaseModel):
    name: str
    prompt: str
    max_tokens: int


def serve(path: str) -> None:
    """The server side (run in the subprocess): one JSON route, as a worker would have."""
    import json

    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request as HTTPRequest
    from starlette.responses import Response
    from starlette.routing import Route

    async def echo(request: HTTPRequest) -> Response:
        body = json.loads(await request.body())
        reply = {"name": request.path_params["name"], **body}
        tid = request.headers.get("x-trace-id", "-")
        return Response(
            json.dumps(reply), media_type="application/json", headers={"X-Trace-Id": tid}
        )

    app = Starlette(routes=[Route("/v1/echo/{name}", echo, methods=["POST"])])
    uvicorn.run(app, uds=path, log_level="warning", lifespan="off", access_log=False)


def start_server(path: str) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen([sys.executable, __file__, "--serve", path])
    deadline = time.monotonic() + 20
    with httpx.Client(transport=httpx.HTTPTransport(uds=path)) as probe:
        while True:
            try:
                probe.post("http://localhost/v1/echo/x", json={"prompt": "p"})
                return proc
            except httpx.TransportError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    proc.kill()
                    raise SystemExit("bench server did not start") from None
                time.sleep(0.05)


class Side:
    """Accumulated wall and CPU time of one side over all its batches."""

    def __init__(self) -> None:
        self.n = 0
        self.wall = 0.0
        self.cpu = 0.0
        self.batch_rates: list[float] = []

    def add(self, n: int, wall: float, cpu: float) -> None:
        self.n += n
        self.wall += wall
        self.cpu += cpu
        self.batch_rates.append(n / wall)

    @property
    def rate(self) -> float:
        return self.n / self.wall

    @property
    def cpu_us(self) -> float:
        return self.cpu / self.n * 1e6


def timed(side: Side, fn: Callable[[], object], n: int) -> None:
    c, w = time.process_time(), time.perf_counter()
    for _ in range(n):
        fn()
    side.add(n, time.perf_counter() - w, time.process_time() - c)


async def atimed(side: Side, fn: Callable[[], Awaitable[object]], n: int) -> None:
    c, w = time.process_time(), time.perf_counter()
    for _ in range(n):
        await fn()
    side.add(n, time.perf_counter() - w, time.process_time() - c)


def report(raw: Side, typed: Side, label: str) -> _record.Figure:
    pairs = [t / r for r, t in zip(raw.batch_rates, typed.batch_rates, strict=True)]
    median_ratio = statistics.median(pairs)
    print(
        f"{label}: raw httpx {raw.rate:7.0f} req/s ({raw.cpu_us:5.0f} us CPU/req)   "
        f"BaseClient {typed.rate:7.0f} req/s ({typed.cpu_us:5.0f} us CPU/req)   "
        f"ratio {typed.rate / raw.rate:.3f} (median of batch pairs {median_ratio:.3f})"
    )
    return _record.Figure(
        f"generated client / raw httpx, {label.strip()} (Unix socket, sequential)",
        typed.rate / raw.rate,
        baseline="raw httpx",
        target=_record.at_least(0.9),
        rounds=pairs,
    )


def bench_sync(path: str, n: int, rounds: int) -> _record.Figure:
    payload = Request(prompt="hello", max_tokens=16).model_dump_json().encode()
    url = "http://localhost/v1/echo/bench"
    headers = {"Content-Type": "application/json"}
    raw_http = httpx.Client(transport=httpx.HTTPTransport(uds=path))
    client = BaseClient(f"unix://{path}")
    body = Request(prompt="hello", max_tokens=16)

    def raw_call() -> object:
        return raw_http.post(url, content=payload, headers=headers).json()

    def typed_call() -> object:
        return client._request(
            "POST",
            "/v1/echo/{name}",
            path_params={"name": "bench"},
            body=body,
            response_model=Reply,
        )

    timed(Side(), raw_call, min(200, n * 4))  # warm up both pools
    timed(Side(), typed_call, min(200, n * 4))
    raw, typed = Side(), Side()
    for i in range(rounds):
        pair = [(raw, raw_call), (typed, typed_call)]
        for side, fn in pair if i % 2 == 0 else reversed(pair):
            timed(side, fn, n)
    figure = report(raw, typed, "sync ")
    raw_http.close()
    client.close()
    return figure


async def bench_async(path: str, n: int, rounds: int) -> _record.Figure:
    payload = Request(prompt="hello", max_tokens=16).model_dump_json().encode()
    url = "http://localhost/v1/echo/bench"
    headers = {"Content-Type": "application/json"}
    raw_http = httpx.AsyncClient(transport=httpx.AsyncHTTPTransport(uds=path))
    client = AsyncBaseClient(f"unix://{path}")
    body = Request(prompt="hello", max_tokens=16)

    async def raw_call() -> object:
        return (await raw_http.post(url, content=payload, headers=headers)).json()

    async def typed_call() -> object:
        return await client._request(
            "POST",
            "/v1/echo/{name}",
            path_params={"name": "bench"},
            body=body,
            response_model=Reply,
        )

    await atimed(Side(), raw_call, min(200, n * 4))
    await atimed(Side(), typed_call, min(200, n * 4))
    raw, typed = Side(), Side()
    for i in range(rounds):
        pair = [(raw, raw_call), (typed, typed_call)]
        for side, fn in pair if i % 2 == 0 else reversed(pair):
            await atimed(side, fn, n)
    figure = report(raw, typed, "async")
    await raw_http.aclose()
    await client.aclose()
    return figure


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=50, help="requests per batch and side")
    parser.add_argument("--rounds", type=int, default=100, help="alternating batches per side")
    parser.add_argument(
        "--async",
        dest="run_async",
        action="store_true",
        help="also measure AsyncBaseClient against httpx.AsyncClient",
    )
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument(
        "--smoke", action="store_true", help="tiny counts, sync and async: seconds, figures moot"
    )
    _record.add_option(parser)
    args = parser.parse_args()
    if args.smoke:
        args.requests, args.rounds, args.run_async = 5, 2, True
    if args.serve:
        serve(args.serve)
        return
    tmp = tempfile.mkdtemp(prefix="ieops-bench-")
    path = os.path.join(tmp, "bench.sock")
    proc = start_server(path)
    try:
        print(
            f"{args.rounds} alternating batches of {args.requests} sequential requests per side, "
            f"Unix socket, uvicorn in a subprocess"
        )
        figures = [bench_sync(path, args.requests, args.rounds)]
        if args.run_async:
            figures.append(asyncio.run(bench_async(path, args.requests, args.rounds)))
        _record.write(args.json, "client_bench", figures)
    finally:
        proc.terminate()
        proc.wait(10)
        for name in os.listdir(tmp):
            os.unlink(os.path.join(tmp, name))
        os.rmdir(tmp)


if __name__ == "__main__":
    main()
