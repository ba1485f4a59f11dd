"""The four handler kinds, through functions, bound methods, partials and callable objects."""

from __future__ import annotations

import functools
import json

import pytest
from gmi_ieops.routing._callables import CallableKind, kind_of
from websockets.sync.client import unix_connect

from tests.support.worker import WorkerProcess

from .sse import collect


class Obj:
    async def agen(self, q):
        yield q

    def gen(self, q):
        yield q

    async def coro(self, q):
        return q

    def func(self, q):
        return q


class CallableCoro:
    async def __call__(self, q):
        return q


def decorated(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return fn(*args, **kwargs)

    return wrapper


@pytest.mark.parametrize(
    ("handler", "kind"),
    [
        (Obj().agen, CallableKind.ASYNC_GENERATOR),
        (Obj().gen, CallableKind.SYNC_GENERATOR),
        (Obj().coro, CallableKind.ASYNC_FUNCTION),
        (Obj().func, CallableKind.SYNC_FUNCTION),
        (functools.partial(Obj().agen), CallableKind.ASYNC_GENERATOR),
        (functools.partial(functools.partial(Obj.gen, Obj())), CallableKind.SYNC_GENERATOR),
        (CallableCoro(), CallableKind.ASYNC_FUNCTION),
        (decorated(Obj().agen), CallableKind.ASYNC_GENERATOR),
        (print, CallableKind.SYNC_FUNCTION),
    ],
)
def test_kind_detection(handler, kind: CallableKind) -> None:
    assert kind_of(handler) is kind


def test_async_generator_route(kinds_worker: WorkerProcess) -> None:
    with (
        kinds_worker.client() as client,
        client.stream("POST", "/api/kinds/async_gen", json={"n": 4}) as r,
    ):
        assert r.headers["x-custom-sse"] == "yes"  # RouterConfig.sse_headers
        items, end, _ = collect(r)
    assert [i["i"] for i in items] == [0, 1, 2, 3] and end == "[DONE]"


def test_sync_generator_runs_in_the_pool(kinds_worker: WorkerProcess) -> None:
    with (
        kinds_worker.client() as client,
        client.stream("POST", "/api/kinds/sync_gen", json={"n": 3}) as r,
    ):
        items, end, _ = collect(r)
    assert [i["i"] for i in items] == [0, 1, 2] and end == "[DONE]"
    assert all(i["thread"].startswith("ieops-handler") for i in items)


def test_async_bound_method(kinds_worker: WorkerProcess) -> None:
    with kinds_worker.client() as client:
        r = client.post("/api/kinds/async_fn?q=1", json={"x": "body"})
    echo = r.json()["echo"]
    assert echo["x"] == "body" and echo["q"] == "1" and echo["trace_id"] == r.headers["x-trace-id"]


def test_sync_partial_runs_in_the_pool(kinds_worker: WorkerProcess) -> None:
    with kinds_worker.client() as client:
        r = client.post("/api/kinds/sync_fn", json={})
    assert r.json()["prefix"] == "p" and r.json()["thread"].startswith("ieops-handler")


def test_callable_object(kinds_worker: WorkerProcess) -> None:
    with kinds_worker.client() as client, client.stream("POST", "/api/kinds/callable") as r:
        items, end, _ = collect(r)
    assert items == [{"kind": "callable_async_gen"}] and end == "[DONE]"


def test_query_merge_order_body_wins(kinds_worker: WorkerProcess) -> None:
    with kinds_worker.client() as client:
        r = client.post("/api/misc/items/7?q=query&item_id=fromquery", json={"b": 1})
        g = client.get("/api/misc/items/8?q=x")
    assert r.json() == {"item": "fromquery", "q": "query", "body": 1}
    assert g.json() == {"item": "8", "q": "x", "body": None}


def test_path_parameter_may_hold_an_encoded_slash(kinds_worker: WorkerProcess) -> None:
    with kinds_worker.client() as client:
        r = client.get("/api/misc/items/org%2Fmodel%20v1")
    assert r.status_code == 200 and r.json()["item"] == "org/model v1"


def test_startup_hook_ran_before_serving(kinds_worker: WorkerProcess) -> None:
    with kinds_worker.client() as client:
        assert client.get("/api/misc/loaded").json() == {"loaded": True, "app": "kinds"}
        assert client.get("/health").json() == {"status": "ok"}
        assert client.get("/ready").status_code == 200


def test_cors(kinds_worker: WorkerProcess) -> None:
    with kinds_worker.client() as client:
        r = client.options(
            "/api/misc/traced",
            headers={"Origin": "http://example.test", "Access-Control-Request-Method": "POST"},
        )
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] in (
        "*",
        "http://example.test",
    )


def test_openapi_and_docs(kinds_worker: WorkerProcess) -> None:
    with kinds_worker.client() as client:
        doc = client.get("/openapi.json").json()
        docs = client.get("/docs")
    assert "/api/kinds/async_gen" in doc["paths"]
    assert "text/event-stream" in json.dumps(doc["paths"]["/api/kinds/async_gen"])
    assert docs.status_code == 200 and "swagger" in docs.text.lower()


def _ws(worker: WorkerProcess, path: str):
    assert worker.socket_path
    return unix_connect(worker.socket_path, f"ws://worker{path}")


def test_websocket_message_mode(kinds_worker: WorkerProcess) -> None:
    with _ws(kinds_worker, "/api/ws/message") as ws:
        ws.send(json.dumps({"text": "hello"}))
        first = json.loads(ws.recv())
        ws.send("not json")
        bad = json.loads(ws.recv())
        ws.send(json.dumps({"fail": True}))
        failed = json.loads(ws.recv())
        ws.send(json.dumps({"text": "again"}))
        again = json.loads(ws.recv())
    assert first["echo"] == "hello" and first["trace_id"]
    assert bad["error"]["type"] == "invalid_json"
    assert failed["error"] == {
        "message": "bad message",
        "type": "bad_request",
        "trace_id": first["trace_id"],
    }
    assert again["echo"] == "again"


def test_websocket_generator_sends_each_item(kinds_worker: WorkerProcess) -> None:
    with _ws(kinds_worker, "/api/ws/stream") as ws:
        ws.send(json.dumps({"n": 3}))
        assert [json.loads(ws.recv())["i"] for _ in range(3)] == [0, 1, 2]


def test_websocket_raw_mode(kinds_worker: WorkerProcess) -> None:
    with _ws(kinds_worker, "/api/ws/raw") as ws:
        ws.send("shout")
        assert ws.recv() == "SHOUT"


def test_unknown_route_and_method(kinds_worker: WorkerProcess) -> None:
    with kinds_worker.client() as client:
        missing = client.get("/nope")
        wrong = client.get("/api/kinds/async_fn")
    assert missing.status_code == 404 and missing.json()["type"] == "not_found"
    assert wrong.status_code == 405 and wrong.json()["type"] == "method_not_allowed"
    assert missing.headers["x-trace-id"] == missing.json()["trace_id"]
