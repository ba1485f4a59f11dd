"""Requests/s of a generated typed route beside hand-written Starlette and FastAPI routes.

All three serve ``POST /v1/embeddings`` of ``schemas/openai.yaml`` with the same generated
models and the same service implementation (``examples/worker/openai_impl.py``, with a
constant stand-in for its model, so that the figures are the frameworks' and not a model's):

- generated: ``generated.openai.routes.create_app(OpenAICompatibleInferenceServiceImpl())``
  (the runtime's typed route: ``model_validate_json`` on a Starlette route, trace id, limits,
  timeout);
- included: a user's FastAPI app (with a route of its own) that includes
  ``generated.openai.routes.router(OpenAICompatibleInferenceServiceImpl())``: the same endpoint
  behind FastAPI's middleware stack and router (targets: >= 0.95x generated, >= 2x FastAPI);
- starlette: a hand-written Starlette route doing the same validation and serialisation;
- fastapi: the idiomatic FastAPI route (``body: CreateEmbeddingRequest`` parameter).

Each app is driven in-process through its ASGI interface (no sockets, no HTTP client), so
the figures compare what the frameworks do per request. Rounds alternate between the apps,
in rotating order; the table prints the best round, ``--json`` the median. Run:
``python bench/typed_route_bench.py [--requests N]``;
``--smoke`` runs tiny counts in seconds (the test suite does, so the bench cannot rot).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import statistics
import sys
import time
from collections.abc import Callable, Coroutine, MutableMapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import os  # noqa: E402

os.environ.setdefault("REGISTER_ENABLED", "false")
os.environ.setdefault("LOG_LEVEL", "WARNING")
# The baselines call the model directly: the generated route must too (the example batches
# its embeddings; with batching, each request would add the batcher's thread hop).
os.environ.setdefault("MODEL_BATCH_ENABLED", "false")

import _record  # noqa: E402
from fastapi import FastAPI  # noqa: E402
from gmi_ieops.handler import RequestContext  # noqa: E402
from starlette.applications import Starlette  # noqa: E402
from starlette.requests import Request  # noqa: E402
from starlette.responses import JSONResponse, Response  # noqa: E402
from starlette.routing import Route  # noqa: E402

from generated.openai.models import CreateEmbeddingRequest, CreateEmbeddingResponse  # noqa: E402
from generated.openai.routes import create_app, router  # noqa: E402
from generated.openai.service import OpenAICompatibleInferenceService  # noqa: E402

Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Any, Any], Coroutine[Any, Any, None]]
BODY = b'{"model": "e", "input": ["the quick brown fox", "jumps over"], "dimensions": 4}'


class _ConstantEmbedder:
    """The example's ``Embedder`` protocol at no cost: the same small vector for every text."""

    name = "e"  # the model name the bench's body asks for

    def load(self) -> None:
        return None

    def encode(self, texts: list[str]) -> list[list[float]]:
        return [[0.5, 0.5, 0.5, 0.5] for _ in texts]

    def count_tokens(self, texts: list[str]) -> list[int]:
        return [1 for _ in texts]

    def decode(self, ids: list[int]) -> str:
        return "x"


def _context(request: Request) -> RequestContext:
    """The real context, as the hand-written routes must give the implementation one (a
    stand-in once lacked ``run_sync`` and the bench answered 500)."""
    return RequestContext(trace_id="bench", connection=request, client_gone=lambda: False)


def starlette_app(service: OpenAICompatibleInferenceService) -> Starlette:
    async def embeddings(request: Request) -> Response:
        try:
            body = CreateEmbeddingRequest.model_validate_json(await request.body())
        except ValueError as exc:
            return JSONResponse({"message": str(exc), "type": "validation_error"}, 422)
        result = await service.create_embedding(body=body, context=_context(request))
        return Response(result.model_dump_json(), media_type="application/json")

    return Starlette(routes=[Route("/v1/embeddings", embeddings, methods=["POST"])])


def fastapi_app(service: OpenAICompatibleInferenceService) -> FastAPI:
    app = FastAPI()

    @app.post("/v1/embeddings")
    async def embeddings(body: CreateEmbeddingRequest, request: Request) -> CreateEmbeddingResponse:
        return await service.create_embedding(body=body, context=_context(request))

    return app


def included_app(service: OpenAICompatibleInferenceService) -> FastAPI:
    """A user's FastAPI app with its own route, including the generated router."""
    app = FastAPI()

    @app.get("/mine")
    async def mine() -> dict[str, str]:
        return {"mine": "yes"}

    app.include_router(router(service))
    return app


async def _lifespan(app: ASGIApp) -> Callable[[], Coroutine[Any, Any, None]]:
    """Run the app's startup; return a function that runs its shutdown."""
    queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    await queue.put({"type": "lifespan.startup"})
    started = asyncio.Event()

    async def receive() -> dict[str, Any]:
        return await queue.get()

    async def send(message: dict[str, Any]) -> None:
        if message["type"].startswith("lifespan.startup"):
            started.set()

    task = asyncio.get_running_loop().create_task(
        app({"type": "lifespan", "asgi": {"version": "3.0"}}, receive, send)
    )
    await asyncio.wait_for(started.wait(), 10)

    async def shutdown() -> None:
        await queue.put({"type": "lifespan.shutdown"})
        await asyncio.wait_for(task, 10)

    return shutdown


async def _request(app: ASGIApp) -> int:
    scope: Scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/v1/embeddings",
        "raw_path": b"/v1/embeddings",
        "query_string": b"",
        "root_path": "",
        "server": ("bench", 80),
        "client": ("c", 1),
        "headers": [
            (b"host", b"bench"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(BODY)).encode()),
        ],
    }
    sent = False
    status = 0

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": BODY, "more_body": False}
        await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


async def _round(app: ASGIApp, requests: int, concurrency: int) -> tuple[float, float]:
    """Requests per second of wall time and per CPU-second of this process (all threads).

    On a machine other work shares, wall time mostly says how much CPU the bench was
    given; CPU time says what a request costs, and stays steadier."""

    async def worker(n: int) -> None:
        for _ in range(n):
            status = await _request(app)
            if status != 200:
                raise SystemExit(f"the app answered {status}, not 200: the bench is broken")

    start, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(worker(requests // concurrency) for _ in range(concurrency)))
    done = requests // concurrency * concurrency
    return done / (time.perf_counter() - start), done / max(time.process_time() - cpu, 1e-9)


async def main(
    requests: int, rounds: int, concurrency: int, warmup: int, json_path: Path | None
) -> None:
    # imported by name so that mypy checks examples/worker as its own files
    worker = importlib.import_module("examples.worker.openai_impl")
    # A constant "model": the bench compares what the frameworks cost per request, not a
    # model's (the real one also needs loading in a startup hook, which a bare app never runs).
    service: OpenAICompatibleInferenceService = worker.OpenAICompatibleInferenceServiceImpl(
        _ConstantEmbedder()
    )
    apps: dict[str, ASGIApp] = {
        "generated typed route": create_app(service),
        "included router": included_app(service),
        "hand-written Starlette": starlette_app(service),
        "idiomatic FastAPI": fastapi_app(service),
    }
    shutdown = await _lifespan(apps["generated typed route"])
    for app in apps.values():
        await _round(app, warmup, concurrency)  # warm up
    walls: dict[str, list[float]] = {name: [] for name in apps}
    cpus: dict[str, list[float]] = {name: [] for name in apps}
    names = list(apps)
    for n in range(rounds):  # the order rotates every round: drift hits every app alike
        for name in names[n % len(names) :] + names[: n % len(names)]:
            wall, cpu = await _round(apps[name], requests, concurrency)
            walls[name].append(wall)
            cpus[name].append(cpu)
    await shutdown()
    print(
        f"POST /v1/embeddings, {requests} requests x {rounds} rounds, concurrency "
        f"{concurrency}, best and median round (Python {sys.version.split()[0]})"
    )
    tables = (
        ("req/s", {k: max(v) for k, v in walls.items()}),
        ("req/CPU-s", {k: max(v) for k, v in cpus.items()}),
        ("median req/s", {k: statistics.median(v) for k, v in walls.items()}),
    )
    for label, figures in tables:
        base, fast = figures["hand-written Starlette"], figures["idiomatic FastAPI"]
        for name, rate in figures.items():
            print(
                f"  {name:24s} {rate:9.0f} {label:9s} {rate / base:5.2f}x Starlette   "
                f"{rate / fast:5.2f}x FastAPI"
            )
        generated, included = figures["generated typed route"], figures["included router"]
        print(
            f"  by {label}: generated {generated / base:.2f}x Starlette (target >= 0.95), "
            f"{generated / fast:.2f}x FastAPI (>= 1.5); included router "
            f"{included / generated:.2f}x generated (>= 0.95), {included / fast:.2f}x "
            f"FastAPI (>= 2)"
        )
    pairs = (
        ("generated typed route", "hand-written Starlette", 0.95),
        ("generated typed route", "idiomatic FastAPI", 2.0),
        ("included router", "generated typed route", 0.95),
        ("included router", "idiomatic FastAPI", 2.0),
    )
    _record.write(
        json_path,
        "typed_route_bench",
        [
            _record.ratio(
                f"{num} / {den} (POST /v1/embeddings, in process)",
                walls[num],
                walls[den],
                baseline=den,
                target=_record.at_least(bound),
                note="by req per CPU-s: "
                f"{statistics.median(cpus[num]) / statistics.median(cpus[den]):.2f}x",
            )
            for num, den, bound in pairs
        ],
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--smoke", action="store_true", help="tiny counts: seconds, figures moot")
    _record.add_option(parser)
    args = parser.parse_args()
    if args.smoke:
        args.requests, args.rounds = 40, 1
    warmup = 8 if args.smoke else 200
    asyncio.run(main(args.requests, args.rounds, args.concurrency, warmup, args.json))
