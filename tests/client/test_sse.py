"""The SSE decoder, and typed event streams against real uvicorn servers."""

from __future__ import annotations

import random
import time
import uuid

import httpx
import pytest
from gmi_ieops.client import (
    APIConnectionError,
    AsyncBaseClient,
    BaseClient,
    RequestTimeoutError,
    RequestValidationError,
    ResponseValidationError,
    ServerError,
    ServerSentEvent,
    SSEDecoder,
    Timeout,
)

from . import wire_app
from .models import Item, Token

# -- the decoder -----------------------------------------------------------------------------

SAMPLE = (
    "\ufeff: a comment\r\n"
    'data: {"text": "héllo 😀 世界"}\r\n\r\n'
    "event: update\ndata: line one\ndata: line two\nid: 7\nretry: 1500\n\n"
    "data:no space\rdata:  two spaces\r\r"
    "data\n\n"
    "event: ignored-without-data\n\n"
    "id: 8\ndata: last\n\n"
    "data: unterminated"
).encode()

EXPECTED = [
    ServerSentEvent(data='{"text": "héllo 😀 世界"}'),
    ServerSentEvent(event="update", data="line one\nline two", id="7", retry=1500),
    ServerSentEvent(data="no space\n two spaces", id="7", retry=1500),
    ServerSentEvent(data="", id="7", retry=1500),
    ServerSentEvent(data="last", id="8", retry=1500),
]


def decode_in_chunks(data: bytes, cuts: list[int]) -> list[ServerSentEvent]:
    decoder = SSEDecoder()
    events: list[ServerSentEvent] = []
    start = 0
    for cut in [*cuts, len(data)]:
        events += decoder.feed(data[start:cut])
        start = cut
    events += decoder.flush()
    return events


def test_decoder_whole() -> None:
    assert decode_in_chunks(SAMPLE, []) == EXPECTED


def test_decoder_one_byte_at_a_time() -> None:
    # Splits every frame, every CRLF pair and every multi-byte UTF-8 character.
    assert decode_in_chunks(SAMPLE, list(range(1, len(SAMPLE)))) == EXPECTED


def test_decoder_random_chunking() -> None:
    rng = random.Random(1234)
    for _ in range(300):
        cuts = sorted(rng.sample(range(1, len(SAMPLE)), rng.randint(1, 25)))
        assert decode_in_chunks(SAMPLE, cuts) == EXPECTED, cuts


def test_decoder_utf8_split_inside_character() -> None:
    frame = "data: 😀\n\n".encode()  # the emoji is 4 bytes: cut after each of them
    for cut in range(7, 10):
        assert decode_in_chunks(frame, [cut]) == [ServerSentEvent(data="😀")]


def test_decoder_cr_then_lf_in_next_chunk_is_one_line_end() -> None:
    data = b"data: a\r\n\r\ndata: b\r\n\r\n"
    assert decode_in_chunks(data, [8, 9, 10]) == [
        ServerSentEvent(data="a"),
        ServerSentEvent(data="b"),
    ]
    # A lone CR followed by a real line is two line ends, not one.
    assert decode_in_chunks(b"data: a\r\rdata: b\r\r", [8]) == [
        ServerSentEvent(data="a"),
        ServerSentEvent(data="b"),
    ]


def test_decoder_flush_drops_unterminated_event() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: half") == []
    assert decoder.flush() == []
    assert decoder.feed(b"data: next\n\n") == [ServerSentEvent(data="next")]


# -- streams against a real server -----------------------------------------------------------


def key() -> str:
    return uuid.uuid4().hex


def wait_for_end(k: str, timeout: float = 3.0) -> str | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if k in wire_app.stream_ends:
            return wire_app.stream_ends[k]
        time.sleep(0.01)
    return None


def expected_tokens(n: int) -> list[Token]:
    return [Token(index=i, text=f"tok{i} héllo 😀") for i in range(n)]


def test_stream_sync(base_url: str) -> None:
    k = key()
    with BaseClient(base_url) as client:
        stream = client._stream(
            "POST", "/v1/stream", query={"n": 4, "key": k}, event_model=Token, trace_id="s-1"
        )
        with stream:
            events = list(stream)
            assert stream.trace_id == "s-1" and stream.response is not None
            assert stream.response.is_closed  # closed once [DONE] arrived
    assert events == expected_tokens(4)
    assert wait_for_end(k) == "completed"


def test_stream_split_bytes_from_server(base_url: str) -> None:
    with BaseClient(base_url) as client:
        stream = client._stream(
            "POST", "/v1/stream", query={"n": 3, "mode": "split"}, event_model=Token
        )
        with stream:
            events = list(stream)
    assert events == expected_tokens(3)
    # The fixture really delivers small pieces (else this would not test splitting).
    with httpx.Client(
        transport=httpx.HTTPTransport(uds=base_url[len("unix://") :])
        if base_url.startswith("unix://")
        else None
    ) as raw:
        url = "http://localhost" if base_url.startswith("unix://") else base_url
        with raw.stream("POST", url + "/v1/stream", params={"n": 1, "mode": "split"}) as r:
            pieces = list(r.iter_raw())
    assert len(pieces) > 10, len(pieces)


async def test_stream_async(base_url: str) -> None:
    async with AsyncBaseClient(base_url) as client:
        async with client._stream(
            "POST", "/v1/stream", query={"n": 5, "mode": "split"}, event_model=Token
        ) as stream:
            events = [e async for e in stream]
        assert stream.trace_id == client.last_trace_id
    assert events == expected_tokens(5)


def test_stream_left_early_closes_connection(base_url: str) -> None:
    k = key()
    with BaseClient(base_url) as client:
        with client._stream(
            "POST", "/v1/stream", query={"n": 1000, "delay": 0.01, "key": k}, event_model=Token
        ) as stream:
            first = next(stream)
            assert first.index == 0
        # The server sees the disconnect and stops its generator.
        assert wait_for_end(k) == "cancelled"
        # The client stays usable.
        assert client._request("GET", "/v1/items/{i}", path_params={"i": 1}, response_model=Item)


async def test_async_stream_left_early_closes_connection(base_url: str) -> None:
    k = key()
    async with AsyncBaseClient(base_url) as client:
        async with client._stream(
            "POST", "/v1/stream", query={"n": 1000, "delay": 0.01, "key": k}, event_model=Token
        ) as stream:
            async for event in stream:
                if event.index == 2:
                    break
        deadline = time.monotonic() + 3
        while k not in wire_app.stream_ends and time.monotonic() < deadline:
            import anyio

            await anyio.sleep(0.01)
    assert wire_app.stream_ends.get(k) == "cancelled"


def test_error_frame_mid_stream(base_url: str) -> None:
    seen: list[Token] = []
    with BaseClient(base_url) as client:
        with (
            pytest.raises(ServerError) as info,
            client._stream(
                "POST",
                "/v1/stream",
                query={"n": 5, "fail_at": 2},
                event_model=Token,
                trace_id="e-1",
            ) as stream,
        ):
            for event in stream:
                seen.append(event)
        assert stream.response is not None and stream.response.is_closed
    assert seen == expected_tokens(2)
    err = info.value
    assert (err.message, err.type, err.trace_id) == ("model crashed", "internal_error", "e-1")


async def test_error_frame_mid_stream_async(unix_url: str) -> None:
    seen: list[Token] = []
    async with AsyncBaseClient(unix_url) as client:
        with pytest.raises(ServerError, match="model crashed"):
            async for event in client._stream(
                "POST", "/v1/stream", query={"n": 5, "fail_at": 1}, event_model=Token
            ):
                seen.append(event)
    assert seen == expected_tokens(1)


def test_error_status_before_stream(base_url: str) -> None:
    with BaseClient(base_url) as client:
        stream = client._stream("POST", "/v1/stream", query={"n": -1}, event_model=Token)
        with pytest.raises(RequestValidationError) as info:
            stream.open()
    assert info.value.status == 422 and info.value.trace_id == stream.trace_id


def test_idle_timeout_with_only_pings(unix_url: str) -> None:
    with BaseClient(unix_url) as client:
        stream = client._stream(
            "POST",
            "/v1/stream",
            query={"n": 1, "mode": "pings"},
            event_model=Token,
            idle_timeout=0.4,
        )
        with stream:
            assert next(stream).index == 0
            start = time.monotonic()
            with pytest.raises(RequestTimeoutError, match="idle timeout"):
                next(stream)
            assert 0.35 <= time.monotonic() - start < 2


async def test_idle_timeout_silent_async(base_url: str) -> None:
    async with (
        AsyncBaseClient(base_url) as client,
        client._stream(
            "POST",
            "/v1/stream",
            query={"n": 1, "mode": "silent"},
            event_model=Token,
            idle_timeout=0.3,
        ) as stream,
    ):
        assert (await stream.__anext__()).index == 0
        start = time.monotonic()
        with pytest.raises(RequestTimeoutError, match="idle timeout"):
            await stream.__anext__()
        assert 0.25 <= time.monotonic() - start < 2


async def test_idle_timeout_pings_async(unix_url: str) -> None:
    async with AsyncBaseClient(unix_url) as client:
        stream = client._stream(
            "POST",
            "/v1/stream",
            query={"n": 0, "mode": "pings"},
            event_model=Token,
            idle_timeout=0.3,
        )
        with pytest.raises(RequestTimeoutError):
            async with stream:
                async for _ in stream:
                    pass


def test_idle_timeout_silent_sync(base_url: str) -> None:
    with BaseClient(base_url) as client:
        stream = client._stream(
            "POST",
            "/v1/stream",
            query={"n": 0, "mode": "silent"},
            event_model=Token,
            idle_timeout=0.3,
        )
        start = time.monotonic()
        with pytest.raises(RequestTimeoutError) as info, stream:
            list(stream)
        assert 0.25 <= time.monotonic() - start < 2
        assert isinstance(info.value.__cause__, httpx.ReadTimeout)


def test_stream_truncated_without_done(unix_url: str) -> None:
    with BaseClient(unix_url) as client, pytest.raises(APIConnectionError, match=r"\[DONE\]"):
        list(
            client._stream(
                "POST", "/v1/stream", query={"n": 2, "mode": "truncated"}, event_model=Token
            )
        )


def test_stream_of_a_json_route_is_refused(unix_url: str) -> None:
    with (
        BaseClient(unix_url) as client,
        pytest.raises(ResponseValidationError, match="event-stream"),
    ):
        list(client._stream("GET", "/v1/items/{i}", path_params={"i": 1}, event_model=Token))


def test_event_that_does_not_fit_model(unix_url: str) -> None:
    with BaseClient(unix_url) as client, pytest.raises(ResponseValidationError, match="SSE event"):
        list(client._stream("POST", "/v1/stream", query={"n": 2}, event_model=Item))


def test_stream_open_retries_503(base_url: str) -> None:
    k = key()
    with BaseClient(base_url) as client:
        stream = client._stream("POST", "/v1/stream", query={"n": 2, "busy": k}, event_model=Token)
        with stream:
            assert [e.index for e in stream] == [0, 1]
    assert wire_app.hits[k] == 2


async def test_async_stream_open_retries_503(unix_url: str) -> None:
    k = key()
    async with AsyncBaseClient(unix_url) as client:
        events = [
            e
            async for e in client._stream(
                "POST", "/v1/stream", query={"n": 1, "busy": k}, event_model=Token
            )
        ]
    assert [e.index for e in events] == [0] and wire_app.hits[k] == 2


def test_stream_read_timeout_without_idle(unix_url: str) -> None:
    with BaseClient(unix_url, timeout=Timeout(idle=None, read=0.3)) as client:
        stream = client._stream(
            "POST", "/v1/stream", query={"n": 0, "mode": "silent"}, event_model=Token
        )
        with pytest.raises(RequestTimeoutError, match="stream read timeout"), stream:
            list(stream)


def test_stream_total_timeout_sync(base_url: str) -> None:
    with BaseClient(base_url) as client:
        stream = client._stream(
            "POST",
            "/v1/stream",
            query={"n": 1, "mode": "pings"},
            event_model=Token,
            timeout=Timeout(total=0.5, idle=None),
        )
        start = time.monotonic()
        with pytest.raises(RequestTimeoutError, match="total timeout"), stream:
            list(stream)
        assert 0.45 <= time.monotonic() - start < 2


async def test_stream_total_timeout_async(base_url: str) -> None:
    async with AsyncBaseClient(base_url) as client:
        stream = client._stream(
            "POST",
            "/v1/stream",
            query={"n": 1, "mode": "silent"},
            event_model=Token,
            timeout=Timeout(total=0.4, idle=None),
        )
        start = time.monotonic()
        with pytest.raises(RequestTimeoutError, match="total timeout"):
            async with stream:
                async for _ in stream:
                    pass
        assert 0.35 <= time.monotonic() - start < 2
