"""The OpenAI-compatible service: an example implementation.

Written once by ieops-gen as a stub, then filled in by hand: a toy "model" that echoes the
last message and embeds texts by hashing them, enough to exercise every route.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import AsyncIterator

from gmi_ieops.handler import RequestContext

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

MODEL = "echo-1"


def _reply(request: CreateChatCompletionRequest) -> str:
    return f"You said: {request.messages[-1].content}"


def _embed(text: str, dimensions: int) -> list[float]:
    digest = hashlib.sha256(text.encode()).digest()
    return [digest[i % len(digest)] / 255.0 for i in range(dimensions)]


class OpenaiServiceImpl(OpenaiService):
    """Implements :class:`OpenaiService` with a toy echo model."""

    async def list_models(self, *, context: RequestContext) -> ModelList:
        return ModelList.model_validate({"object": "list", "data": [await self._model(MODEL)]})

    async def retrieve_model(self, *, model: str, context: RequestContext) -> Model:
        return await self._model(model)

    async def _model(self, name: str) -> Model:
        return Model.model_validate(
            {"id": name, "object": "model", "created": 0, "owned_by": "ieops"}
        )

    async def create_embedding(
        self, *, body: CreateEmbeddingRequest, context: RequestContext
    ) -> CreateEmbeddingResponse:
        texts = [body.input.root] if isinstance(body.input.root, str) else body.input.root
        dimensions = body.dimensions or 8
        data = [
            {"object": "embedding", "index": i, "embedding": _embed(text, dimensions)}
            for i, text in enumerate(texts)
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
    serve(OpenaiServiceImpl())
