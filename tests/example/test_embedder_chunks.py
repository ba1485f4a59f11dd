"""The example's embedder runs a batch in length-sorted chunks on a CPU (``CPU_CHUNK``):
every text must still get its own vector, in the order given, equal to one plain
sentence-transformers pass over the whole batch."""

from __future__ import annotations

import math
import os
from typing import Any

import pytest

from examples.worker.embedder import CPU_CHUNK, MiniLMEmbedder

# Lengths out of order, more texts than two chunks: sorting and chunking both matter.
TEXTS = [" ".join(["word"] * n) + f" {n}" for n in (3, 40, 1, 17, 25, 2, 60, 9, 33, 5) * 2]


@pytest.fixture(scope="module")
def embedder() -> MiniLMEmbedder:
    # Set for the load only: the variable must not leak into workers later tests spawn
    # (a seed test checks DEVICE's default there).
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DEVICE", os.environ.get("DEVICE", "cpu"))
        made = MiniLMEmbedder()
        made.load()
    return made


def cosine(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    return dot / (math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b)))


def test_chunked_vectors_are_the_whole_batchs_in_order(embedder: MiniLMEmbedder) -> None:
    assert len(TEXTS) > 2 * CPU_CHUNK
    model: Any = embedder._model
    whole = model.encode(TEXTS, batch_size=len(TEXTS), normalize_embeddings=True).tolist()
    got = embedder.encode(TEXTS)
    assert len(got) == len(TEXTS)
    assert all(type(x) is float for x in got[0])  # JSON-ready floats, not numpy scalars
    for mine, theirs in zip(got, whole, strict=True):
        assert cosine(mine, theirs) == pytest.approx(1.0, abs=1e-6)
    alone = [embedder.encode([text])[0] for text in TEXTS[:4]]
    for mine, single in zip(got[:4], alone, strict=True):
        assert cosine(mine, single) == pytest.approx(1.0, abs=1e-6)
