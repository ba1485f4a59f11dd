"""Round trip: the committed ``generated/`` + the example implementations, served for real.

Each worker runs as its own process through the generated ``serve()`` on a real Unix
socket; requests go over that socket with httpx (HTTP, SSE) and websockets (WebSocket).
"""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
import websockets

from generated.chat.models import ChatFrame
from generated.images.models import DoneEvent, ImageJobEvent, ProgressEvent
from generated.openai.models import ChatCompletion, ChatCompletionChunk, CreateEmbeddingResponse
from tests.support.worker import WorkerProcess

from .conftest import ROOT


def _sse(text: str) -> list[str]:
    return [
        line[len("data: ") :]
        for frame in text.split("\n\n")
        for line in frame.splitlines()
        if line.startswith("data: ")
    ]


def test_worker_listens_on_a_unix_socket(openai_worker: WorkerProcess) -> None:
    assert openai_worker.socket_path is not None
    assert openai_worker.socket_path.endswith(".sock")


def test_json_routes_and_path_parameters(openai_worker: WorkerProcess) -> None:
    with openai_worker.client() as client:
        models = client.get("/v1/models")
        assert models.status_code == 200, models.text
        assert models.json()["data"][0]["id"] == "echo-1"
        one = client.get("/v1/models/echo-1")
        assert one.json() == {
            "id": "echo-1",
            "object": "model",
            "created": 0,
            "owned_by": "ieops",
        }
        embed = client.post(
            "/v1/embeddings", json={"model": "hash-embedder", "input": ["a b", "c"]}
        )
        assert embed.status_code == 200, embed.text
        parsed = CreateEmbeddingResponse.model_validate_json(embed.content)
        assert [d.index for d in parsed.data] == [0, 1]
        assert parsed.usage.total_tokens == 3
        assert client.get("/v1/models/my-model").status_code == 404


def test_bad_bodies_get_openais_400(openai_worker: WorkerProcess) -> None:
    # openai.yaml declares x-ieops-error-format: openai (400, {"error": {...}})
    with openai_worker.client() as client:
        missing = client.post("/v1/embeddings", json={"model": "e", "input": {"not": "text"}})
        assert missing.status_code == 400, missing.text
        error = missing.json()["error"]
        assert (error["code"], error["param"]) == ("validation_error", "input")
        constraint = client.post("/v1/embeddings", json={"model": "e", "input": ""})
        assert constraint.status_code == 400
        not_json = client.post(
            "/v1/embeddings", content=b"{nope", headers={"content-type": "application/json"}
        )
        assert not_json.status_code == 400  # not JSON at all: the runtime says bad request
        assert not_json.json()["error"]["code"] == "invalid_json"
        bad_temp = client.post(
            "/v1/chat/completions",
            json={
                "model": "echo-1",
                "messages": [{"role": "user", "content": "x"}],
                "temperature": 9,
            },
        )
        assert bad_temp.status_code == 400
        assert bad_temp.json()["error"]["param"] == "temperature"


def test_one_path_serves_json_and_sse(openai_worker: WorkerProcess) -> None:
    body = {"model": "echo-1", "messages": [{"role": "user", "content": "hello there"}]}
    with openai_worker.client() as client:
        plain = client.post("/v1/chat/completions", json=body)
        assert plain.status_code == 200, plain.text
        completion = ChatCompletion.model_validate_json(plain.content)
        assert completion.choices[0].message.content == "You said: hello there"
        for extra, headers in (({"stream": True}, {}), ({}, {"accept": "text/event-stream"})):
            streamed = client.post("/v1/chat/completions", json={**body, **extra}, headers=headers)
            assert streamed.headers["content-type"].startswith("text/event-stream")
            frames = _sse(streamed.text)
            assert frames[-1] == "[DONE]"
            chunks = [ChatCompletionChunk.model_validate_json(f) for f in frames[:-1]]
            text = "".join(c.choices[0].delta.content or "" for c in chunks)
            assert text == "You said: hello there"


def test_typed_sse_with_header_parameter(chat_worker: WorkerProcess) -> None:
    body = {"messages": [{"role": "user", "content": "hey"}]}
    with chat_worker.client() as client:
        response = client.post("/chat/stream", json=body, headers={"X-Session-Id": "s1"})
        assert response.status_code == 200, response.text
        frames = _sse(response.text)
        assert frames[-1] == "[DONE]"
        parsed = [ChatFrame.model_validate_json(f) for f in frames[:-1]]
        assert "".join(r.content for f in parsed for r in f.results or []) == "hey"
        assert parsed[-1].stopped is True
        too_long = client.post("/chat/stream", json=body, headers={"X-Session-Id": "x" * 200})
        assert too_long.status_code == 422


async def test_typed_websocket(chat_worker: WorkerProcess) -> None:
    assert chat_worker.socket_path is not None
    async with websockets.unix_connect(
        chat_worker.socket_path, "ws://worker/chat/ws?lang=zh"
    ) as ws:
        await ws.send(json.dumps({"messages": [{"role": "user", "content": "ok"}]}))
        frames = []
        while True:
            frame = ChatFrame.model_validate_json(await asyncio.wait_for(ws.recv(), 10))
            frames.append(frame)
            if frame.stopped:
                break
        assert "".join(r.content for f in frames for r in f.results or []) == "你说: ok"
        await ws.send(json.dumps({"messages": []}))
        error = json.loads(await asyncio.wait_for(ws.recv(), 10))
        assert error["error"]["type"] == "validation_error"


def test_sse_progress_events_are_a_discriminated_union(images_worker: WorkerProcess) -> None:
    with images_worker.client() as client:
        created = client.post("/v1/images/jobs", json={"prompt": "a cat", "steps": 3, "n": 2})
        assert created.status_code == 202, created.text
        job_id = created.json()["id"]
        events = client.get(f"/v1/images/jobs/{job_id}/events")
        frames = _sse(events.text)
        assert frames[-1] == "[DONE]"
        parsed = [ImageJobEvent.model_validate_json(f).root for f in frames[:-1]]
        assert [type(e) for e in parsed] == [ProgressEvent] * 3 + [DoneEvent]
        done = parsed[-1]
        assert isinstance(done, DoneEvent) and len(done.images) == 2
        assert client.get(f"/v1/images/jobs/{job_id}").json()["status"] == "succeeded"
        assert client.get("/v1/images/jobs/job-999").status_code == 404
        assert client.get("/v1/images/jobs/NOT_A_JOB").status_code == 422
        bad = client.post("/v1/images/jobs", json={"prompt": "x", "size": "9x9"})
        assert bad.status_code == 422


def test_openapi_is_the_bundled_document(openai_worker: WorkerProcess) -> None:
    with openai_worker.client() as client:
        served = client.get("/openapi.json").json()
    bundled = json.loads((ROOT / "generated" / "openai" / "openapi.json").read_text())
    assert served == bundled
    # the relative $refs to common/*.json|yaml were copied into components
    assert "Error" in served["components"]["schemas"]
    assert "Error" in served["components"]["schemas"]


def test_incomplete_implementation_is_refused() -> None:
    from generated.chat.routes import create_app, missing_operations
    from generated.chat.service import NativeChatService

    class Partial(NativeChatService):  # lacks chat_socket and chat_stream
        async def chat_complete(self, **kwargs: object) -> None: ...  # type: ignore[override]

    with pytest.raises(TypeError, match="chat_socket"):
        Partial()  # type: ignore[abstract]

    class Duck:
        async def chat_complete(self) -> None: ...

    assert missing_operations(Duck()) == [
        "chat_stream (POST /chat/stream)",
        "chat_socket (GET /chat/ws)",
    ]
    with pytest.raises(
        TypeError, match=r"Duck does not implement NativeChatService: add chat_stream"
    ):
        create_app(Duck())  # type: ignore[arg-type]


def test_httpx_transport_sanity(openai_worker: WorkerProcess) -> None:
    # the socket really is a Unix socket answered by the worker (not a TCP fallback)
    assert openai_worker.url is None
    with httpx.Client(transport=httpx.HTTPTransport(uds=openai_worker.socket_path)) as client:
        assert client.get("http://w/health").status_code == 200
