"""Generated routers inside a user's own FastAPI app, served by uvicorn on a Unix socket.

The app has its own route with a dependency and includes ``router(service)`` of three
generated services (one under a prefix). Every operation kind (JSON, SSE, JSON-or-SSE,
WebSocket) answers through it, called with the generated clients; the app's own
``/openapi.json`` holds the user's route and the spec's operations. A worker app mounted
under a prefix runs its startup hook and documents its prefixed paths.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import httpx
import pytest
import uvicorn
from fastapi import Depends, FastAPI, Header, HTTPException
from gmi_ieops.typed import load_openapi
from websockets.exceptions import InvalidStatus
from websockets.sync.client import unix_connect

from generated.chat import routes as chat_routes
from generated.chat.client import Client as ChatClient
from generated.chat.models import ChatRequest, Lang
from generated.images import routes as images_routes
from generated.openai import routes as openai_routes
from generated.openai.client import Client as OpenaiClient
from generated.openai.models import CreateChatCompletionRequest, CreateEmbeddingRequest

from .app import ChatTestService, ImagesTestService, OpenaiTestService


def _user(x_user: Annotated[str | None, Header()] = None) -> str:
    if x_user is None:
        raise HTTPException(401, "who are you?")
    return x_user


def user_app() -> FastAPI:
    app = FastAPI(title="user app")

    @app.get("/me")
    async def me(user: Annotated[str, Depends(_user)]) -> dict[str, str]:
        """The user's own route, with a dependency."""
        return {"user": user}

    app.include_router(openai_routes.router(OpenaiTestService()))
    app.include_router(chat_routes.router(ChatTestService()))
    app.include_router(images_routes.router(ImagesTestService()), prefix="/api")
    # The same router with the user's dependency on it: the dependency runs first.
    guarded = images_routes.router(ImagesTestService())
    app.include_router(
        guarded, prefix="/guarded", dependencies=[Depends(_user)], include_in_schema=False
    )
    app.include_router(  # a WebSocket operation behind the user's dependency
        chat_routes.router(ChatTestService()),
        prefix="/guarded",
        dependencies=[Depends(_user)],
        include_in_schema=False,
    )
    return app


class _Uvicorn:
    """uvicorn serving ``app`` on a Unix socket in a thread, lifespan on."""

    def __init__(self, app: Any, path: Path) -> None:
        config = uvicorn.Config(app, uds=str(path), lifespan="on", log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.path = path

    def __enter__(self) -> _Uvicorn:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise AssertionError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)

    def http(self) -> httpx.Client:
        transport = httpx.HTTPTransport(uds=str(self.path))
        return httpx.Client(transport=transport, base_url="http://worker", timeout=10)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_Uvicorn]:
    path = tmp_path_factory.mktemp("include") / "app.sock"
    with _Uvicorn(user_app(), path) as server:
        yield server


def test_user_route_and_dependency(served: _Uvicorn) -> None:
    with served.http() as http:
        assert http.get("/me", headers={"x-user": "ada"}).json() == {"user": "ada"}
        assert http.get("/me").status_code == 401


def test_json_and_json_or_sse_operations(served: _Uvicorn) -> None:
    with OpenaiClient(f"unix://{served.path}") as client:
        assert [m.id for m in client.list_models().data] == ["echo"]
        assert client.retrieve_model(model="org%2Fm").id == "org%2Fm"
        request = CreateEmbeddingRequest.model_validate({"model": "echo", "input": ["ab", "c"]})
        reply = client.create_embedding(request)
        assert [item.embedding for item in reply.data] == [[2.0], [1.0]]
        chat = CreateChatCompletionRequest.model_validate(
            {"model": "echo", "messages": [{"role": "user", "content": "hello there"}]}
        )
        assert client.create_chat_completion(chat).choices[0].message.content == "hello there"
        with client.create_chat_completion_stream(chat) as stream:
            words = [chunk.choices[0].delta.content for chunk in stream]
        assert words == ["hello", "there"]


def test_sse_and_websocket_operations(served: _Uvicorn) -> None:
    request = ChatRequest.model_validate({"messages": [{"role": "user", "content": "hi"}]})
    with ChatClient(f"unix://{served.path}") as client:
        assert client.chat_complete(request).message == "hi"
        with client.chat_stream(request, x_session_id="s1") as stream:
            frames = list(stream)
        text = "".join(r.content for f in frames for r in (f.results or []))
        assert text == "[s1] hi" and frames[-1].stopped
        with client.chat_socket(lang=Lang.en) as session:
            session.send(request)
            frame = session.receive(timeout=5)
        assert frame.results is not None and frame.results[0].content == "en: hi"


def test_runtime_errors_and_trace_ids(served: _Uvicorn) -> None:
    with served.http() as http:
        bad = http.post("/v1/embeddings", json={"input": "x"}, headers={"x-trace-id": "t-1"})
        # openai.yaml declares OpenAI's error format: 400 and {"error": {...}}
        assert bad.status_code == 400 and bad.headers["x-trace-id"] == "t-1"
        assert bad.json()["error"]["code"] == "validation_error"
        assert bad.json()["error"]["param"] == "model"
        assert http.get("/v1/embeddings").status_code == 405
        plain = http.get("/chat/ws", headers={"x-trace-id": "t-2"})
        assert plain.status_code == 426 and plain.json()["type"] == "upgrade_required"
        assert plain.json()["trace_id"] == "t-2"


def test_prefixed_router_and_its_dependency(served: _Uvicorn) -> None:
    body = {"prompt": "a cat", "steps": 2}
    with served.http() as http:
        job = http.post("/api/v1/images/jobs", json=body)
        assert job.status_code == 202, job.text
        got = http.get(f"/api/v1/images/jobs/{job.json()['id']}")
        assert got.json()["id"] == job.json()["id"]
        with http.stream("GET", f"/api/v1/images/jobs/{job.json()['id']}/events") as events:
            lines = [line for line in events.iter_lines() if line.startswith("data: ")]
        assert lines[-1] == "data: [DONE]" and len(lines) == 4
        assert http.post("/guarded/v1/images/jobs", json=body).status_code == 401
        guarded = http.post("/guarded/v1/images/jobs", json=body, headers={"x-user": "ada"})
        assert guarded.status_code == 202 and "x-trace-id" in guarded.headers


def test_include_level_dependencies_guard_websocket_operations(served: _Uvicorn) -> None:
    uri = "ws://worker/guarded/chat/ws?lang=en"
    with pytest.raises(InvalidStatus) as refused, unix_connect(str(served.path), uri):
        pass
    assert refused.value.response.status_code == 401
    request = {"messages": [{"role": "user", "content": "hi"}]}
    with unix_connect(
        str(served.path), uri, additional_headers={"x-user": "ada"}, open_timeout=5
    ) as socket:
        socket.send(json.dumps(request))
        frame = json.loads(socket.recv(timeout=5))
    assert frame["results"][0]["content"] == "en: hi"


def test_openapi_holds_the_user_route_and_the_spec_operations(served: _Uvicorn) -> None:
    with served.http() as http:
        document = http.get("/openapi.json").json()
    paths = document["paths"]
    assert "/me" in paths
    for path in ("/v1/embeddings", "/v1/chat/completions", "/chat/stream", "/api/v1/images/jobs"):
        assert path in paths, path
    spec = load_openapi(openai_routes.OPENAPI_PATH)
    ours = paths["/v1/embeddings"]["post"]
    theirs = spec["paths"]["/v1/embeddings"]["post"]
    assert ours["operationId"] == theirs["operationId"]
    assert ours.get("description") == theirs.get("description")
    # The spec's schema, inlined (the app's document has no place for our components).
    schema = ours["requestBody"]["content"]["application/json"]["schema"]
    assert "$ref" not in str(schema) and "properties" in schema and "model" in schema["properties"]
    assert paths["/chat/ws"]["get"]["operationId"] == "chatSocket"  # the WebSocket, too
    stream = paths["/chat/stream"]["post"]["responses"]["200"]["content"]
    assert "text/event-stream" in stream and "application/json" not in stream


def test_mounted_worker_runs_its_startup_hook(tmp_path: Path) -> None:
    started: list[str] = []
    stopped: list[str] = []
    worker = chat_routes.create_app(
        ChatTestService(),
        on_startup=lambda: started.append("up"),
        on_shutdown=lambda: stopped.append("down"),
    )
    parent = FastAPI()
    parent.mount("/worker", worker)
    request = {"messages": [{"role": "user", "content": "hi"}]}
    with _Uvicorn(parent, tmp_path / "mounted.sock") as served, served.http() as http:
        deadline = time.monotonic() + 5
        while http.get("/worker/ready").status_code != 200:
            assert time.monotonic() < deadline, "the mounted worker never became ready"
            time.sleep(0.02)
        assert started == ["up"]
        assert http.post("/worker/chat/complete", json=request).json() == {"message": "hi"}
        document = http.get("/worker/openapi.json").json()
        assert document["servers"][0] == {"url": "/worker"}  # "try it out" under the prefix
        assert "/chat/complete" in document["paths"]
        assert "openapi.json" in http.get("/worker/docs").text  # relative: under the prefix


def test_parent_lifespan_runs_the_mounted_workers_hooks(tmp_path: Path) -> None:
    events: list[str] = []
    server = chat_routes.create_server(
        ChatTestService(),
        on_startup=lambda: events.append("up"),
        on_shutdown=lambda: events.append("down"),
    )
    parent = FastAPI(lifespan=server.lifespan)
    parent.mount("/worker", server.app)
    with _Uvicorn(parent, tmp_path / "lifespan.sock") as served, served.http() as http:
        assert events == ["up"]
        assert http.get("/worker/ready").status_code == 200
    assert events == ["up", "down"]


def test_user_routes_appear_next_to_the_bundled_operations() -> None:
    app = chat_routes.create_app(ChatTestService())

    @app.get("/extra")
    async def extra() -> dict[str, int]:
        return {"n": 1}

    app.include_router(images_routes.router(ImagesTestService()), prefix="/img")
    document = app.openapi()
    assert {"/chat/complete", "/chat/stream", "/extra", "/img/v1/images/jobs"} <= set(
        document["paths"]
    )


def test_fast_dispatch_serves_what_fastapi_chose(tmp_path: Path) -> None:
    app = FastAPI()
    seen: list[str] = []

    @app.post("/v1/embeddings")  # declared before the router: FastAPI picks this one
    async def mine() -> dict[str, str]:
        return {"mine": "yes"}

    app.include_router(openai_routes.router(OpenaiTestService()))
    app.include_router(chat_routes.router(ChatTestService()))
    request = {"messages": [{"role": "user", "content": "hi"}]}
    with _Uvicorn(app, tmp_path / "fast.sock") as served, served.http() as http:
        for _ in range(3):
            assert http.post("/v1/embeddings", json={"model": "e", "input": "x"}).json() == {
                "mine": "yes"
            }
            assert http.post("/chat/complete", json=request).json() == {"message": "hi"}
            seen.append(http.get("/v1/models").json()["data"][0]["id"])
        dispatch = app._ieops_fast_dispatch  # type: ignore[attr-defined]
        assert ("POST", "/chat/complete") in dispatch.added
        assert ("POST", "/v1/embeddings") not in dispatch.added
        assert isinstance(app, FastAPI) and seen == ["echo"] * 3


def test_user_middleware_sees_every_request(tmp_path: Path) -> None:
    app = FastAPI()
    seen: list[str] = []

    @app.middleware("http")
    async def count(request: Any, call_next: Any) -> Any:
        seen.append(request.url.path)
        return await call_next(request)

    app.include_router(chat_routes.router(ChatTestService()))
    request = {"messages": [{"role": "user", "content": "hi"}]}
    with _Uvicorn(app, tmp_path / "mw.sock") as served, served.http() as http:
        for _ in range(3):
            assert http.post("/chat/complete", json=request).json() == {"message": "hi"}
    assert seen == ["/chat/complete"] * 3
    assert app._ieops_fast_dispatch is False and type(app) is FastAPI  # type: ignore[attr-defined]
