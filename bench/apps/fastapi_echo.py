"""The idiomatic FastAPI baseline of ``bench/runtime_bench.py``: ``POST /bench/echo``.

A pydantic body model in, a dict out (FastAPI encodes it). ``app`` is ``async def``;
``sync_app`` is a plain ``def`` endpoint, which FastAPI runs in its thread pool.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel


class Query(BaseModel):
    prompt: str
    max_tokens: int = 16
    temperature: float = 1.0
    stream: bool = False


app = FastAPI()
sync_app = FastAPI()


@app.post("/bench/echo")
async def echo(query: Query) -> dict[str, Any]:
    prompt = query.prompt
    return {"echo": prompt, "chars": len(prompt), "max_tokens": query.max_tokens, "ok": True}


@sync_app.post("/bench/echo")
def echo_sync(query: Query) -> dict[str, Any]:
    prompt = query.prompt
    return {"echo": prompt, "chars": len(prompt), "max_tokens": query.max_tokens, "ok": True}
