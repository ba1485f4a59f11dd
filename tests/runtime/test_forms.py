"""Urlencoded request bodies and JSON-or-binary responses over a Unix socket and TCP."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.support.worker import WorkerProcess, running_worker

from .conftest import APPS

FORM = {"content-type": "application/x-www-form-urlencoded"}


@pytest.fixture(scope="module", params=["unix", "tcp"])
def forms_worker(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WorkerProcess]:
    directory = tmp_path_factory.mktemp("forms")
    settings = {"API_MAX_BODY_SIZE": str(64 * 1024)}
    if request.param == "tcp":
        settings.update(MODEL_SERVER_SOCKET="", MODEL_SERVER_PORT="0")
    else:
        settings.update(MODEL_SERVER_SOCKET_DIR=str(directory))
    with running_worker(APPS / "forms.py", directory, **settings) as worker:
        yield worker


def _envelope(r: httpx.Response, status: int, error_type: str | None = None) -> None:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) >= {"message", "type", "trace_id"}
    if error_type is not None:
        assert body["type"] == error_type, body


def test_urlencoded_fields_arrays_styles(forms_worker: WorkerProcess) -> None:
    with forms_worker.client() as client:
        r = client.post(
            "/login",
            data={
                "username": "j",
                "remember": "true",
                "scopes": ["read", "write"],  # repeated keys: an array
                "meta": '{"a": [1, 2]}',  # an object without an encoding: JSON text
                "ids": "1,2,3",  # encoding: style form, explode false
                "filter[color]": "red",  # encoding: deepObject
                "filter[size]": "5",
                "pipes": "a|b",
            },
        )
    assert r.status_code == 200, r.text
    assert r.json()["form"] == {
        "username": "j",
        "remember": True,
        "scopes": ["read", "write"],
        "meta": {"a": [1, 2]},
        "ids": [1, 2, 3],
        "filter": {"color": "red", "size": 5},
        "pipes": ["a", "b"],
    }
    assert r.json()["fields_set"] == sorted(
        ["username", "remember", "scopes", "meta", "ids", "filter", "pipes"]
    )


def test_urlencoded_percent_and_plus(forms_worker: WorkerProcess) -> None:
    with forms_worker.client() as client:
        r = client.post("/login", content=b"username=J%C3%BCrgen+X%26Y&&scopes=", headers=FORM)
        assert r.status_code == 200, r.text
        assert r.json()["form"]["username"] == "Jürgen X&Y"
        assert r.json()["form"]["scopes"] == [""]
        assert r.json()["fields_set"] == ["scopes", "username"]


def test_urlencoded_bad_input_is_4xx(forms_worker: WorkerProcess) -> None:
    with forms_worker.client() as client:
        _envelope(client.post("/login", content=b"username=%FF", headers=FORM), 400)
        _envelope(client.post("/login", data={"remember": "true"}), 422, "validation_error")
        _envelope(client.post("/login", data={"username": "j", "remember": "maybe"}), 422)
        _envelope(client.post("/login", data={"username": "j", "ids": "1,x"}), 422)
        _envelope(client.post("/login", data={"username": "j", "meta": "{not json"}), 422)
        _envelope(client.post("/login", json={"username": "j"}), 415, "unsupported_media_type")
        r = client.post("/login", files={"username": ("u", b"j")})
        _envelope(r, 415, "unsupported_media_type")
        _envelope(client.post("/login", data={"username": "j" * 70000}), 413, "payload_too_large")
        many = b"&".join(b"scopes=x" for _ in range(2000))
        _envelope(client.post("/login", content=b"username=j&" + many, headers=FORM), 413)
        assert client.get("/health").status_code == 200


def test_json_and_urlencoded_by_content_type(forms_worker: WorkerProcess) -> None:
    with forms_worker.client() as client:
        by_json = client.post("/both", json={"username": "j", "ids": [1, 2]})
        by_form = client.post("/both", data={"username": "j", "ids": "1,2"})
        assert by_json.status_code == by_form.status_code == 200, (by_json.text, by_form.text)
        assert by_json.json() == by_form.json()
        r = client.post("/both", content=b"username=j", headers={"content-type": "text/plain"})
        _envelope(r, 415, "unsupported_media_type")
        r = client.post("/both", content=b"{", headers={"content-type": "application/json"})
        _envelope(r, 400)


def test_json_or_binary_by_accept(forms_worker: WorkerProcess) -> None:
    with forms_worker.client() as client:
        r = client.get("/videos/v1", headers={"accept": "application/json"})
        assert r.status_code == 200 and r.json() == {"id": "v1", "status": "ready"}
        assert r.headers["content-type"] == "application/json"
        r = client.get("/videos/v1")  # no preference: the handler's first choice, JSON
        assert r.json() == {"id": "v1", "status": "ready"}
        r = client.get("/videos/v1", headers={"accept": "video/mp4"})
        assert r.status_code == 200, r.text
        assert r.headers["content-type"] == "video/mp4" and r.content == b"MP4v1"
        r = client.get("/videos/v1", headers={"accept": "application/json;q=0.5, video/*"})
        assert r.headers["content-type"] == "video/mp4"
        _envelope(client.get("/videos/v1", headers={"accept": "text/html"}), 406, "not_acceptable")
        r = client.get("/videos/wrong", headers={"accept": "video/mp4"})
        _envelope(r, 406, "not_acceptable")


def test_openapi_lists_the_form_and_the_file(forms_worker: WorkerProcess) -> None:
    with forms_worker.client() as client:
        paths = client.get("/openapi.json").json()["paths"]
    assert list(paths["/login"]["post"]["requestBody"]["content"]) == [
        "application/x-www-form-urlencoded"
    ]
    assert list(paths["/both"]["post"]["requestBody"]["content"]) == [
        "application/json",
        "application/x-www-form-urlencoded",
    ]
    assert list(paths["/videos/{id}"]["get"]["responses"]["200"]["content"]) == [
        "application/json",
        "video/mp4",
    ]
