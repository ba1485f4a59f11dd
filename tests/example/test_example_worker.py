"""The example worker with its real model (all-MiniLM-L6-v2), called by the generated client."""

from __future__ import annotations

import math

from examples.worker.embedder import as_floats
from generated.openai.client import AsyncClient, Client
from generated.openai.models import CreateChatCompletionRequest, CreateEmbeddingRequest
from tests.support.worker import WorkerProcess


def cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


def test_real_embeddings_carry_meaning(example_worker: WorkerProcess) -> None:
    assert example_worker.socket_path
    with Client(f"unix://{example_worker.socket_path}", timeout=60) as client:
        assert [m.id for m in client.list_models().data] == ["echo-1", "all-MiniLM-L6-v2"]
        texts = ["A cat sits on the mat.", "A kitten rests on a rug.", "Stock markets fell today."]
        request = CreateEmbeddingRequest.model_validate(
            {"model": "all-MiniLM-L6-v2", "input": texts}
        )
        result = client.create_embedding(request)
    cat, kitten, stocks = (as_floats(item.embedding) for item in result.data)
    assert len(cat) == 384
    assert math.isclose(cosine(cat, cat), 1.0, abs_tol=1e-4)
    assert cosine(cat, kitten) > 0.5 > 0.2 > cosine(cat, stocks)
    assert [item.index for item in result.data] == [0, 1, 2]


async def test_dimensions_and_async_client(example_worker: WorkerProcess) -> None:
    request = CreateEmbeddingRequest.model_validate(
        {"model": "all-MiniLM-L6-v2", "input": "short", "dimensions": 32}
    )
    chat = CreateChatCompletionRequest.model_validate(
        {"model": "echo-1", "messages": [{"role": "user", "content": "hi there"}]}
    )
    async with AsyncClient(f"unix://{example_worker.socket_path}", timeout=60) as client:
        result = await client.create_embedding(request)
        async with client.create_chat_completion_stream(chat) as stream:
            chunks = [chunk async for chunk in stream]
    vector = as_floats(result.data[0].embedding)
    assert len(vector) == 32 and math.isclose(cosine(vector, vector), 1.0, abs_tol=1e-4)
    text = "".join(chunk.choices[0].delta.content or "" for chunk in chunks)
    assert text == "You said: hi there"
