"""The seed README's examples, unchanged, against real workers on a Unix socket and TCP."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import pytest

from tests.support.worker import WorkerProcess, running_worker

from .conftest import APPS, QUICKSTART
from .sse import collect

MiB = 1024 * 1024


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(params=["unix", "tcp"])
def transport_env(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, str]:
    if request.param == "unix":
        return {"MODEL_SERVER_SOCKET_DIR": str(tmp_path)}
    return {"MODEL_SERVER_SOCKET": "", "MODEL_SERVER_PORT": str(free_port())}


def test_quickstart(transport_env: dict[str, str], tmp_path: Path) -> None:
    with running_worker(QUICKSTART, tmp_path, **transport_env) as worker:
        if "MODEL_SERVER_SOCKET_DIR" in transport_env:
            assert worker.socket_path is not None
            name = os.path.basename(worker.socket_path)
            assert name.startswith("ieops.") and name.endswith(".sock")
            assert os.path.dirname(worker.socket_path) == str(tmp_path)
            assert oct(os.stat(worker.socket_path).st_mode & 0o777) == "0o660"
        else:
            assert worker.url == f"http://127.0.0.1:{transport_env['MODEL_SERVER_PORT']}"
        with worker.client() as client:
            r = client.post("/chat/complete", json={})
            assert r.status_code == 200
            assert r.json() == {"message": "Hello from sync handler!"}
            with client.stream(
                "POST", "/chat/stream", json={"messages": [{"role": "user", "content": "hi"}]}
            ) as r:
                assert r.headers["content-type"].startswith("text/event-stream")
                items, end, _ = collect(r)
        assert end == "[DONE]"
        text = "".join(i["results"][0]["content"] for i in items if not i["stopped"])
        assert text == "Hello! You said: hi"
        assert items[-1] == {"stopped": True, "stop_reasons": ["end"]}
    if worker.socket_path:
        assert not os.path.exists(worker.socket_path), "socket file left behind"


def test_openai_compatible(transport_env: dict[str, str], tmp_path: Path) -> None:
    with (
        running_worker(
            APPS / "seed_openai.py", tmp_path, MODEL_NAME="tiny-llm", **transport_env
        ) as worker,
        worker.client() as client,
    ):
        r = client.post("/v1/chat/completions", json={"messages": []})
        assert r.status_code == 200 and r.json()["object"] == "chat.completion"
        assert client.post("/v1/chat/completions/", json={}).status_code in (404, 307)
        with client.stream("POST", "/v1/chat/completions/stream", json={}) as r:
            items, end, _ = collect(r)
        assert end == "[DONE]"
        assert "".join(i["choices"][0]["delta"]["content"] for i in items) == "Hello world"
        r = client.get("/v1/models")
        assert r.json() == {"object": "list", "data": [{"id": "tiny-llm", "object": "model"}]}
        assert client.post("/v1/models").status_code == 405


def test_image_example(tmp_path: Path) -> None:
    with (
        running_worker(
            APPS / "seed_image.py", tmp_path, MODEL_SERVER_SOCKET_DIR=str(tmp_path)
        ) as worker,
        worker.client() as client,
    ):
        assert client.post("/images/generate", json={"prompt": "cat"}).json() == {
            "images": [{"base64": "..."}]
        }
        with client.stream("POST", "/images/generate/stream", json={"prompt": "cat"}) as r:
            items, end, _ = collect(r)
        assert [i["progress"] for i in items] == [*range(0, 101, 10), 100]
        assert items[-1]["status"] == "complete" and end == "[DONE]"


@pytest.fixture(scope="module")
def errors_worker(tmp_path_factory: pytest.TempPathFactory):
    directory = tmp_path_factory.mktemp("errors")
    with running_worker(
        APPS / "seed_errors.py",
        directory,
        MODEL_SERVER_SOCKET_DIR=str(directory),
        MY_INT_VAR="7",
        MY_BOOL_VAR="yes",
        MY_LIST_VAR="x, y,z",
        IEOPS_NFS_SERVER="10.0.0.1:32049",
        # a small body limit, so hitting it costs 2 MiB, not 65 (the 64 MiB default is
        # asserted in tests/runtime/test_config.py)
        API_MAX_BODY_SIZE=str(MiB),
    ) as worker:
        yield worker


def test_http_exception_keeps_its_status(errors_worker: WorkerProcess) -> None:
    with errors_worker.client() as client:
        r = client.post("/err/messages", json={})
    assert r.status_code == 400
    body = r.json()
    assert body["message"] == "Messages required" and body["type"] == "bad_request"
    assert body["trace_id"] == r.headers["x-trace-id"]


def test_internal_error_leaks_nothing(errors_worker: WorkerProcess) -> None:
    with errors_worker.client() as client:
        r = client.post("/err/messages", json={"messages": [1], "explode": True})
    assert r.status_code == 500
    assert r.json()["type"] == "internal_error"
    assert "secret internal detail" not in r.text and "Traceback" not in r.text
    errors_worker.wait_for_line(lambda line: "secret internal detail" in line)  # but logged


def test_trace_id_is_echoed_and_logged(errors_worker: WorkerProcess) -> None:
    with errors_worker.client() as client:
        r = client.post("/err/checked", json={"prompt": "fail"}, headers={"X-Trace-Id": "abc-123"})
        assert r.status_code == 500
        assert r.headers["x-trace-id"] == "abc-123" and r.json()["trace_id"] == "abc-123"
        ok = client.post("/err/checked", json={"prompt": "p1"})
    assert ok.json() == {"ok": True, "prompt": "p1"}
    logged = errors_worker.wait_for_line(lambda line: "Inference error: boom" in line)
    assert "[abc-123]" in logged
    generated = ok.headers["x-trace-id"]
    assert len(generated) == 32
    errors_worker.wait_for_line(
        lambda line: f"[{generated}]" in line and "checked prompt p1" in line
    )


def test_format_error_response(errors_worker: WorkerProcess) -> None:
    with errors_worker.client() as client:
        r = client.post("/err/formatted", json={}, headers={"X-Trace-Id": "t-1"})
    assert r.status_code == 429
    assert r.json() == {"message": "quota exhausted", "type": "quota_error", "trace_id": "t-1"}


def test_env_helpers(errors_worker: WorkerProcess) -> None:
    with errors_worker.client() as client:
        values = client.post("/err/env", json={}).json()
    assert values == {
        "value": "default",
        "value_int": 7,
        "value_bool": True,
        "value_float": 0.5,
        "value_list": ["x", "y", "z"],
        "app": "ieops",
        "port": 8001,
        "timeout": 600.0,
        "concurrency": 8,
        "device": "auto",
        "nfs_server": "10.0.0.1:32049",
        "pid": "u-00000000",
        "chunk": 524288,
        "nfs_timeout": 30000,
    }


def test_bad_bodies_get_clear_errors(errors_worker: WorkerProcess) -> None:
    with errors_worker.client() as client:
        invalid = client.post(
            "/err/checked", content=b"{not json", headers={"content-type": "application/json"}
        )
        form = client.post("/err/checked", content=b"a=1", headers={"content-type": "text/plain"})
        array = client.post("/err/checked", json=[1, 2])
        huge = client.post(
            "/err/checked",
            content=b'{"prompt": "' + b"x" * (2 * MiB) + b'"}',
            headers={"content-type": "application/json"},
        )
    assert invalid.status_code == 400 and invalid.json()["type"] == "invalid_json"
    assert form.status_code == 415 and "text/plain" in form.json()["message"]
    assert array.status_code == 422 and "JSON object" in array.json()["message"]
    assert huge.status_code == 413 and "API_MAX_BODY_SIZE" in huge.json()["message"]
    for r in (invalid, form, array, huge):
        assert set(r.json()) == {"message", "type", "trace_id"}
        json.dumps(r.json())
