"""A plain HTTP request on a WebSocket operation of an included router is 426, in the
route's error format, with both id headers."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from gmi_ieops.handler import RouterDef, RouterKind, WebSocketSession
from gmi_ieops.typed import api_router


# never reached: the request is not a handshake
async def echo(session: WebSocketSession[Any, Any]) -> None:
    raise AssertionError("called")


@pytest.mark.parametrize("error_format", [None, "openai"])
async def test_plain_request_on_a_websocket_route_is_426_in_the_routes_format(
    error_format: str | None,
) -> None:
    app = FastAPI()
    route = RouterDef(path="ws", kind=RouterKind.WS, handler=echo, error_format=error_format)
    app.include_router(api_router([route]))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.get("/ws", headers={"X-Request-Id": "req-1"})
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
