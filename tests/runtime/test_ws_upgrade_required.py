"""A plain HTTP request on a WebSocket operation is 426, in the route's error format, with
both id headers: on an included router and on a worker's own app (which answered 404, as
if no such operation existed: schemathesis on the example chat worker)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from gmi_ieops.handler import HTTPMethod, RouterDef, RouterKind, Server, WebSocketSession
from gmi_ieops.typed import api_router


# never reached: the request is not a handshake
async def echo(session: WebSocketSession[Any, Any]) -> None:
    raise AssertionError("called")


async def hello(query: dict[str, Any]) -> dict[str, Any]:
    return {"hello": "http"}


def _app(where: str, route: RouterDef) -> Any:
    if where == "server":
        return Server(routers={"": [route]}, app_name="t").app
    app = FastAPI()
    app.include_router(api_router([route]))
    return app


@pytest.mark.parametrize("where", ["router", "server"])
@pytest.mark.parametrize("path", ["ws", "rooms/{room}/ws"])
@pytest.mark.parametrize("error_format", [None, "openai"])
async def test_plain_request_on_a_websocket_route_is_426_in_the_routes_format(
    error_format: str | None, path: str, where: str
) -> None:
    route = RouterDef(path=path, kind=RouterKind.WS, handler=echo, error_format=error_format)
    transport = httpx.ASGITransport(app=_app(where, route))
    url = "/" + path.replace("{room}", "r1")
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.get(url, headers={"X-Request-Id": "req-1"})
    assert response.status_code == 426
    assert response.headers["upgrade"] == "websocket"
    assert response.headers["x-request-id"] == "req-1"
    assert response.headers["x-trace-id"] == "req-1"  # a proxy's request id names the request
    body = response.json()
    if error_format == "openai":
        assert body["error"]["code"] == "upgrade_required", body
        assert "WebSocket" in body["error"]["message"]
    else:
        assert body["type"] == "upgrade_required" and body["trace_id"] == "req-1"


async def test_a_get_route_on_the_websocket_path_answers_plain_requests() -> None:
    socket = RouterDef(path="ws", kind=RouterKind.WS, handler=echo)
    get = RouterDef(path="ws", method=HTTPMethod.GET, handler=hello)
    app = Server(routers={"": [socket, get]}, app_name="t").app
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.get("/ws")
    assert response.status_code == 200 and response.json() == {"hello": "http"}
