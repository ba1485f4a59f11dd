"""A worker serving test implementations of every generated service, started as a process.

The routes come from ``generated/*/routes.py`` unchanged; only the behaviour is ours, chosen
per request by the ``model`` field of OpenAI requests so that one worker serves every test:

- ``"echo"``: answer at once;
- ``"slow:<key>"``: stream a chunk every 50 ms for a long time; when the stream is stopped,
  write ``<key>.stopped`` in ``$TEST_STATE_DIR`` (the test checks the server saw it);
- ``"fail-mid"``: stream two chunks, then fail (the client gets an error frame);
- ``"hang"``: never answer;
- ``"busy-once:<key>"``: answer 503 with ``Retry-After: 0`` on the first call, then succeed;
  every call appends a line to ``<key>.calls``.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import time
from collections.abc import AsyncIterator
from datetime import datetime, timezone
from pathlib import Path

from gmi_ieops.handler import (
    BinaryBody,
    Handler,
    RequestContext,
    Server,
    UploadFile,
    WebSocketSession,
)
from starlette.exceptions import HTTPException

from generated.chat import routes as chat_routes
from generated.chat.models import ChatFrame, ChatReply, ChatRequest, Lang
from generated.chat.service import NativeChatService
from generated.images import routes as images_routes
from generated.images.models import ImageJob, ImageJobEvent, ImageJobRequest
from generated.images.service import ImageJobsService
from generated.openai import routes as openai_routes
from generated.openai.models import (
    ChatCompletion,
    ChatCompletionChunk,
    CreateChatCompletionRequest,
    CreateEmbeddingRequest,
    CreateEmbeddingResponse,
    CreateFileForm,
    DeleteFileResponse,
    ListFilesResponse,
    Model,
    ModelList,
    OpenAIFile,
    Order,
    Purpose1,
    Status,
)
from generated.openai.service import OpenAICompatibleInferenceService

STATE = Path(os.environ.get("TEST_STATE_DIR", "."))


def _append(name: str, line: str) -> None:
    with (STATE / name).open("a", encoding="utf-8") as file:
        file.write(line + "\n")


def _chunk(text: str) -> ChatCompletionChunk:
    return ChatCompletionChunk.model_validate(
        {
            "id": "chunk",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": "test",
            "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": None}],
        }
    )


def _last_text(body: CreateChatCompletionRequest) -> str:
    content = body.messages[-1].content or ""
    return content if isinstance(content, str) else "".join(part.text for part in content)


class OpenaiTestService(OpenAICompatibleInferenceService):
    async def list_models(self, *, context: RequestContext) -> ModelList:
        return ModelList.model_validate(
            {
                "object": "list",
                "data": [{"id": "echo", "object": "model", "created": 0, "owned_by": "t"}],
            }
        )

    async def retrieve_model(self, *, model: str, context: RequestContext) -> Model:
        return Model(id=model, object="model", created=0, owned_by="t")

    async def create_embedding(
        self, *, body: CreateEmbeddingRequest, context: RequestContext
    ) -> CreateEmbeddingResponse:
        if body.model == "hang":
            await asyncio.Event().wait()
        if body.model.startswith("busy-once:"):
            name = body.model.split(":", 1)[1] + ".calls"
            first = not (STATE / name).exists()
            _append(name, context.trace_id)
            if first:
                raise HTTPException(503, "busy, try again", headers={"Retry-After": "0"})
        texts = [body.input] if isinstance(body.input, str) else [str(t) for t in body.input or []]
        return CreateEmbeddingResponse.model_validate(
            {
                "object": "list",
                "data": [
                    {"object": "embedding", "index": i, "embedding": [float(len(t))]}
                    for i, t in enumerate(texts)
                ],
                "model": body.model,
                "usage": {"prompt_tokens": len(texts), "total_tokens": len(texts)},
            }
        )

    # Files in memory (tests/example/test_files_api.py tests the example's gmifs:// store).
    def __init__(self) -> None:
        self.files: dict[str, tuple[OpenAIFile, bytes]] = {}

    def _file(self, file_id: str) -> tuple[OpenAIFile, bytes]:
        if file_id not in self.files:
            raise HTTPException(404, f"no file {file_id}")
        return self.files[file_id]

    async def list_files(
        self,
        *,
        purpose: str | None,
        limit: int,
        order: Order,
        after: str | None,
        context: RequestContext,
    ) -> ListFilesResponse:
        found = [f for f, _ in self.files.values() if purpose in (None, f.purpose.value)]
        return ListFilesResponse(object="list", data=found[:limit], has_more=len(found) > limit)

    async def create_file(
        self, *, body: CreateFileForm, file: UploadFile, context: RequestContext
    ) -> OpenAIFile:
        data = await file.read()
        meta = OpenAIFile(
            id=f"file-{len(self.files)}",
            object="file",
            bytes=len(data),
            created_at=0,
            filename=file.filename or "upload",
            purpose=Purpose1(body.purpose.value),
            status=Status.processed,
        )
        self.files[meta.id] = (meta, data)
        return meta

    async def retrieve_file(self, *, file_id: str, context: RequestContext) -> OpenAIFile:
        return self._file(file_id)[0]

    async def delete_file(self, *, file_id: str, context: RequestContext) -> DeleteFileResponse:
        self._file(file_id)
        del self.files[file_id]
        return DeleteFileResponse(id=file_id, object="file", deleted=True)

    async def download_file(self, *, file_id: str, context: RequestContext) -> BinaryBody:
        return self._file(file_id)[1]

    async def create_chat_completion(
        self, *, body: CreateChatCompletionRequest, context: RequestContext
    ) -> ChatCompletion:
        return ChatCompletion.model_validate(
            {
                "id": "completion",
                "object": "chat.completion",
                "created": 0,
                "model": body.model,
                "choices": [
                    {
                        "index": 0,
                        "message": {
                            "role": "assistant",
                            "content": _last_text(body),
                            "refusal": None,
                        },
                        "finish_reason": "stop",
                    }
                ],
            }
        )

    async def create_chat_completion_stream(
        self, *, body: CreateChatCompletionRequest, context: RequestContext
    ) -> AsyncIterator[ChatCompletionChunk]:
        mode, _, key = body.model.partition(":")
        if mode == "hang":
            await asyncio.Event().wait()
        if mode == "slow":
            try:
                for i in range(400):
                    yield _chunk(f"{i} ")
                    await asyncio.sleep(0.05)
            finally:
                _append(f"{key}.stopped", str(time.time()))
            return
        if mode == "fail-mid":
            yield _chunk("one ")
            yield _chunk("two ")
            raise RuntimeError("the model crashed")
        for word in _last_text(body).split():
            yield _chunk(word)


class ChatTestService(NativeChatService):
    async def chat_stream(
        self, *, x_session_id: str | None, body: ChatRequest, context: RequestContext
    ) -> AsyncIterator[ChatFrame]:
        text = f"[{x_session_id}] {body.messages[-1].content}"
        for char in text:
            yield ChatFrame.model_validate(
                {"results": [{"content": char, "role": "assistant"}], "stopped": False}
            )
        yield ChatFrame(stopped=True)

    async def chat_complete(self, *, body: ChatRequest, context: RequestContext) -> ChatReply:
        return ChatReply(message=body.messages[-1].content)

    async def chat_socket(
        self,
        *,
        lang: Lang,
        session: WebSocketSession[ChatRequest, ChatFrame],
        context: RequestContext,
    ) -> None:
        async for request in session:
            text = f"{lang.value}: {request.messages[-1].content}"
            await session.send(
                ChatFrame.model_validate(
                    {"results": [{"content": text, "role": "assistant"}], "stopped": True}
                )
            )


class ImagesTestService(ImageJobsService):
    def __init__(self) -> None:
        self.jobs: dict[str, tuple[ImageJobRequest, ImageJob]] = {}
        self.ids = itertools.count(1)

    def _job(self, job_id: str) -> tuple[ImageJobRequest, ImageJob]:
        if job_id not in self.jobs:
            raise HTTPException(404, f"no job {job_id}")
        return self.jobs[job_id]

    async def create_image_job(self, *, body: ImageJobRequest, context: RequestContext) -> ImageJob:
        job = ImageJob.model_validate(
            {
                "id": f"job-{next(self.ids)}",
                "status": "queued",
                "created": datetime.now(timezone.utc),
            }
        )
        self.jobs[job.id] = (body, job)
        return job

    async def get_image_job(self, *, job_id: str, context: RequestContext) -> ImageJob:
        return self._job(job_id)[1]

    async def stream_image_job(
        self, *, job_id: str, context: RequestContext
    ) -> AsyncIterator[ImageJobEvent]:
        request, _ = self._job(job_id)
        for step in range(request.steps):
            yield ImageJobEvent.model_validate(
                {"type": "progress", "step": step, "total": request.steps}
            )
        yield ImageJobEvent.model_validate(
            {"type": "done", "images": [{"url": f"gmifs://images/{job_id}/0.png"}]}
        )


def server() -> Server:
    """All three generated services in one worker (their paths do not overlap)."""
    return Server(
        routers={
            "": [
                *openai_routes.routers(OpenaiTestService()),
                *chat_routes.routers(ChatTestService()),
                *images_routes.routers(ImagesTestService()),
            ]
        }
    )


if __name__ == "__main__":
    Handler(server=server()).serve()
