"""The worker of ``bench/retry_bench.py``: one route whose handler takes ``BENCH_WORK_MS``.

A real worker (``Handler(server).serve()``: env config, the in-flight limit, 503 with
``Retry-After``), as started by the platform; it listens on ``MODEL_SERVER_SOCKET``.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

from gmi_ieops.handler import Handler, RouterDef, Server

WORK_S = float(os.environ.get("BENCH_WORK_MS", "20")) / 1000


async def work(query: dict[str, Any]) -> dict[str, Any]:
    await asyncio.sleep(WORK_S)  # a model busy for a while, without burning the bench's CPU
    return {"ok": True}


if __name__ == "__main__":
    Handler(server=Server(routers={"bench": [RouterDef(path="work", handler=work)]})).serve()
