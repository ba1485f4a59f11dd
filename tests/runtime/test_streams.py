"""Streams: disconnects stop handlers, failures end with an error frame, timeouts."""

from __future__ import annotations

import time

import pytest

from tests.support.worker import WorkerProcess

from .conftest import read_events
from .sse import collect, frames


def _leave_after(worker: WorkerProcess, path: str, n: int) -> float:
    """Read ``n`` frames, drop the connection, and return when that happened."""
    with worker.client() as client, client.stream("POST", path, json={"interval": 0.01}) as r:
        for seen, _ in enumerate(frames(r), start=1):
            if seen == n:
                break
        left = time.monotonic()
    return left


@pytest.mark.parametrize(
    ("path", "event"),
    [("/api/slow/async_stream", "async_stopped"), ("/api/slow/sync_stream", "sync_stopped")],
)
def test_disconnect_stops_the_handler_within_100ms(
    kinds_worker: WorkerProcess, path: str, event: str
) -> None:
    left = _leave_after(kinds_worker, path, 5)
    deadline = time.monotonic() + 2
    events = read_events(kinds_worker.events)  # type: ignore[attr-defined]
    while event not in events and time.monotonic() < deadline:
        time.sleep(0.01)
        events = read_events(kinds_worker.events)  # type: ignore[attr-defined]
    assert event in events, f"{event} never recorded"
    assert events[event] - left < 0.1, (
        f"handler stopped {events[event] - left:.3f}s after the client left"
    )
    with kinds_worker.events.open("w"):  # type: ignore[attr-defined]
        pass


def test_disconnect_cancels_an_api_handler(kinds_worker: WorkerProcess) -> None:
    import httpx

    with kinds_worker.client(timeout=0.3) as client, pytest.raises(httpx.ReadTimeout):
        client.post("/api/slow/api", json={"seconds": 30})
    left = time.monotonic()
    deadline = left + 2
    events = read_events(kinds_worker.events)  # type: ignore[attr-defined]
    while "api_stopped" not in events and time.monotonic() < deadline:
        time.sleep(0.01)
        events = read_events(kinds_worker.events)  # type: ignore[attr-defined]
    assert events["api_stopped"] - left < 0.1
    with kinds_worker.events.open("w"):  # type: ignore[attr-defined]
        pass


def test_failure_mid_stream_ends_with_an_error_frame(kinds_worker: WorkerProcess) -> None:
    with (
        kinds_worker.client() as client,
        client.stream("POST", "/api/misc/failing_stream", headers={"X-Trace-Id": "t-fail"}) as r,
    ):
        assert r.status_code == 200
        items, end, error = collect(r)
    assert items == [{"i": 0}] and end == "error"
    assert error == {
        "message": "internal server error",
        "type": "internal_error",
        "trace_id": "t-fail",
    }
    kinds_worker.wait_for_line(lambda line: "model crashed at token 1" in line)


def test_failure_before_the_first_item_is_a_plain_http_error(kinds_worker: WorkerProcess) -> None:
    with kinds_worker.client() as client:
        r = client.post("/api/misc/bad_request_stream")
    assert r.status_code == 400 and r.json()["message"] == "prompt is empty"


def test_api_timeout_is_504_and_cancels(kinds_worker: WorkerProcess) -> None:
    with kinds_worker.client() as client:
        started = time.monotonic()
        r = client.post("/api/slow/api_short_timeout", json={"seconds": 5})
        took = time.monotonic() - started
    assert r.status_code == 504 and r.json()["type"] == "timeout_error"
    assert took < 2
    events = read_events(kinds_worker.events)  # type: ignore[attr-defined]
    assert "api_stopped" in events
    with kinds_worker.events.open("w"):  # type: ignore[attr-defined]
        pass


def test_stream_timeout_ends_with_a_timeout_frame(kinds_worker: WorkerProcess) -> None:
    with (
        kinds_worker.client() as client,
        client.stream("POST", "/api/slow/stream_short_timeout", json={"interval": 0.05}) as r,
    ):
        items, end, error = collect(r)
    assert items and end == "error" and error["type"] == "timeout_error"
