"""A small Starlette app speaking the worker wire formats of DESIGN §3.2 (a test stand-in)."""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any

import anyio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

# Shared with the tests (the server runs in a thread of the test process).
hits: defaultdict[str, int] = defaultdict(int)
stream_ends: dict[str, str] = {}


def trace_id(request: Request | WebSocket) -> str:
    return request.headers.get("x-trace-id") or uuid.uuid4().hex


def reply(request: Request, data: Any, status: int = 200, **headers: str) -> JSONResponse:
    return JSONResponse(data, status, headers={"X-Trace-Id": trace_id(request), **headers})


def error(request: Request, status: int, type_: str, message: str, **extra: Any) -> JSONResponse:
    tid = trace_id(request)
    body = {"message": message, "type": type_, "trace_id": tid, **extra}
    headers = {k.replace("_", "-"): v for k, v in extra.pop("headers", {}).items()}
    body.pop("headers", None)
    return JSONResponse(body, status, headers={"X-Trace-Id": tid, **headers})


async def health(request: Request) -> Response:
    return PlainTextResponse("ok")


async def echo(request: Request) -> Response:
    raw = await request.body()
    return reply(
        request,
        {
            "name": request.path_params["name"],
            "query": [[k, v] for k, v in request.query_params.multi_items()],
            "body": json.loads(raw) if raw else None,
            "raw_body": raw.decode(),
            "trace_id": trace_id(request),
            "accept": request.headers.get("accept"),
            "x_custom": request.headers.get("x-custom"),
        },
    )


async def item(request: Request) -> Response:
    item_id = request.path_params["item_id"]
    if item_id == "missing":
        return error(request, 404, "not_found", f"no item {item_id}")
    if item_id == "wrong-shape":
        return reply(request, {"unexpected": True})
    if item_id == "not-json":
        return PlainTextResponse("upstream broke", 502, headers={"X-Trace-Id": trace_id(request)})
    return reply(request, {"id": item_id, "price": 1.5})


async def validate(request: Request) -> Response:
    details = [{"loc": ["body", "prompt"], "msg": "Field required", "type": "missing"}]
    return error(request, 422, "validation_error", "invalid request", details=details)


async def flaky(request: Request) -> Response:
    key = request.query_params["key"]
    hits[key] += 1
    if hits[key] <= int(request.query_params.get("fails", "1")):
        retry_after = request.query_params.get("retry_after", "0.3")
        status = int(request.query_params.get("status", "503"))
        kind = "overloaded" if status == 503 else "rate_limited"
        return error(request, status, kind, "busy", headers={"Retry-After": retry_after})
    return reply(request, {"attempts": hits[key]})


async def boom(request: Request) -> Response:
    key = request.query_params["key"]
    hits[key] += 1
    return error(request, 500, "internal_error", "handler failed")


async def hang(request: Request) -> Response:
    """Never answers; ends when the client goes away."""
    key = request.query_params["key"]
    hits[key] += 1
    while not await request.is_disconnected():
        await anyio.sleep(0.02)
    return Response(status_code=204)


def sse(data: Any) -> bytes:
    return f"data: {json.dumps(data, ensure_ascii=False)}\n\n".encode()


async def stream(request: Request) -> Response:
    q = request.query_params
    n = int(q.get("n", "3"))
    if n < 0:
        return error(request, 422, "validation_error", "n must be >= 0", details=[])
    key = q.get("key", "")
    busy = q.get("busy")
    if busy:  # the first try is refused as overloaded, before any event
        hits[busy] += 1
        if hits[busy] == 1:
            return error(request, 503, "overloaded", "busy", headers={"Retry-After": "0.05"})
    delay = float(q.get("delay", "0"))
    fail_at = int(q.get("fail_at", "-1"))
    tid = trace_id(request)
    mode = q.get("mode", "")

    async def frames() -> AsyncIterator[bytes]:
        outcome = "cancelled"
        try:
            for i in range(n):
                if i == fail_at:
                    err = {"message": "model crashed", "type": "internal_error", "trace_id": tid}
                    yield f"event: error\ndata: {json.dumps(err)}\n\n".encode()
                    outcome = "error"
                    return
                frame = sse({"index": i, "text": f"tok{i} héllo 😀"})
                if mode == "split":  # every byte its own write: splits frames and characters
                    for b in range(len(frame)):
                        yield frame[b : b + 1]
                        await anyio.sleep(0.001)  # so the writes reach the client apart
                else:
                    yield frame
                if delay:
                    await anyio.sleep(delay)
            if mode == "pings":  # keep the connection alive, send no event
                while True:
                    yield b": ping\n\n"
                    await anyio.sleep(0.05)
            if mode == "silent":
                await anyio.sleep(30)
            if mode != "truncated":
                yield b"data: [DONE]\n\n"
            outcome = "completed"
        finally:
            if key:
                stream_ends[key] = outcome

    return StreamingResponse(frames(), media_type="text/event-stream", headers={"X-Trace-Id": tid})


async def ws_echo(websocket: WebSocket) -> None:
    tid = trace_id(websocket)
    busy = websocket.query_params.get("busy")
    if busy:  # refuse the first handshake as overloaded
        hits[busy] += 1
        if hits[busy] == 1:
            body = {"message": "busy", "type": "overloaded", "trace_id": tid}
            headers = {"Retry-After": "0.05", "X-Trace-Id": tid}
            await websocket.send_denial_response(JSONResponse(body, 503, headers=headers))
            return
    await websocket.accept(headers=[(b"x-trace-id", tid.encode())])
    n = 0
    try:
        while True:
            text = await websocket.receive_text()
            msg = json.loads(text)
            if msg.get("text") == "bad":
                err = {"message": "text may not be 'bad'", "type": "validation_error"}
                await websocket.send_text(json.dumps({"error": {**err, "trace_id": tid}}))
                continue
            if msg.get("text") == "close":
                await websocket.close(1000)
                return
            if msg.get("text") == "abort":
                await websocket.close(1011, "handler failed")
                return
            n += 1
            await websocket.send_text(json.dumps({"echo": msg.get("text"), "n": n}))
    except WebSocketDisconnect:
        pass


def make_app() -> Starlette:
    return Starlette(
        routes=[
            Route("/health", health),
            Route("/v1/echo/{name}", echo, methods=["GET", "POST"]),
            Route("/v1/items/{item_id}", item),
            Route("/v1/validate", validate, methods=["POST"]),
            Route("/v1/flaky", flaky, methods=["POST"]),
            Route("/v1/boom", boom, methods=["POST"]),
            Route("/v1/hang", hang, methods=["POST"]),
            Route("/v1/stream", stream, methods=["POST"]),
            WebSocketRoute("/v1/ws", ws_echo),
        ]
    )
