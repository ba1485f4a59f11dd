"""The example worker's Files API with the official ``openai`` package (sync and async, Unix
socket and TCP) and with the generated client: upload, list, retrieve, content, delete, and
embeddings of an uploaded text file."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import openai
import pytest

from generated.openai.client import AsyncClient, Client
from generated.openai.models import CreateEmbeddingRequest, Purpose
from tests.example.conftest import EMBEDDING_MODEL
from tests.example.test_openai_clients import async_client, sync_client
from tests.support.worker import WorkerProcess


@pytest.fixture(params=["unix", "tcp"])
def worker(
    request: pytest.FixtureRequest,
    example_worker: WorkerProcess,
    example_worker_tcp: WorkerProcess,
) -> WorkerProcess:
    return example_worker if request.param == "unix" else example_worker_tcp


def _base(worker: WorkerProcess) -> str:
    return f"unix://{worker.socket_path}" if worker.socket_path else str(worker.url)


def test_openai_files_lifecycle(worker: WorkerProcess, tmp_path: Path) -> None:
    data = os.urandom(3 * 1024 * 1024 + 5)
    path = tmp_path / "train.jsonl"
    path.write_bytes(data)
    with sync_client(worker) as client:
        created = client.files.create(file=path, purpose="fine-tune")
        assert created.id.startswith("file-") and created.object == "file"
        assert (created.bytes, created.filename, created.purpose) == (
            len(data),
            "train.jsonl",
            "fine-tune",
        )
        small = client.files.create(file=("notes.txt", b"hello\n"), purpose="batch")
        assert client.files.retrieve(created.id).model_dump() == created.model_dump()
        listed = [f.id for f in client.files.list()]
        assert created.id in listed and small.id in listed
        assert [f.id for f in client.files.list(purpose="batch")] == [small.id] or small.id in [
            f.id for f in client.files.list(purpose="batch")
        ]
        content = client.files.content(created.id)
        assert content.read() == data
        deleted = client.files.delete(small.id)
        assert deleted.deleted and deleted.id == small.id
        with pytest.raises(openai.NotFoundError):
            client.files.retrieve(small.id)
        with pytest.raises(openai.NotFoundError):
            client.files.content("file-doesnotexist")
        client.files.delete(created.id)


def test_openai_files_async(worker: WorkerProcess) -> None:
    async def run() -> None:
        async with async_client(worker) as client:
            created = await client.files.create(file=("a.txt", b"abc"), purpose="assistants")
            content = await client.files.content(created.id)
            assert content.read() == b"abc"
            assert (await client.files.retrieve(created.id)).bytes == 3
            assert (await client.files.delete(created.id)).deleted

    asyncio.run(run())


def test_generated_client_streams_files_and_embeds_lines(
    worker: WorkerProcess, tmp_path: Path
) -> None:
    lines = ["A cat sits on the mat.", "", "A kitten rests on a rug.", "Stock markets fell."]
    path = tmp_path / "lines.txt"
    path.write_text("\n".join(lines) + "\n")
    with Client(_base(worker), timeout=60) as client:
        stored = client.create_file(file=path, purpose=Purpose.user_data)
        assert stored.bytes == path.stat().st_size and stored.filename == "lines.txt"
        assert client.download_file(file_id=stored.id) == path.read_bytes()
        with client.download_file_stream(file_id=stored.id) as stream:
            assert stream.length == stored.bytes
            assert stream.save_to(tmp_path / "back.txt") == stored.bytes
        assert (tmp_path / "back.txt").read_bytes() == path.read_bytes()
        request = CreateEmbeddingRequest(model=EMBEDDING_MODEL, input_file_id=stored.id)
        embedded = client.create_embedding(request)
        direct = client.create_embedding(
            CreateEmbeddingRequest.model_validate(
                {"model": EMBEDDING_MODEL, "input": [line for line in lines if line]}
            )
        )
        assert len(embedded.data) == 3
        assert [d.embedding for d in embedded.data] == [d.embedding for d in direct.data]
        client.delete_file(file_id=stored.id)

    async def run() -> None:
        async with AsyncClient(_base(worker), timeout=60) as aclient:
            stored = await aclient.create_file(file=path.read_bytes(), purpose=Purpose.batch)
            stream = await aclient.download_file_stream(file_id=stored.id)
            async with stream:
                assert await stream.read() == path.read_bytes()
            await aclient.delete_file(file_id=stored.id)

    asyncio.run(run())


def test_embeddings_need_one_input(worker: WorkerProcess) -> None:
    with sync_client(worker) as client:
        with pytest.raises(openai.BadRequestError):
            client.embeddings.create(
                model=EMBEDDING_MODEL, input="x", extra_body={"input_file_id": "file-abc"}
            )
        with pytest.raises(openai.NotFoundError):
            client.post(
                "/embeddings",
                body={"model": EMBEDDING_MODEL, "input_file_id": "file-0000"},
                cast_to=object,
            )
