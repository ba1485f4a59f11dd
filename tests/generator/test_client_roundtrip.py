"""The generated ``Client`` / ``AsyncClient`` against the example workers, over a Unix socket."""

from __future__ import annotations

import pytest
from gmi_ieops.client import NotFoundError, RequestValidationError

from generated.chat.client import AsyncClient as ChatAsyncClient
from generated.chat.client import Client as ChatClient
from generated.chat.models import ChatRequest, Lang
from generated.images.client import AsyncClient as ImagesAsyncClient
from generated.images.models import DoneEvent, ImageJobRequest, ProgressEvent
from generated.openai.client import Client as OpenaiClient
from generated.openai.models import CreateChatCompletionRequest, CreateEmbeddingRequest
from tests.support.worker import WorkerProcess


def test_sync_client_json_and_stream(openai_worker: WorkerProcess) -> None:
    with OpenaiClient(f"unix://{openai_worker.socket_path}") as client:
        assert client.list_models().data[0].id == "echo-1"
        assert client.retrieve_model(model="echo-1").id == "echo-1"
        with pytest.raises(NotFoundError, match="'org/model' does not"):  # slash encoded
            client.retrieve_model(model="org/model")
        embedded = client.create_embedding(
            CreateEmbeddingRequest.model_validate(
                {"model": "hash-embedder", "input": "hello", "dimensions": 8}
            )
        )
        assert len(embedded.data[0].embedding) == 8
        request = CreateChatCompletionRequest.model_validate(
            {"model": "echo-1", "messages": [{"role": "user", "content": "a b"}]}
        )
        assert client.create_chat_completion(request).choices[0].message.content == (
            "You said: a b"
        )
        with client.create_chat_completion_stream(request) as stream:
            text = "".join(c.choices[0].delta.content or "" for c in stream)
        assert text == "You said: a b"
        bad = CreateEmbeddingRequest.model_construct(model="e", input=42)  # neither text nor list
        with pytest.raises(RequestValidationError):
            client.create_embedding(bad)


def test_sync_client_websocket_and_header_params(chat_worker: WorkerProcess) -> None:
    request = ChatRequest.model_validate({"messages": [{"role": "user", "content": "hi"}]})
    with ChatClient(f"unix://{chat_worker.socket_path}") as client:
        with client.chat_stream(request, x_session_id="s-1") as stream:
            frames = list(stream)
        assert frames[-1].stopped
        with client.chat_socket(lang=Lang.en) as ws:
            ws.send(request)
            got = []
            while True:
                frame = ws.receive(timeout=10)
                got.append(frame)
                if frame.stopped:
                    break
        assert "".join(r.content for f in got for r in f.results or []) == "hi"


async def test_async_clients(chat_worker: WorkerProcess, images_worker: WorkerProcess) -> None:
    async with ChatAsyncClient(f"unix://{chat_worker.socket_path}") as chat:
        request = ChatRequest.model_validate({"messages": [{"role": "user", "content": "x"}]})
        assert (await chat.chat_complete(request)).message == "x"
    async with ImagesAsyncClient(f"unix://{images_worker.socket_path}") as images:
        job = await images.create_image_job(
            ImageJobRequest.model_validate({"prompt": "p", "steps": 2})
        )
        events = [e.root async for e in images.stream_image_job(job_id=job.id)]
        assert [type(e) for e in events] == [ProgressEvent, ProgressEvent, DoneEvent]
        with pytest.raises(NotFoundError):
            await images.get_image_job(job_id="job-404")


def test_client_does_not_import_the_server() -> None:
    import subprocess
    import sys

    from .conftest import ROOT

    probe = (
        "import sys\nimport generated.openai.client, generated.chat.client\n"
        "print(sorted(m for m in ('fastapi', 'starlette', 'uvicorn', 'gmi_ieops.handler')"
        " if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
