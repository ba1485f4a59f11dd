"""The hand-written Starlette baseline of ``bench/runtime_bench.py``: ``POST /bench/echo``."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


async def echo(request: Request) -> Response:
    query = await request.json()
    prompt = query["prompt"]
    return JSONResponse(
        {"echo": prompt, "chars": len(prompt), "max_tokens": query["max_tokens"], "ok": True}
    )


app = Starlette(routes=[Route("/bench/echo", echo, methods=["POST"])])
