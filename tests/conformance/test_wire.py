"""Wire classes the sweep cannot see from the clients alone: raw handshakes and raw bodies.

The wire-class documents (``tests/conformance/specs``) are also swept by ``test_corpus``;
these tests look at the bytes a plain HTTP/WebSocket client gets.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets

from .corpus import Built
from .generic import Planner, build
from .serving import serving

# The first test to use ``built`` pays for the whole build stage (~2 min on a quiet 2-core
# machine, more under load): the default 120 s would cut it.
pytestmark = [pytest.mark.conformance, pytest.mark.timeout(900)]


def _app(b: Built, planner: Planner, kinds: dict[str, str]) -> Any:
    service = b.result.services[0]
    mods = {k.split(".", 1)[1]: v for k, v in b.modules.items()}
    cls = getattr(mods["service"], service.class_name)
    return mods["routes"].create_app(build(cls, kinds, planner))


async def test_websocket_bad_parameter_is_an_error_envelope(built: dict[str, Built]) -> None:
    b = built["wire/websocket.yaml"]
    planner = Planner()
    with tempfile.TemporaryDirectory() as tmp:
        sock = Path(tmp) / "s.sock"
        with serving(_app(b, planner, {"join": "ws"}), uds=sock):
            for url in ("ws://w/rooms/abc/ws", "ws://w/rooms/1/ws?n=11"):
                with pytest.raises(websockets.InvalidStatus) as info:
                    async with websockets.unix_connect(str(sock), url):
                        pass
                response = info.value.response
                assert response.status_code == 422, response.status_code
                envelope = json.loads(response.body)
                assert envelope["type"] == "validation_error"
                assert envelope["trace_id"]


def test_no_content_has_no_body(built: dict[str, Built]) -> None:
    b = built["wire/nocontent.yaml"]
    planner = Planner()
    planner.plan("delete_item", None)
    planner.plan("ping", None)
    with tempfile.TemporaryDirectory() as tmp:
        sock = Path(tmp) / "s.sock"
        kinds = {"delete_item": "api", "ping": "api"}
        with (
            serving(_app(b, planner, kinds), uds=sock),
            httpx.Client(
                transport=httpx.HTTPTransport(uds=str(sock)), base_url="http://w"
            ) as client,
        ):
            deleted = client.delete("/items/x")
            assert deleted.status_code == 204
            assert deleted.content == b"" and "content-length" not in deleted.headers
            pinged = client.post("/ping", json={})
            assert pinged.status_code == 200
            assert pinged.content == b"" and pinged.headers["content-length"] == "0"
            assert "content-type" not in pinged.headers
            assert client.get("/health").status_code == 200  # same connection still good
