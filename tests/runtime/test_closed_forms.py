"""A multipart form closed by ``additionalProperties: false`` refuses the parts it does not
declare (422, naming the part), text or file; an open one drains and drops them. OpenAI's
``POST /audio/voice_consents`` is closed: schemathesis' negative cases (an extra part) were
taken. Served for real (uvicorn on a Unix socket)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from gmi_ieops.handler import RouterDef, Server, UploadFile
from gmi_ieops.typed import FilePart, FormSpec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict

from tests.conformance.serving import serving


class Closed(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str


class Open(BaseModel):
    name: str


class Seen(BaseModel):
    fields: list[str]
    file: str


async def consent(body: BaseModel, recording: UploadFile) -> Seen:
    return Seen(fields=sorted(body.model_dump()), file=recording.filename or "")


async def recording_alone(recording: UploadFile) -> Seen:
    return Seen(fields=[], file=recording.filename or "")


def _route(path: str, model: type[BaseModel] | None, closed: bool) -> RouterDef:
    part = FilePart("recording", "recording", repeated=False, required=True)
    return RouterDef(
        path,
        consent if model is not None else recording_alone,
        upload=FormSpec(model, (part,), closed=closed),
        response_model=Seen,
    )


@pytest.fixture
def http(tmp_path: Path) -> Iterator[httpx.Client]:
    sock = tmp_path / "s.sock"
    routes = [
        _route("/closed", Closed, True),
        _route("/files-only", None, True),
        _route("/open", Open, False),
    ]
    with (
        serving(Server(routers={"": routes}).app, uds=sock),
        httpx.Client(transport=httpx.HTTPTransport(uds=str(sock)), base_url="http://w") as client,
    ):
        yield client


RECORDING = {"recording": ("a.wav", b"RIFF", "audio/wav")}


@pytest.mark.parametrize(
    ("data", "files"),
    [
        ({"name": "n", "extra": "x"}, RECORDING),  # a text part
        ({"name": "n"}, {**RECORDING, "other": ("b.bin", b"1", "application/octet-stream")}),
    ],
    ids=["text", "file"],
)
def test_a_closed_form_refuses_a_part_it_does_not_declare(
    http: httpx.Client, data: dict[str, str], files: dict[str, tuple[str, bytes, str]]
) -> None:
    r = http.post("/closed", data=data, files=files)
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["type"] == "validation_error"
    (extra,) = set(data) - {"name"} or set(files) - {"recording"}
    assert body["details"] == [
        {"loc": ["body", extra], "msg": "Extra inputs are not permitted", "type": "extra_forbidden"}
    ]
    # the connection is still usable, and the declared parts alone are taken
    ok = http.post("/closed", data={"name": "n"}, files=RECORDING)
    assert ok.json() == {"fields": ["name"], "file": "a.wav"}


def test_a_closed_form_of_files_alone_refuses_a_text_part(http: httpx.Client) -> None:
    assert http.post("/files-only", data={"name": "n"}, files=RECORDING).status_code == 422
    assert http.post("/files-only", files=RECORDING).json() == {"fields": [], "file": "a.wav"}


def test_an_open_form_drops_what_it_does_not_declare(http: httpx.Client) -> None:
    files = {**RECORDING, "other": ("b.bin", b"1", "application/octet-stream")}
    r = http.post("/open", data={"name": "n", "extra": "x"}, files=files)
    assert r.json() == {"fields": ["name"], "file": "a.wav"}, r.text


_NAMES = st.text(
    st.characters(codec="utf-8", exclude_characters='"\\\r\n', exclude_categories=["Cs", "Cc"]),
    min_size=1,
    max_size=12,
).filter(lambda name: name not in ("name", "recording"))


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(extra=_NAMES, as_file=st.booleans(), first=st.booleans())
def test_a_closed_form_refuses_any_undeclared_part(
    http: httpx.Client, extra: str, as_file: bool, first: bool
) -> None:
    """Any name, as a text or a file part, before or after the declared parts of its kind:
    a 422 naming it; the next request on the connection is answered."""
    data: dict[str, str] = {}
    files: dict[str, tuple[str, bytes, str]] = {}
    if as_file:
        files[extra] = ("x.bin", b"1", "application/octet-stream")
    else:
        data[extra] = "x"
    declared_data, declared_files = {"name": "n"}, dict(RECORDING)
    data = {**data, **declared_data} if first else {**declared_data, **data}
    files = {**files, **declared_files} if first else {**declared_files, **files}
    r = http.post("/closed", data=data, files=files)
    assert r.status_code == 422, r.text
    assert r.json()["details"][0]["loc"] == ["body", extra]
    assert http.post("/closed", data={"name": "n"}, files=RECORDING).status_code == 200
