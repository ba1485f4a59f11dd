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
from .roundtrip import roundtrip
from .serving import serving

# The first test to use ``built`` pays for the whole build stage (~2 min on a quiet 2-core
# machine, more under load): the default 120 s would cut it.
pytestmark = [pytest.mark.conformance, pytest.mark.timeout(900)]


def _built(built: dict[str, Built], rel: str) -> Built:
    """The built wire document, or a skip when ``CONFORMANCE_ONLY`` left it out."""
    if rel not in built:
        pytest.skip(f"{rel} is not under CONFORMANCE_ONLY")
    return built[rel]


def _app(b: Built, planner: Planner, kinds: dict[str, str]) -> Any:
    service = b.result.services[0]
    mods = {k.split(".", 1)[1]: v for k, v in b.modules.items()}
    cls = getattr(mods["service"], service.class_name)
    return mods["routes"].create_app(build(cls, kinds, planner))


async def test_websocket_bad_parameter_is_an_error_envelope(built: dict[str, Built]) -> None:
    b = _built(built, "wire/websocket.yaml")
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
    b = _built(built, "wire/nocontent.yaml")
    planner = Planner()
    planner.plan("delete_item", None)
    planner.plan("ping", None)
    planner.plan("touch_item", None)
    with tempfile.TemporaryDirectory() as tmp:
        sock = Path(tmp) / "s.sock"
        kinds = {"delete_item": "api", "ping": "api", "touch_item": "api"}
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
            touched = client.put("/items/x/touch")  # content declared on its 204: none sent
            assert touched.status_code == 204 and touched.content == b""
            assert client.get("/health").status_code == 200  # same connection still good


class _Recorder:
    """The request headers and body bytes each HTTP request brought (before the app).

    An entry is made when the request arrives and filled as the app reads the body, so it
    is there by the time the client has its response (the server runs in another thread:
    appending after the app returned raced the client's check)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.requests: list[tuple[dict[bytes, bytes], list[bytes]]] = []

    def last(self) -> tuple[dict[bytes, bytes], bytes]:
        headers, chunks = self.requests[-1]
        return headers, b"".join(chunks)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        self.requests.append((dict(scope["headers"]), chunks))

        async def recording() -> Any:
            message = await receive()
            chunks.append(message.get("body", b""))
            return message

        await self.app(scope, recording, send)


def test_urlencoded_bodies_on_the_wire(built: dict[str, Built]) -> None:
    b = _built(built, "wire/forms.yaml")
    models = b.modules["forms.models"]
    planner = Planner()
    kinds = {"login": "api", "put_settings": "api", "get_video_content": "api"}
    app = _Recorder(_app(b, planner, kinds))
    planner.plan("login", models.Session(token="t"))
    planner.plan("put_settings", None)
    with tempfile.TemporaryDirectory() as tmp:
        sock = Path(tmp) / "s.sock"
        with serving(app, uds=sock), b.modules["forms.client"].Client(f"unix://{sock}") as client:
            session = client.login(
                username="Jürgen X&Y",
                remember=True,
                scopes=["a", "b"],
                meta=models.Meta(tags=["x"]),
                ids=[1, 2],
                filter=models.Filter(color="red"),
            )
            assert session == models.Session(token="t")
            headers, body = app.last()
            assert headers[b"content-type"] == b"application/x-www-form-urlencoded"
            assert body == (
                b"username=J%C3%BCrgen+X%26Y&remember=true&scopes=a&scopes=b"
                b"&meta=%7B%22tags%22%3A+%5B%22x%22%5D%7D&ids=1%2C2&filter%5Bcolor%5D=red"
            )
            (call,) = planner.take()
            assert call.kwargs["body"] == models.LoginRequest(
                username="Jürgen X&Y",
                remember=True,
                scopes=["a", "b"],
                meta=models.Meta(tags=["x"]),
                ids=[1, 2],
                filter=models.Filter(color="red"),
            )
            # JSON and a form for one schema: the client sends JSON, the server takes both
            settings = models.Settings(theme=models.Theme.dark, languages=["en", "de"])
            client.put_settings(settings, user="u")
            assert app.last()[0][b"content-type"] == b"application/json"
            with httpx.Client(
                transport=httpx.HTTPTransport(uds=str(sock)), base_url="http://w"
            ) as raw:
                r = raw.put("/settings/u", data={"theme": "dark", "languages": ["en", "de"]})
                assert r.status_code == 204, r.text
                r = raw.put(
                    "/settings/u", content=b"theme=dark", headers={"content-type": "text/csv"}
                )
                assert r.status_code == 415 and r.json()["type"] == "unsupported_media_type"
            assert [c.kwargs["body"] for c in planner.take()] == [settings, settings]


def test_json_or_binary_response_by_accept(built: dict[str, Built]) -> None:
    b = _built(built, "wire/forms.yaml")
    models = b.modules["forms.models"]
    planner = Planner()
    kinds = {"login": "api", "put_settings": "api", "get_video_content": "api"}
    app = _Recorder(_app(b, planner, kinds))
    video = models.Video(id="v", status=models.Status.ready)
    with tempfile.TemporaryDirectory() as tmp:
        sock = Path(tmp) / "s.sock"
        with serving(app, uds=sock), b.modules["forms.client"].Client(f"unix://{sock}") as client:
            planner.plan("get_video_content", video)
            assert client.get_video_content(id="v") == video
            assert app.last()[0][b"accept"] == b"application/json"
            planner.plan("get_video_content", b"MP4DATA")
            with client.get_video_content_download(id="v") as stream:
                assert stream.content_type == "video/mp4"
                assert stream.read() == b"MP4DATA"
            assert app.last()[0][b"accept"] == b"video/mp4"
            # a result the request's Accept does not allow is a 406 envelope, not a guess
            planner.plan("get_video_content", b"MP4DATA")
            with pytest.raises(Exception) as info:
                client.get_video_content(id="v")
            assert getattr(info.value, "status", None) == 406
            assert getattr(info.value, "type", None) == "not_acceptable"


def test_optional_bodies_are_drawn_present_and_absent(built: dict[str, Built]) -> None:
    """The harness's draws for ``requestBody.required: false`` include leaving it out."""
    report = roundtrip(_built(built, "wire/optbody.yaml"))
    assert report.mismatches == []
    optional = [o for o in report.ops if o.label in ("POST /jobs/{job_id}/cancel", "POST /ping")]
    assert optional and all(0 < o.no_body < o.cases for o in optional), [
        (o.label, o.form, o.cases, o.no_body, o.skipped) for o in optional
    ]
    required = [o for o in report.ops if o.label.endswith(" /notes")]
    assert required and all(o.no_body == 0 and o.cases for o in required)


def test_runtime_errors_are_written_in_the_declared_bodies(built: dict[str, Built]) -> None:
    """``wire/errors.yaml``: each operation declares its error body in one of the corpus'
    styles; the runtime's own 422 and 400 are written in it where it is declared for their
    status, else in the runtime's envelope."""
    b = _built(built, "wire/errors.yaml")
    names = ("generate", "generate_stream", "add_pet", "create_index", "create_thread")
    kinds = {name: "api" for name in (*names, "add_item")} | {"generate_stream": "sse"}
    with tempfile.TemporaryDirectory() as tmp:
        sock = Path(tmp) / "s.sock"
        with (
            serving(_app(b, Planner(), kinds), uds=sock),
            httpx.Client(
                transport=httpx.HTTPTransport(uds=str(sock)), base_url="http://w"
            ) as client,
        ):

            def error(path: str, body: Any, status: int) -> Any:
                answer = client.post(path, json=body)
                assert answer.status_code == status, (path, answer.text)
                return answer.json()

            for path in ("/generate", "/generate_stream"):  # TGI's, its enum spelled
                tgi = error(path, {}, 422)
                assert set(tgi) == {"error", "error_type"} and tgi["error_type"] == "validation"
                assert "inputs" in tgi["error"]
            pet = error("/pets", {"tag": "x"}, 422)  # a petstore's `default`
            assert set(pet) == {"code", "message"} and pet["code"] == 422
            index = error("/indexes", {"dimension": 0}, 422)  # Pinecone's, under 4XX
            assert set(index) == {"status", "error"} and index["status"] == 422
            assert index["error"]["code"] == "UNKNOWN" and index["error"]["message"]
            message = error("/threads", {"metadata": 5}, 422)  # LangGraph's bare string
            assert isinstance(message, str) and "metadata" in message
            fastapi = error("/items", {}, 422)  # the envelope fits FastAPI's: kept
            assert fastapi["type"] == "validation_error" and fastapi["details"]
            malformed = client.post(
                "/generate", content=b"{", headers={"content-type": "application/json"}
            )  # 400 is not declared there: the envelope
            assert malformed.status_code == 400 and malformed.json()["type"] == "invalid_json"
