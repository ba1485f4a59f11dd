"""An operation declared for ``HEAD`` is served by its own handler, not the ``GET`` one.

Starlette answers ``HEAD`` on every ``GET`` route; invokeai declares ``HEAD`` beside
``GET`` on ``/api/v1/images/i/{image_name}/full`` (and on videos), and the server sent
those requests to the ``GET`` handler (the first route that matched). An explicit ``HEAD``
route wins on that path; a ``GET`` without one still answers ``HEAD``. Checked on the fast
table and on Starlette's routes (behind user middleware), for static and templated paths,
in either declaration order.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from gmi_ieops.handler import HTTPMethod, RouterDef, Server
from starlette.middleware.base import BaseHTTPMiddleware


def _handler(name: str, calls: list[str]) -> Any:
    async def handler(query: dict[str, Any]) -> dict[str, Any]:
        calls.append(name)
        return {"by": name}

    return handler


async def _send(app: Any, method: str, url: str) -> int:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        return (await client.request(method, url)).status_code


@pytest.mark.parametrize("path", ["items/full", "items/{name}/full"])
@pytest.mark.parametrize("head_first", [False, True])
@pytest.mark.parametrize("middleware", [False, True])
def test_an_explicit_head_route_takes_head(path: str, head_first: bool, middleware: bool) -> None:
    calls: list[str] = []
    get = RouterDef(path=path, handler=_handler("get", calls), method=HTTPMethod.GET)
    head = RouterDef(path=path, handler=_handler("head", calls), method=HTTPMethod.HEAD)
    server = Server(routers={"": [head, get] if head_first else [get, head]})
    app = server.app
    if middleware:  # the slow path: Starlette's router
        app.add_middleware(BaseHTTPMiddleware, dispatch=lambda r, call_next: call_next(r))
    url = "/" + path.replace("{name}", "x")
    assert asyncio.run(_send(app, "HEAD", url)) == 200
    assert asyncio.run(_send(app, "GET", url)) == 200
    assert calls == ["head", "get"]


@pytest.mark.parametrize("path", ["items/full", "items/{name}/full"])
def test_a_get_route_alone_still_answers_head(path: str) -> None:
    calls: list[str] = []
    get = RouterDef(path=path, handler=_handler("get", calls), method=HTTPMethod.GET)
    app = Server(routers={"": [get]}).app
    assert asyncio.run(_send(app, "HEAD", "/" + path.replace("{name}", "x"))) == 200
    assert calls == ["get"]
