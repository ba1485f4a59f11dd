"""The OpenAI-compatible service: an example implementation.

Written once by ieops-gen as a stub, then filled in by hand. Embeddings come from a real
model, all-MiniLM-L6-v2 (see ``embedder.py``; ``EXAMPLE_EMBEDDER=hash`` swaps in a toy for
fast tests); chat is a toy that echoes the last message, enough to exercise every route.

Run from the repository root: ``PYTHONPATH=. python examples/worker/openai_impl.py`` (a Unix
socket in the current directory; ``MODEL_SERVER_SOCKET=""`` for TCP).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

from gmi_ieops.handler import RequestContext

from examples.worker.embedder import Embedder, from_env, shorten
from generated.openai.models import (
    ChatCompletion,
    ChatCompletionChunk,
    CreateChatCompletionRequest,
    CreateEmbeddingRequest,
    CreateEmbeddingResponse,
    Model,
    ModelList,
)
from generated.openai.routes import serve
from generated.openai.service import OpenaiService

CHAT_MODEL = "echo-1"


def _reply(request: CreateChatCompletionRequest) -> str:
    return f"You said: {request.messages[-1].content}"


class OpenaiServiceImpl(OpenaiService):
    """Implements :class:`OpenaiService`: real embeddings, a toy echo chat."""

    def __init__(self, embedder: Embedder | None = None) -> None:
        self.embedder = embedder or from_env()

    def load(self) -> None:
        """The startup hook: load the model before the worker listens."""
        self.embedder.load()

    async def list_models(self, *, context: RequestContext) -> ModelList:
        models = [await self._model(CHAT_MODEL), await self._model(self.embedder.name)]
        return ModelList.model_validate({"object": "list", "data": models})

    async def retrieve_model(self, *, model: str, context: RequestContext) -> Model:
        return await self._model(model)

    async def _model(self, name: str) -> Model:
        return Model.model_validate(
            {"id": name, "object": "model", "created": 0, "owned_by": "ieops"}
        )

    async def create_embedding(
        self, *, body: CreateEmbeddingRequest, context: RequestContext
    ) -> CreateEmbeddingResponse:
        texts = [body.input] if isinstance(body.input, str) else body.input
        vectors = await context.run_sync(self.embedder.encode, texts)
        data = [
            {"object": "embedding", "index": i, "embedding": shorten(vector, body.dimensions)}
            for i, vector in enumerate(vectors)
        ]
        tokens = sum(len(text.split()) for text in texts)
        return CreateEmbeddingResponse.model_validate(
            {
                "object": "list",
                "data": data,
                "model": body.model,
                "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
            }
        )

    async def create_chat_completion(
        self, *, body: CreateChatCompletionRequest, context: RequestContext
    ) -> ChatCompletion:
        return ChatCompletion.model_validate(
            {
                "id": f"chatcmpl-{context.trace_id}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body.model,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": _reply(body)},
                        "finish_reason": "stop",
                    }
                ],
            }
        )

    async def create_chat_completion_stream(
        self, *, body: CreateChatCompletionRequest, context: RequestContext
    ) -> AsyncIterator[ChatCompletionChunk]:
        created = int(time.time())
        words = _reply(body).split(" ")
        for index, word in enumerate(words):
            last = index == len(words) - 1
            yield ChatCompletionChunk.model_validate(
                {
                    "id": f"chatcmpl-{context.trace_id}",
                    "object": "chat.completion.chunk",
                    "created": created,
                    "model": body.model,
                    "choices": [
                        {
                            "index": 0,
                            "delta": {"content": word if last else word + " "},
                            "finish_reason": "stop" if last else None,
                        }
                    ],
                }
            )


if __name__ == "__main__":
    service = OpenaiServiceImpl()
    serve(service, on_startup=service.load)
