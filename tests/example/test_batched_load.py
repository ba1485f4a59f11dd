"""The example's embeddings under a normal load, with default settings: 32 concurrent
clients of the official ``openai`` package get no error, their texts are batched together
(the worker logs its largest batch), and every vector is the one the model gives that text
on its own (sentence-transformers in the test process, one text per call)."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from tests.example.conftest import EMBEDDING_MODEL
from tests.example.test_openai_clients import async_client, cosine, reference  # noqa: F401
from tests.support.worker import WorkerProcess

CLIENTS = 32
WORDS = [
    "cat",
    "mat",
    "kitten",
    "rug",
    "stock",
    "market",
    "rain",
    "river",
    "mountain",
    "song",
    "bread",
    "train",
]


def _texts(client: int) -> list[str]:
    """1 or 2 short texts per request, all different: a batch mixes requests of both sizes."""
    return [
        f"{WORDS[(client + k) % len(WORDS)]} number {client} item {k}"
        for k in range(1 + client % 2)
    ]


async def test_32_concurrent_openai_clients_get_no_error_and_unbatched_vectors(
    example_worker: WorkerProcess,
    reference: Any,  # noqa: F811
) -> None:
    async def one(index: int) -> tuple[list[str], list[list[float]]]:
        texts = _texts(index)
        async with async_client(example_worker) as client:
            result = await client.embeddings.create(
                model=EMBEDDING_MODEL, input=texts, encoding_format="float"
            )
        assert [item.index for item in result.data] == list(range(len(texts)))
        return texts, [list(item.embedding) for item in result.data]

    answers = await asyncio.gather(*(one(i) for i in range(CLIENTS)))  # an error fails here
    for texts, vectors in answers:
        for text, vector in zip(texts, vectors, strict=True):
            alone = reference.encode([text], normalize_embeddings=True).tolist()[0]
            assert cosine(vector, alone) == 1.0 or abs(cosine(vector, alone) - 1.0) < 1e-6
    largest = [
        int(m.group(1))
        for line in example_worker.lines
        if (m := re.search(r"createEmbedding: largest batch so far: (\d+) items", line))
    ]
    assert largest and max(largest) > 2  # texts of several requests shared a model call
