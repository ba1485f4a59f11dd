"""Generated clients (sync and async) against generated servers, over a Unix socket and TCP.

The worker is ``app.py`` (test implementations of the generated service classes, served by
``generated/*/routes.py``), started as a real process by the ``served`` fixture, once per
transport. Every kind of operation in ``schemas/`` is called through ``user_program.py``;
the failure paths each have a test here.
"""

from __future__ import annotations

import re
import time
import uuid

import pytest
from gmi_ieops.client import (
    RequestTimeoutError,
    RequestValidationError,
    ServerError,
)

from generated.chat.client import AsyncClient as ChatAsyncClient
from generated.chat.client import Client as ChatClient
from generated.images.client import AsyncClient as ImagesAsyncClient
from generated.images.client import Client as ImagesClient
from generated.openai.client import AsyncClient as OpenaiAsyncClient
from generated.openai.client import Client as OpenaiClient
from generated.openai.models import CreateEmbeddingRequest

from .conftest import Served
from .user_program import EXPECTED, chat_request, completion_request, run_async, run_sync

TIMEOUT = 0.5
MARGIN = 1.0
"""A call to a worker that never answers must fail within ``TIMEOUT`` + ``MARGIN`` seconds."""


def _expected(lines: list[str]) -> list[str]:
    job = re.fullmatch(r"gmifs://images/job-(\d+)/0.png", lines[-1])
    assert job, lines
    return [line.format(n=job.group(1)) for line in EXPECTED]


# -- every operation, both forms of the JSON-or-SSE one, sync and async ---------------------


def test_every_operation_sync(served: Served) -> None:
    lines = run_sync(served.base_url)
    assert lines == _expected(lines)


async def test_every_operation_async(served: Served) -> None:
    lines = await run_async(served.base_url)
    assert lines == _expected(lines)


# -- a stream left early: the server sees the disconnect -----------------------------------


def test_stream_left_early_sync(served: Served) -> None:
    key = uuid.uuid4().hex
    request = completion_request("x", f"slow:{key}")
    with (
        OpenaiClient(served.base_url) as client,
        client.create_chat_completion_stream(request) as s,
    ):
        first = [next(s), next(s)]
    left = time.time()
    assert [c.choices[0].delta.content for c in first] == ["0 ", "1 "]
    stopped = float(served.wait_for_file(f"{key}.stopped"))
    assert stopped - left < 2.0  # it ran 20 s otherwise


async def test_stream_left_early_async(served: Served) -> None:
    key = uuid.uuid4().hex
    async with OpenaiAsyncClient(served.base_url) as client:
        stream = client.create_chat_completion_stream(completion_request("x", f"slow:{key}"))
        async with stream as chunks:
            async for chunk in chunks:
                if chunk.choices[0].delta.content == "2 ":
                    break
    left = time.time()
    stopped = float(served.wait_for_file(f"{key}.stopped"))
    assert stopped - left < 2.0


# -- an error frame mid-stream ----------------------------------------------------------------


def test_error_frame_mid_stream_sync(served: Served) -> None:
    got: list[str | None] = []
    request = completion_request("x", "fail-mid")
    with (
        OpenaiClient(served.base_url) as client,
        client.create_chat_completion_stream(request) as s,
        pytest.raises(ServerError) as info,
    ):
        for chunk in s:
            got.append(chunk.choices[0].delta.content)
    assert got == ["one ", "two "]
    assert info.value.type == "internal_error"
    assert info.value.trace_id == s.trace_id


async def test_error_frame_mid_stream_async(served: Served) -> None:
    got: list[str | None] = []
    async with OpenaiAsyncClient(served.base_url) as client:
        stream = client.create_chat_completion_stream(completion_request("x", "fail-mid"))
        async with stream as chunks:
            with pytest.raises(ServerError) as info:
                async for chunk in chunks:
                    got.append(chunk.choices[0].delta.content)
    assert got == ["one ", "two "]
    assert info.value.type == "internal_error"
    assert info.value.trace_id == stream.trace_id


# -- 422: body, path parameter, header parameter --------------------------------------------

BAD_BODY = CreateEmbeddingRequest.model_construct(model="echo", input=42)  # neither text nor list


def _locations(error: RequestValidationError) -> list[list[str | int]]:
    assert isinstance(error.details, list), error.details
    return [list(item["loc"]) for item in error.details]


def test_validation_errors_sync(served: Served) -> None:
    with OpenaiClient(served.base_url) as client, pytest.raises(RequestValidationError) as body:
        client.create_embedding(BAD_BODY)
    assert body.value.status == 400  # openai.yaml declares OpenAI's format: 400, not 422
    assert any("input" in loc for loc in _locations(body.value)), body.value.details
    with ImagesClient(served.base_url) as images, pytest.raises(RequestValidationError) as path:
        images.get_image_job(job_id="NOT-A-JOB")
    assert any("job_id" in loc for loc in _locations(path.value)), path.value.details
    with ChatClient(served.base_url) as chat:
        stream = chat.chat_stream(chat_request("x"), x_session_id="s" * 129)
        with pytest.raises(RequestValidationError) as header:
            stream.open()
    assert _locations(header.value) == [["X-Session-Id"]], header.value.details


async def test_validation_errors_async(served: Served) -> None:
    async with OpenaiAsyncClient(served.base_url) as client:
        with pytest.raises(RequestValidationError) as body:
            await client.create_embedding(BAD_BODY)
    assert any("input" in loc for loc in _locations(body.value)), body.value.details
    async with ImagesAsyncClient(served.base_url) as images:
        with pytest.raises(RequestValidationError) as path:
            await images.get_image_job(job_id="NOT-A-JOB")
    assert any("job_id" in loc for loc in _locations(path.value)), path.value.details
    async with ChatAsyncClient(served.base_url) as chat:
        stream = chat.chat_stream(chat_request("x"), x_session_id="s" * 129)
        with pytest.raises(RequestValidationError) as header:
            await stream.open()
    assert _locations(header.value) == [["X-Session-Id"]], header.value.details


# -- 503 retried, then succeeding -----------------------------------------------------------


def _busy_once(key: str) -> CreateEmbeddingRequest:
    return CreateEmbeddingRequest.model_validate({"model": f"busy-once:{key}", "input": "abc"})


def test_503_retried_then_succeeds_sync(served: Served) -> None:
    key = uuid.uuid4().hex
    with OpenaiClient(served.base_url, retries=2) as client:
        reply = client.create_embedding(_busy_once(key))
    assert reply.data[0].embedding == [3.0]
    calls = served.wait_for_file(f"{key}.calls").split()
    assert len(calls) == 2 and calls[0] == calls[1]  # one call, retried with its trace id


async def test_503_retried_then_succeeds_async(served: Served) -> None:
    key = uuid.uuid4().hex
    async with OpenaiAsyncClient(served.base_url, retries=2) as client:
        reply = await client.create_embedding(_busy_once(key))
    assert reply.data[0].embedding == [3.0]
    assert len(served.wait_for_file(f"{key}.calls").split()) == 2


def test_503_not_retried_when_retries_are_off(served: Served) -> None:
    key = uuid.uuid4().hex
    with OpenaiClient(served.base_url, retries=0) as client, pytest.raises(ServerError) as info:
        client.create_embedding(_busy_once(key))
    assert info.value.status == 503
    assert len(served.wait_for_file(f"{key}.calls").split()) == 1


# -- a worker that never answers: the client's timeout, on time -----------------------------

HANG_BODY = CreateEmbeddingRequest.model_validate({"model": "hang", "input": "x"})


def _server_saw_the_client_leave(served: Served, trace_id: str) -> None:
    """The worker cancelled the handler of ``trace_id``: a timed-out call holds no slot."""
    served.worker.wait_for_line(lambda line: trace_id in line and "client disconnected" in line)


def test_never_answering_server_times_out_sync(served: Served) -> None:
    json_id, stream_id = uuid.uuid4().hex, uuid.uuid4().hex
    with OpenaiClient(served.base_url, timeout=TIMEOUT) as client:
        started = time.monotonic()
        with pytest.raises(RequestTimeoutError):
            client.create_embedding(HANG_BODY, trace_id=json_id)
        assert TIMEOUT * 0.9 <= time.monotonic() - started < TIMEOUT + MARGIN
        started = time.monotonic()
        hang = client.create_chat_completion_stream(
            completion_request("x", "hang"), trace_id=stream_id
        )
        with pytest.raises(RequestTimeoutError), hang as s:
            next(s)
        assert TIMEOUT * 0.9 <= time.monotonic() - started < TIMEOUT + MARGIN
    _server_saw_the_client_leave(served, json_id)
    _server_saw_the_client_leave(served, stream_id)


async def test_never_answering_server_times_out_async(served: Served) -> None:
    json_id, stream_id = uuid.uuid4().hex, uuid.uuid4().hex
    async with OpenaiAsyncClient(served.base_url) as client:
        started = time.monotonic()
        with pytest.raises(RequestTimeoutError):
            await client.create_embedding(HANG_BODY, timeout=TIMEOUT, trace_id=json_id)
        assert TIMEOUT * 0.9 <= time.monotonic() - started < TIMEOUT + MARGIN
        started = time.monotonic()
        stream = client.create_chat_completion_stream(
            completion_request("x", "hang"), timeout=TIMEOUT, trace_id=stream_id
        )
        with pytest.raises(RequestTimeoutError):
            async with stream as chunks:
                await chunks.__anext__()
        assert TIMEOUT * 0.9 <= time.monotonic() - started < TIMEOUT + MARGIN
    _server_saw_the_client_leave(served, json_id)
    _server_saw_the_client_leave(served, stream_id)
