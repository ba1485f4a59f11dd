"""The runtime's side of ``bench/runtime_bench.py``: one seed dict route, async and sync.

``app`` runs an ``async def`` handler on the event loop; ``sync_app`` runs a plain ``def``
handler in the runtime's thread pool. Both answer ``POST /bench/echo``.
"""

from __future__ import annotations

from typing import Any

from gmi_ieops.handler import RouterDef, Server


async def echo(query: dict[str, Any]) -> dict[str, Any]:
    prompt = query["prompt"]
    return {"echo": prompt, "chars": len(prompt), "max_tokens": query["max_tokens"], "ok": True}


def echo_sync(query: dict[str, Any]) -> dict[str, Any]:
    prompt = query["prompt"]
    return {"echo": prompt, "chars": len(prompt), "max_tokens": query["max_tokens"], "ok": True}


app = Server(routers={"bench": [RouterDef(path="echo", handler=echo)]}).app
sync_app = Server(routers={"bench": [RouterDef(path="echo", handler=echo_sync)]}).app
