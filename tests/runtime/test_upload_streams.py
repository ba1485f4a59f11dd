"""An upload route with a stream handler (OpenAI's ``POST /audio/transcriptions``: a
multipart body, answered as JSON or as SSE): the stream is asked for by ``Accept``, as
for any JSON-or-SSE route, and a stream flag in the form's fields works as in a JSON body.

Served for real (uvicorn on a Unix socket).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from gmi_ieops.handler import RouterDef, Server, UploadFile
from gmi_ieops.typed import FilePart, FormSpec
from pydantic import BaseModel

from tests.conformance.serving import serving


class Form(BaseModel):
    model: str
    stream: bool | None = None


class Text(BaseModel):
    text: str


class Delta(BaseModel):
    delta: str


async def transcribe(body: Form, file: UploadFile) -> Text:
    return Text(text=f"{body.model}:{file.filename}")


async def transcribe_stream(body: Form, file: UploadFile) -> AsyncIterator[Delta]:
    yield Delta(delta=f"{body.model}:{file.filename}")


def _route(flag: str | None) -> RouterDef:
    return RouterDef(
        "/transcriptions",
        transcribe,
        upload=FormSpec(Form, (FilePart("file", "file", repeated=False, required=True),)),
        response_model=Text,
        event_model=Delta,
        stream_handler=transcribe_stream,
        stream_flag=flag,
    )


@pytest.fixture
def http(tmp_path: Path) -> Iterator[httpx.Client]:
    sock = tmp_path / "s.sock"
    routers = {"accept": [_route(None)], "flag": [_route("stream")]}
    with (
        serving(Server(routers=routers).app, uds=sock),
        httpx.Client(transport=httpx.HTTPTransport(uds=str(sock)), base_url="http://w") as client,
    ):
        yield client


FILES = {"file": ("a.wav", b"RIFF", "audio/wav")}
STREAM = 'data: {"delta":"m:a.wav"}\n\ndata: [DONE]\n\n'


@pytest.mark.parametrize("group", ["accept", "flag"])
def test_accept_event_stream_streams_an_upload(http: httpx.Client, group: str) -> None:
    r = http.post(
        f"/{group}/transcriptions",
        data={"model": "m"},
        files=FILES,
        headers={"Accept": "text/event-stream"},
    )
    assert r.headers["content-type"].startswith("text/event-stream"), r.text
    assert r.text == STREAM


@pytest.mark.parametrize("group", ["accept", "flag"])
def test_without_accept_an_upload_answers_json(http: httpx.Client, group: str) -> None:
    r = http.post(f"/{group}/transcriptions", data={"model": "m"}, files=FILES)
    assert r.json() == {"text": "m:a.wav"}


def test_the_stream_flag_of_a_form_streams(http: httpx.Client) -> None:
    r = http.post("/flag/transcriptions", data={"model": "m", "stream": "true"}, files=FILES)
    assert r.text == STREAM
    plain = http.post("/accept/transcriptions", data={"model": "m", "stream": "true"}, files=FILES)
    assert plain.json() == {"text": "m:a.wav"}  # no flag declared: Accept decides
