"""``RouterDef(body_required=False)``: no body, or an empty one, reaches the handler as None.

Served for real (uvicorn on a Unix socket); a body that is sent is validated as before, and
a stream asked for by ``Accept`` works without a body to carry the stream flag.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from gmi_ieops.handler import RouterDef, Server
from pydantic import BaseModel

from tests.conformance.serving import serving


class Ask(BaseModel):
    prompt: str
    stream: bool | None = None


class Answer(BaseModel):
    text: str


class Token(BaseModel):
    token: str


seen: list[Any] = []


async def answer(body: Ask | None) -> Answer:
    seen.append(body)
    return Answer(text=body.prompt if body else "(none)")


async def tokens(body: Ask | None) -> AsyncIterator[Token]:
    seen.append(body)
    yield Token(token=body.prompt if body else "(none)")


def _routes(required: bool) -> list[RouterDef]:
    return [
        RouterDef(
            "/ask",
            answer,
            request_model=Ask,
            response_model=Answer,
            event_model=Token,
            stream_handler=tokens,
            stream_flag="stream",
            body_required=required,
        )
    ]


@pytest.fixture
def http(tmp_path: Path) -> Iterator[httpx.Client]:
    seen.clear()
    sock = tmp_path / "s.sock"
    routers = {"optional": _routes(False), "required": _routes(True)}
    with (
        serving(Server(routers=routers).app, uds=sock),
        httpx.Client(transport=httpx.HTTPTransport(uds=str(sock)), base_url="http://w") as client,
    ):
        yield client


def test_no_body_and_an_empty_body_are_none(http: httpx.Client) -> None:
    assert http.post("/optional/ask").json() == {"text": "(none)"}
    empty = http.post("/optional/ask", content=b"", headers={"Content-Type": "application/json"})
    assert empty.json() == {"text": "(none)"}
    assert http.post("/optional/ask", json={"prompt": "p"}).json() == {"text": "p"}
    assert seen == [None, None, Ask(prompt="p")]


def test_a_sent_body_is_validated(http: httpx.Client) -> None:
    bad = http.post("/optional/ask", json={"stream": True})
    assert (bad.status_code, bad.json()["type"]) == (422, "validation_error")
    assert http.post("/optional/ask", content=b"{oops").status_code == 400
    assert seen == []


def test_the_stream_without_a_body(http: httpx.Client) -> None:
    streamed = http.post("/optional/ask", headers={"Accept": "text/event-stream"})
    assert streamed.text == 'data: {"token":"(none)"}\n\ndata: [DONE]\n\n'
    flagged = http.post("/optional/ask", json={"prompt": "q", "stream": True})
    assert flagged.text.startswith('data: {"token":"q"}')
    assert seen == [None, Ask(prompt="q", stream=True)]


def test_a_required_body_stays_required(http: httpx.Client) -> None:
    missing = http.post("/required/ask")
    assert (missing.status_code, missing.json()["type"]) == (400, "invalid_json")
    assert seen == []


def test_the_generated_document_says_optional(http: httpx.Client) -> None:
    paths = http.get("/openapi.json").json()["paths"]
    assert paths["/optional/ask"]["post"]["requestBody"]["required"] is False
    assert paths["/required/ask"]["post"]["requestBody"]["required"] is True
