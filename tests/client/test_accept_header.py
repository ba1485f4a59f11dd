"""Every call sends exactly one ``Accept``, the one its operation wants, whether the client
made its own httpx client (which sends ``Accept: application/json`` by default, so JSON
calls leave theirs out) or was given one."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from gmi_ieops.client import AsyncBaseClient, BaseClient
from pydantic import BaseModel


class Item(BaseModel):
    ok: bool


def _answer(seen: list[httpx.Request]) -> Callable[[httpx.Request], httpx.Response]:
    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.headers.get("accept") == "text/event-stream":
            body = b'data: {"ok": true}\n\ndata: [DONE]\n\n'
            return httpx.Response(200, content=body, headers={"content-type": "text/event-stream"})
        return httpx.Response(200, json={"ok": True})

    return handle


def test_sync_calls_send_one_accept_each() -> None:
    seen: list[httpx.Request] = []
    client = BaseClient("http://127.0.0.1:1")
    client._http._transport = httpx.MockTransport(_answer(seen))
    assert client._request("GET", "/x", response_model=Item) == Item(ok=True)
    assert client._request("GET", "/x", response_model=Item, headers={"Accept": "a/b"}).ok
    with client._stream("GET", "/s", event_model=Item) as events:
        assert [e.ok for e in events] == [True]
    assert client._download("GET", "/d", accept="image/png").read() == b'{"ok":true}'
    accepts = [r.headers.get_list("accept") for r in seen]
    assert accepts == [["application/json"], ["a/b"], ["text/event-stream"], ["image/png"]]
    client.close()


def test_a_given_http_client_keeps_its_defaults_and_json_calls_still_ask_for_json() -> None:
    seen: list[httpx.Request] = []
    http = httpx.Client(transport=httpx.MockTransport(_answer(seen)), headers={"X-Mine": "1"})
    client = BaseClient("http://127.0.0.1:1", http_client=http)
    assert client._request("POST", "/x", body={"a": 1}, response_model=Item).ok
    http.headers["Accept"] = "text/plain"  # changed after the client was made: still JSON
    assert client._request("GET", "/x", response_model=Item).ok
    assert [r.headers.get_list("accept") for r in seen] == [["application/json"]] * 2
    assert all(r.headers["x-mine"] == "1" for r in seen)
    http.close()


@pytest.mark.asyncio
async def test_async_json_calls_send_one_accept() -> None:
    seen: list[httpx.Request] = []
    client = AsyncBaseClient("http://127.0.0.1:1")
    client._http._transport = httpx.MockTransport(_answer(seen))
    assert (await client._request("GET", "/x", response_model=Item)).ok
    assert [r.headers.get_list("accept") for r in seen] == [["application/json"]]
    await client.aclose()
