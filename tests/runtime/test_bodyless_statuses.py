"""204, 205 and 304 carry no content (RFC 9110 §15.3.5, §15.3.6, §15.4.5), whatever the
handler returns: bytes written after such a status head are read by the client as the
start of the *next* response on the connection (found in the soak: letta and
huggingface-hub declare content on a 204, and ``{}`` leaked into the next status line)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from gmi_ieops.handler import HTTPMethod, RouterDef, Server
from pydantic import BaseModel


class Thing(BaseModel):
    name: str


async def typed(*, context: Any) -> Thing:
    return Thing(name="body that must not be sent")


async def untyped(query: dict[str, Any]) -> dict[str, Any]:
    return {"name": "body that must not be sent"}


@pytest.mark.parametrize("status", [204, 205, 304])
@pytest.mark.parametrize("typed_route", [True, False], ids=["typed", "untyped"])
async def test_a_bodyless_status_sends_no_body_whatever_the_handler_returns(
    status: int, typed_route: bool
) -> None:
    route = (
        RouterDef(path="x", handler=typed, response_model=Thing, status_code=status)
        if typed_route
        else RouterDef(path="x", handler=untyped, status_code=status)
    )
    ping = RouterDef(path="ping", handler=untyped, method=HTTPMethod.GET)
    app = Server(routers={"": [route, ping]}, app_name="t").app
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.post("/x")
        after = await client.get("/ping")
    assert response.status_code == status
    assert response.content == b""
    assert response.headers.get("content-length") in ((None,) if status != 205 else ("0",))
    assert "content-type" not in response.headers
    assert after.json() == {"name": "body that must not be sent"}
