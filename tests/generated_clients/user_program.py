"""A small user program calling every generated method, sync and async.

It is checked with ``mypy --strict`` (so the generated signatures are usable as typed API)
and run against the test worker (tests/generated_clients/app.py). It imports only the
generated clients and models, as a caller of a worker would.
"""

from __future__ import annotations

from generated.chat.client import AsyncClient as ChatAsyncClient
from generated.chat.client import Client as ChatClient
from generated.chat.models import ChatFrame, ChatMessage, ChatRequest, Lang, Role
from generated.images.client import AsyncClient as ImagesAsyncClient
from generated.images.client import Client as ImagesClient
from generated.images.models import DoneEvent, ImageJob, ImageJobEvent, ImageJobRequest
from generated.openai.client import AsyncClient as OpenaiAsyncClient
from generated.openai.client import Client as OpenaiClient
from generated.openai.models import (
    ChatCompletionChunk,
    ChatCompletionRequestUserMessage,
    CreateChatCompletionRequest,
    CreateEmbeddingRequest,
    Purpose,
)


def chat_request(text: str) -> ChatRequest:
    return ChatRequest(messages=[ChatMessage(role=Role.user, content=text)])


def user(text: str) -> ChatCompletionRequestUserMessage:
    return ChatCompletionRequestUserMessage(role="user", content=text)


def completion_request(text: str, model: str = "echo") -> CreateChatCompletionRequest:
    return CreateChatCompletionRequest(model=model, messages=[user(text)])


def embedding_request(text: str | list[str]) -> CreateEmbeddingRequest:
    # an inline oneOf of a string and a list of strings is a plain typed union
    return CreateEmbeddingRequest(model="echo", input=text)


def frame_text(frames: list[ChatFrame]) -> str:
    return "".join(result.content for frame in frames for result in frame.results or [])


def chunk_text(chunks: list[ChatCompletionChunk]) -> str:
    return " ".join(chunk.choices[0].delta.content or "" for chunk in chunks)


def event_types(events: list[ImageJobEvent]) -> list[str]:
    return [event.root.type for event in events]


def files_roundtrip_sync(openai: OpenaiClient) -> str:
    """Upload, list, describe, download (whole and streamed), delete: one summary line."""
    stored = openai.create_file(file=("notes.txt", b"one\ntwo\n"), purpose=Purpose.user_data)
    listed = [f.id for f in openai.list_files(purpose="user_data").data]
    name = openai.retrieve_file(file_id=stored.id).filename
    whole = openai.download_file(file_id=stored.id)
    with openai.download_file_stream(file_id=stored.id) as stream:
        streamed = stream.read()
    deleted = openai.delete_file(file_id=stored.id).deleted
    return f"{stored.id in listed} {name} {whole == streamed} {whole!r} {deleted}"


async def files_roundtrip_async(openai: OpenaiAsyncClient) -> str:
    """The same through the asynchronous client."""
    stored = await openai.create_file(file=("notes.txt", b"one\ntwo\n"), purpose=Purpose.user_data)
    listed = [f.id for f in (await openai.list_files(purpose="user_data")).data]
    name = (await openai.retrieve_file(file_id=stored.id)).filename
    whole = await openai.download_file(file_id=stored.id)
    async with await openai.download_file_stream(file_id=stored.id) as stream:
        streamed = await stream.read()
    deleted = (await openai.delete_file(file_id=stored.id)).deleted
    return f"{stored.id in listed} {name} {whole == streamed} {whole!r} {deleted}"


def run_sync(base_url: str) -> list[str]:
    """Call every method of the three synchronous clients; one line per result."""
    lines: list[str] = []
    with OpenaiClient(base_url) as openai:
        lines.append(openai.list_models().data[0].id)
        lines.append(openai.retrieve_model(model="m 1").id)
        lines.append(str(openai.create_embedding(embedding_request("four")).data[0].embedding))
        reply = openai.create_chat_completion(completion_request("a b"))
        lines.append(reply.choices[0].message.content or "")
        with openai.create_chat_completion_stream(completion_request("c d")) as chunks:
            lines.append(chunk_text(list(chunks)))
        raw = openai.with_raw_response.retrieve_model(model="m 1")
        lines.append(f"{raw.status_code} {raw.data.id} {raw.trace_id == openai.last_trace_id}")
        # the body as keywords, and the JSON-or-SSE operation typed by stream=True
        lines.append(str(openai.create_embedding(model="echo", input="four").data[0].embedding))
        with openai.create_chat_completion(model="echo", messages=[user("e f")], stream=True) as s:
            lines.append(chunk_text(list(s)))
        lines.append(files_roundtrip_sync(openai))
    with ChatClient(base_url, timeout=10) as chat:
        lines.append(chat.chat_complete(chat_request("hi")).message)
        with chat.chat_stream(chat_request("yo"), x_session_id="s1") as frames:
            lines.append(frame_text(list(frames)))
        with chat.chat_socket(lang=Lang.zh) as session:
            session.send(chat_request("ws"))
            lines.append(frame_text([session.receive(timeout=10)]))
    with ImagesClient(base_url) as images:
        job: ImageJob = images.create_image_job(ImageJobRequest(prompt="cat", steps=2))
        lines.append(images.get_image_job(job_id=job.id).status.value)
        with images.stream_image_job(job_id=job.id) as events:
            collected = list(events)
        lines.append(",".join(event_types(collected)))
        done = collected[-1].root
        assert isinstance(done, DoneEvent)
        lines.append(done.images[0].url)
    return lines


async def run_async(base_url: str) -> list[str]:
    """The same calls through the asynchronous clients."""
    lines: list[str] = []
    async with OpenaiAsyncClient(base_url) as openai:
        lines.append((await openai.list_models()).data[0].id)
        lines.append((await openai.retrieve_model(model="m 1")).id)
        embedded = await openai.create_embedding(embedding_request(["four"]))
        lines.append(str(embedded.data[0].embedding))
        reply = await openai.create_chat_completion(completion_request("a b"))
        lines.append(reply.choices[0].message.content or "")
        async with openai.create_chat_completion_stream(completion_request("c d")) as chunks:
            lines.append(chunk_text([chunk async for chunk in chunks]))
        raw = await openai.with_raw_response.retrieve_model(model="m 1")
        lines.append(f"{raw.status_code} {raw.data.id} {raw.trace_id == openai.last_trace_id}")
        embedded = await openai.create_embedding(model="echo", input=["four"])
        lines.append(str(embedded.data[0].embedding))
        stream = await openai.create_chat_completion(
            model="echo", messages=[user("e f")], stream=True
        )
        async with stream as chunks:
            lines.append(chunk_text([chunk async for chunk in chunks]))
        lines.append(await files_roundtrip_async(openai))
    async with ChatAsyncClient(base_url, timeout=10) as chat:
        lines.append((await chat.chat_complete(chat_request("hi"))).message)
        async with chat.chat_stream(chat_request("yo"), x_session_id="s1") as frames:
            lines.append(frame_text([frame async for frame in frames]))
        async with chat.chat_socket(lang=Lang.zh) as session:
            await session.send(chat_request("ws"))
            lines.append(frame_text([await session.receive()]))
    async with ImagesAsyncClient(base_url) as images:
        job: ImageJob = await images.create_image_job(ImageJobRequest(prompt="cat", steps=2))
        lines.append((await images.get_image_job(job_id=job.id)).status.value)
        async with images.stream_image_job(job_id=job.id) as events:
            collected = [event async for event in events]
        lines.append(",".join(event_types(collected)))
        done = collected[-1].root
        assert isinstance(done, DoneEvent)
        lines.append(done.images[0].url)
    return lines


EXPECTED = [
    "echo",
    "m 1",
    "[4.0]",
    "a b",
    "c d",
    "200 m 1 True",
    "[4.0]",
    "e f",
    "True notes.txt True b'one\\ntwo\\n' True",
    "hi",
    "[s1] yo",
    "zh: ws",
    "queued",
    "progress,progress,done",
    "gmifs://images/job-{n}/0.png",
]
"""What both programs return against the test worker (``{n}``: the job number)."""
