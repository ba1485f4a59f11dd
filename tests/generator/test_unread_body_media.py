"""The served document offers only the request media types the route reads.

A body offering JSON and a form of another schema, multipart beside JSON, text beside
JSON, or a form beside multipart: the route reads one of them (JSON wins, docs/files.md)
and answered 415 to the others, which the served ``openapi.json`` still offered. OpenAI's
``POST /images/edits`` lists ``multipart/form-data`` and ``application/json``: every
multipart body schemathesis drew from the served document was "valid data refused".
Each offer, sent as the spec offers it: a media type the served document lists is read
(never 415); one it leaves out is 415 and named in a warning at the body's pointer.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from ieops_gen.pipeline import run

from tests.conformance.serving import serving

from .conftest import generated_package

_NOTE = {"type": "object", "properties": {"prompt": {"type": "string"}}, "required": ["prompt"]}
_OTHER = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
_UPLOAD = {
    "type": "object",
    "properties": {"prompt": {"type": "string"}, "image": {"type": "string", "format": "binary"}},
    "required": ["prompt", "image"],
}
_JSON = "application/json"
_FORM = "application/x-www-form-urlencoded"
_MULTIPART = "multipart/form-data"
_TEXT = "text/plain"

OFFERS: dict[str, dict[str, Any]] = {
    "/json-and-multipart": {_MULTIPART: _UPLOAD, _JSON: _NOTE},
    "/json-and-same-form": {_JSON: _NOTE, _FORM: _NOTE},
    "/json-and-other-form": {_JSON: _NOTE, _FORM: _OTHER},
    "/json-and-text": {_JSON: _NOTE, _TEXT: {"type": "string"}},
    "/multipart-and-form": {_MULTIPART: _UPLOAD, _FORM: _NOTE},
}
READ = {
    "/json-and-multipart": {_JSON},
    "/json-and-same-form": {_JSON, _FORM},
    "/json-and-other-form": {_JSON},
    "/json-and-text": {_JSON},
    "/multipart-and-form": {_MULTIPART},
}


def _spec() -> str:
    paths: dict[str, Any] = {}
    for index, (path, offer) in enumerate(OFFERS.items()):
        content = {media: {"schema": schema} for media, schema in offer.items()}
        paths[path] = {
            "post": {
                "operationId": f"offer{index}",
                "requestBody": {"required": True, "content": content},
                "responses": {"204": {"description": "taken"}},
            }
        }
    doc = {"openapi": "3.1.0", "info": {"title": "offers", "version": "1"}, "paths": paths}
    return json.dumps(doc)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("offers")
    yield from generated_package(root, "offers", _spec(), "", "--no-cache")


def _send(http: httpx.Client, path: str, media: str) -> int:
    if media == _JSON:
        return http.post(path, json={"prompt": "p"}).status_code
    if media == _FORM:
        return http.post(path, data={"prompt": "p", "n": "1"}).status_code
    if media == _MULTIPART:
        files = {"image": ("a.png", b"\x89PNG", "image/png")}
        return http.post(path, data={"prompt": "p"}, files=files).status_code
    return http.post(path, content=b"p", headers={"content-type": media}).status_code


def test_each_offered_media_type_is_read_or_left_out_with_a_warning(
    generated: Path, tmp_path: Path
) -> None:
    package = generated / "g" / "offers"
    served = json.loads((package / "openapi.json").read_text())
    service = importlib.import_module("g.offers.service")
    routes = importlib.import_module("g.offers.routes")

    class Taken(service.OffersService):  # type: ignore[misc, name-defined]
        pass

    for index in range(len(OFFERS)):

        async def taken(self: Any, *args: Any, **kwargs: Any) -> None:
            return None

        setattr(Taken, f"offer{index}", taken)
    Taken.__abstractmethods__ = frozenset()
    sock = tmp_path / "w.sock"
    with (
        serving(routes.create_app(Taken()), uds=sock),
        httpx.Client(transport=httpx.HTTPTransport(uds=str(sock)), base_url="http://w") as http,
    ):
        for path, offer in OFFERS.items():
            listed = set(served["paths"][path]["post"]["requestBody"]["content"])
            assert listed == READ[path], path
            for media in offer:
                status = _send(http, path, media)
                if media in listed:
                    assert status == 204, (path, media, status)
                else:
                    assert status == 415, (path, media, status)


def test_each_media_type_left_out_is_named_at_its_pointer(tmp_path: Path) -> None:
    spec = tmp_path / "offers.json"
    spec.write_text(_spec())
    said = [w for w in run(spec, "offers").warnings if "the route reads" in w]
    expected = {(path, m) for path, offer in OFFERS.items() for m in offer if m not in READ[path]}
    assert len(said) == len(expected), said
    for path, media in expected:
        pointer = "/paths/" + path.replace("/", "~1") + "/post/requestBody/content"
        assert any(pointer in w and f"request body {media} ignored" in w for w in said), said
