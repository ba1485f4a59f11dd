"""The OpenAI-compatible service: an example implementation.

Written once by ieops-gen as a stub, then filled in by hand. Embeddings come from a real
model, all-MiniLM-L6-v2 (see ``embedder.py``; ``EXAMPLE_EMBEDDER=hash`` swaps in a toy for
fast tests), whose tokenizer also counts every ``usage`` and decodes token-id inputs; chat
is a toy that echoes the last message, enough to exercise every route the way the official
``openai`` clients call them. Embeddings are batched by the runtime: the texts of concurrent
requests share one model call (``context.batch``; ``x-ieops-batch`` in ``schemas/openai.yaml``).

Run from the repository root: ``PYTHONPATH=. python examples/worker/openai_impl.py`` (a Unix
socket in the current directory; ``MODEL_SERVER_SOCKET=""`` for TCP).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Sequence

from gmi_ieops.handler import BinaryBody, RequestContext, UploadFile
from starlette.exceptions import HTTPException

from examples.worker.embedder import Embedder, from_env, shorten, to_base64
from examples.worker.files_store import FileStore
from generated.openai.models import (
    ChatCompletion,
    ChatCompletionChoice,
    ChatCompletionChunk,
    ChatCompletionChunkChoice,
    ChatCompletionResponseMessage,
    ChatCompletionStreamResponseDelta,
    ChatCompletionTextContent,
    CompletionUsage,
    CreateChatCompletionRequest,
    CreateEmbeddingRequest,
    CreateEmbeddingResponse,
    CreateFileForm,
    DeleteFileResponse,
    Embedding,
    EmbeddingUsage,
    EncodingFormat,
    FinishReason,
    Input3Item,
    ListFilesResponse,
    Model,
    ModelList,
    OpenAIFile,
    Order,
    Role,
)
from generated.openai.routes import serve
from generated.openai.service import OpenAICompatibleInferenceService

CHAT_MODEL = "echo-1"


def _no_such_model(name: str, serves: str) -> HTTPException:
    return HTTPException(
        404, f"The model '{name}' does not exist (this worker serves '{serves}' here)"
    )


def content_text(content: ChatCompletionTextContent | None) -> str:
    """A message's content as text: a string, or its text parts joined."""
    if content is None:
        return ""
    return content if isinstance(content, str) else "".join(part.text for part in content)


def _token_rows(given: Sequence[object]) -> list[list[int]]:
    """Token-id input as rows of ids: one list of ids, or a list of them."""
    rows: list[list[int]] = []
    single: list[int] = []
    for item in given:
        if isinstance(item, int):
            single.append(item)
        elif isinstance(item, Input3Item):
            rows.append(list(item.root))
    return [single] if single else rows


def _texts(body: CreateEmbeddingRequest, embedder: Embedder) -> list[str]:
    """The request's input as texts; token ids are decoded with the model's tokenizer."""
    given = body.input
    if given is None:
        raise HTTPException(400, "one of 'input' and 'input_file_id' is required")
    if isinstance(given, str):
        return [given]
    strings = [item for item in given if isinstance(item, str)]
    if strings:
        return strings
    texts = []
    rows = _token_rows(given)
    for index, row in enumerate(rows):
        try:
            texts.append(embedder.decode(row))
        except ValueError as error:
            where = "input" if isinstance(given[0], int) else f"input[{index}]"
            raise HTTPException(400, f"{where}: {error}") from error
    return texts


class OpenAICompatibleInferenceServiceImpl(OpenAICompatibleInferenceService):
    """Implements :class:`OpenAICompatibleInferenceService`: real embeddings, a toy echo chat."""

    def __init__(self, embedder: Embedder | None = None) -> None:
        self.embedder = embedder or from_env()
        self.files = FileStore()

    def load(self) -> None:
        """The startup hook: load the model before the worker listens."""
        self.embedder.load()

    async def list_models(self, *, context: RequestContext) -> ModelList:
        models = [_model(CHAT_MODEL), _model(self.embedder.name)]
        return ModelList(object="list", data=models)

    async def retrieve_model(self, *, model: str, context: RequestContext) -> Model:
        if model not in (CHAT_MODEL, self.embedder.name):
            raise _no_such_model(model, f"{CHAT_MODEL}', '{self.embedder.name}")
        return _model(model)

    def _embed(self, texts: list[str]) -> list[tuple[list[float], int]]:
        """One model call for a batch of texts (from any number of requests): each text's
        vector and token count. Runs in the worker's thread pool, off the event loop."""
        vectors = self.embedder.encode(texts)
        return list(zip(vectors, self.embedder.count_tokens(texts), strict=True))

    async def create_embedding(
        self, *, body: CreateEmbeddingRequest, context: RequestContext
    ) -> CreateEmbeddingResponse:
        if body.model != self.embedder.name:
            raise _no_such_model(body.model, self.embedder.name)
        if body.input_file_id is not None:
            if body.input is not None:
                raise HTTPException(400, "give 'input' or 'input_file_id', not both")
            texts = await self.files.lines(body.input_file_id)
            if not texts:
                raise HTTPException(400, f"file {body.input_file_id} has no text lines")
        else:
            texts = _texts(body, self.embedder)
        # Batched by texts with concurrent requests (x-ieops-batch, MODEL_BATCH_*).
        embedded = await context.batch(self._embed, texts)
        vectors = [vector for vector, _ in embedded]
        tokens = sum(count for _, count in embedded)
        as_base64 = body.encoding_format == EncodingFormat.base64
        data = []
        for i, vector in enumerate(vectors):
            short = shorten(vector, body.dimensions)
            embedding = to_base64(short) if as_base64 else short
            data.append(Embedding(object="embedding", index=i, embedding=embedding))
        return CreateEmbeddingResponse(
            object="list",
            data=data,
            model=body.model,
            usage=EmbeddingUsage(prompt_tokens=tokens, total_tokens=tokens),
        )

    # -- Files API (files_store.py) ---------------------------------------------------------

    async def create_file(
        self, *, body: CreateFileForm, file: UploadFile, context: RequestContext
    ) -> OpenAIFile:
        return OpenAIFile.model_validate(await self.files.create(file, body.purpose.value))

    async def list_files(
        self,
        *,
        purpose: str | None,
        limit: int,
        order: Order,
        after: str | None,
        context: RequestContext,
    ) -> ListFilesResponse:
        found = await self.files.list_files(purpose, limit, order.value, after)
        return ListFilesResponse.model_validate(found)

    async def retrieve_file(self, *, file_id: str, context: RequestContext) -> OpenAIFile:
        return OpenAIFile.model_validate(await self.files.retrieve(file_id))

    async def delete_file(self, *, file_id: str, context: RequestContext) -> DeleteFileResponse:
        return DeleteFileResponse.model_validate(await self.files.delete(file_id))

    async def download_file(self, *, file_id: str, context: RequestContext) -> BinaryBody:
        return await self.files.content(file_id)

    def _check_chat(self, body: CreateChatCompletionRequest) -> None:
        if body.model != CHAT_MODEL:
            raise _no_such_model(body.model, CHAT_MODEL)

    def _usage(self, body: CreateChatCompletionRequest, reply: str) -> CompletionUsage:
        prompt = [content_text(message.content) for message in body.messages]
        prompt_tokens = sum(self.embedder.count_tokens(prompt))
        completion_tokens = sum(self.embedder.count_tokens([reply]))
        return CompletionUsage(
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            total_tokens=prompt_tokens + completion_tokens,
        )

    async def create_chat_completion(
        self, *, body: CreateChatCompletionRequest, context: RequestContext
    ) -> ChatCompletion:
        self._check_chat(body)
        reply = _reply(body)
        message = ChatCompletionResponseMessage(role="assistant", content=reply, refusal=None)
        return ChatCompletion(
            id=f"chatcmpl-{context.trace_id}",
            object="chat.completion",
            created=int(time.time()),
            model=body.model,
            choices=[
                ChatCompletionChoice(index=0, message=message, finish_reason=FinishReason.stop)
            ],
            usage=self._usage(body, reply),
        )

    async def create_chat_completion_stream(
        self, *, body: CreateChatCompletionRequest, context: RequestContext
    ) -> AsyncIterator[ChatCompletionChunk]:
        self._check_chat(body)
        head = ChatCompletionChunk(
            id=f"chatcmpl-{context.trace_id}",
            object="chat.completion.chunk",
            created=int(time.time()),
            model=body.model,
            choices=[],
        )

        def chunk(
            delta: ChatCompletionStreamResponseDelta, finish: FinishReason | None = None
        ) -> ChatCompletionChunk:
            choice = ChatCompletionChunkChoice(index=0, delta=delta, finish_reason=finish)
            return head.model_copy(update={"choices": [choice]})

        reply = _reply(body)
        # as OpenAI: the role comes first
        yield chunk(ChatCompletionStreamResponseDelta(role=Role.assistant, content=""))
        words = reply.split(" ")
        for index, word in enumerate(words):
            yield chunk(
                ChatCompletionStreamResponseDelta(
                    content=word if index == len(words) - 1 else word + " "
                )
            )
        yield chunk(ChatCompletionStreamResponseDelta(), FinishReason.stop)
        if body.stream_options is not None and body.stream_options.include_usage:
            yield head.model_copy(update={"usage": self._usage(body, reply)})


def _model(name: str) -> Model:
    return Model(id=name, object="model", created=0, owned_by="ieops")


def _reply(request: CreateChatCompletionRequest) -> str:
    return f"You said: {content_text(request.messages[-1].content)}"


if __name__ == "__main__":
    service = OpenAICompatibleInferenceServiceImpl()
    serve(service, on_startup=service.load)
