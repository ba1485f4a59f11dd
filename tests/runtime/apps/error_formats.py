"""Every way a route can fail, in the error format named by ``ERROR_FORMAT`` (``ieops`` or
``openai``), set for the whole server with ``RouterConfig(error_format=...)``.

``/v1/chat/completions`` streams one chat chunk and then fails, so the official ``openai``
clients can be pointed at it.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from typing import Any

from fastapi import HTTPException
from gmi_ieops.handler import Handler, RouterConfig, RouterDef, RouterKind, Server
from pydantic import BaseModel


class Ask(BaseModel):
    prompt: str
    n: int = 1


class Answer(BaseModel):
    text: str


async def typed(*, body: Ask) -> Answer:
    return Answer(text=body.prompt * body.n)


async def boom(query: dict[str, Any]) -> dict[str, Any]:
    raise RuntimeError("secret internal detail")


async def missing(query: dict[str, Any]) -> dict[str, Any]:
    raise HTTPException(404, f"no such thing: {query.get('name', '?')}")


async def slow(query: dict[str, Any]) -> dict[str, Any]:
    await asyncio.sleep(5)
    return {}


async def failing_stream(query: dict[str, Any]) -> AsyncIterator[dict[str, Any]]:
    yield {"token": "first"}
    raise RuntimeError("secret internal detail")


async def slow_stream(query: dict[str, Any]) -> AsyncIterator[dict[str, Any]]:
    yield {"token": "first"}
    await asyncio.sleep(5)
    yield {"token": "never"}


async def chat(query: dict[str, Any]) -> AsyncIterator[dict[str, Any]]:
    yield {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": query.get("model", "m"),
        "choices": [{"index": 0, "delta": {"role": "assistant", "content": "Hi"}}],
    }
    await asyncio.sleep(0.05)
    raise RuntimeError("the model fell over")


class Say(BaseModel):
    text: str


async def echo_ws(*, session: Any) -> None:
    async for message in session:
        if message.text == "fail":
            raise RuntimeError("secret internal detail")
        await session.send(Say(text=message.text))


server = Server(
    routers={
        "": [
            RouterDef("/typed", typed, request_model=Ask, response_model=Answer),
            RouterDef("/boom", boom),
            # a route's own format wins over the server's
            RouterDef("/boom-ieops", boom, error_format="ieops"),
            RouterDef("/boom-openai", boom, error_format="openai"),
            RouterDef("/missing", missing),
            RouterDef("/slow", slow, timeout=0.2),
            RouterDef("/stream", failing_stream, kind=RouterKind.SSE),
            RouterDef("/slow-stream", slow_stream, kind=RouterKind.SSE, timeout=0.3),
            RouterDef("/v1/chat/completions", chat, kind=RouterKind.SSE),
            RouterDef("/ws", echo_ws, kind=RouterKind.WS, ws_receive_model=Say, ws_send_model=Say),
        ]
    },
    router_config=RouterConfig(error_format=os.environ.get("ERROR_FORMAT", "ieops")),
)

if __name__ == "__main__":
    Handler(server=server).serve()
