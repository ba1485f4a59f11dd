"""``gmi_ieops.batching.Batcher``: the cut-offs, per-caller failures, cancellation, timeouts,
admission and drain. No timed assertions: batches are held open with events, and every wait
is bounded by a generous ``asyncio.wait_for`` only so a bug fails instead of hanging."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Sequence
from typing import TypeVar

import pytest
from gmi_ieops.batching import BatchClosed, Batcher, BatchOverloaded, BatchStalled

T = TypeVar("T")
BOUND = 10.0  # seconds before a stuck test fails (never reached when it passes)
FOREVER_MS = 600_000.0  # a wait cut-off that must not be what ends a batch


async def bounded(awaitable: Awaitable[T]) -> T:
    return await asyncio.wait_for(awaitable, BOUND)


class Model:
    """A batch function that records its batches; optionally held until ``release``."""

    def __init__(self, held: bool = False) -> None:
        self.batches: list[list[str]] = []
        self.gate = asyncio.Event()
        self.started = asyncio.Event()
        if not held:
            self.gate.set()

    async def __call__(self, items: list[str]) -> Sequence[str | BaseException]:
        self.batches.append(list(items))
        self.started.set()
        await self.gate.wait()
        return [
            ValueError(f"bad item {item!r}") if item.startswith("bad") else item.upper()
            for item in items
        ]

    def release(self) -> None:
        self.gate.set()


async def test_a_full_batch_runs_without_waiting_for_the_wait_cutoff() -> None:
    model = Model()
    batcher: Batcher[str, str] = Batcher(model, max_size=4, max_wait_ms=FOREVER_MS)
    results = await bounded(asyncio.gather(*(batcher.submit(f"t{i}") for i in range(8))))
    assert results == [f"T{i}" for i in range(8)]
    assert [len(b) for b in model.batches] == [4, 4]
    assert batcher.stats.sizes == {4: 2}


async def test_the_wait_cutoff_runs_a_partial_batch() -> None:
    model = Model()
    batcher: Batcher[str, str] = Batcher(model, max_size=100, max_wait_ms=1, always_wait=True)
    pending = asyncio.gather(*(batcher.submit(x) for x in "abc"))
    await asyncio.sleep(0)
    assert batcher.waiting == 3  # not full: waiting for more, up to 1 ms
    assert list(await bounded(pending)) == ["A", "B", "C"]
    assert model.batches == [["a", "b", "c"]]


async def test_a_lone_caller_of_an_idle_batcher_does_not_wait() -> None:
    model = Model()
    batcher: Batcher[str, str] = Batcher(model, max_size=100, max_wait_ms=FOREVER_MS)
    assert await bounded(batcher.submit("alone")) == "ALONE"
    assert await bounded(batcher.submit("again")) == "AGAIN"
    assert model.batches == [["alone"], ["again"]]


async def test_items_are_counted_not_callers() -> None:
    model = Model()
    batcher: Batcher[str, str] = Batcher(model, max_size=8, max_wait_ms=1)
    many = [f"m{i}" for i in range(20)]
    big, small = await bounded(asyncio.gather(batcher.submit_many(many), batcher.submit("s")))
    assert big == [item.upper() for item in many] and small == "S"
    assert sum(len(b) for b in model.batches) == 21
    assert max(len(b) for b in model.batches) == 8
    assert batcher.stats.items == 21 and batcher.stats.largest == 8


async def test_an_item_error_goes_to_its_caller_only() -> None:
    model = Model()
    batcher: Batcher[str, str] = Batcher(model, max_size=8, max_wait_ms=1)
    good = batcher.submit_many(["a", "b"])
    bad = batcher.submit_many(["c", "bad-d"])
    results = await bounded(asyncio.gather(good, bad, return_exceptions=True))
    assert results[0] == ["A", "B"]
    assert isinstance(results[1], ValueError) and "bad-d" in str(results[1])
    assert len(model.batches) == 1  # one model call for both


async def test_a_batch_that_raises_is_rerun_caller_by_caller() -> None:
    calls: list[list[str]] = []

    def fn(items: list[str]) -> list[str]:
        calls.append(list(items))
        if any(item.startswith("bad") for item in items):
            raise ValueError("the model refused an input")
        return [item.upper() for item in items]

    batcher: Batcher[str, str] = Batcher(fn, max_size=8, max_wait_ms=1)
    results = await bounded(
        asyncio.gather(
            batcher.submit("a"), batcher.submit("bad"), batcher.submit("c"), return_exceptions=True
        )
    )
    assert results[0] == "A" and results[2] == "C"
    assert isinstance(results[1], ValueError)
    assert calls[0] == ["a", "bad", "c"] and sorted(calls[1:]) == [["a"], ["bad"], ["c"]]
    assert batcher.stats.retried == 1


async def test_a_caller_that_leaves_does_not_fail_the_batch() -> None:
    model = Model(held=True)
    batcher: Batcher[str, str] = Batcher(model, max_size=8, max_wait_ms=1)
    leaving = asyncio.ensure_future(batcher.submit("gone"))
    staying = asyncio.ensure_future(batcher.submit("stay"))
    await bounded(model.started.wait())  # both are in the running batch
    leaving.cancel()
    model.release()
    assert await bounded(staying) == "STAY"
    with pytest.raises(asyncio.CancelledError):
        await leaving
    assert model.batches == [["gone", "stay"]]


async def test_a_caller_that_leaves_before_its_batch_takes_its_items_out() -> None:
    model = Model(held=True)
    batcher: Batcher[str, str] = Batcher(model, max_size=1, max_wait_ms=1)
    first = asyncio.ensure_future(batcher.submit("first"))
    await bounded(model.started.wait())
    queued = asyncio.ensure_future(batcher.submit_many(["x", "y"]))
    after = asyncio.ensure_future(batcher.submit("after"))
    await asyncio.sleep(0)
    assert batcher.waiting == 3
    queued.cancel()
    await asyncio.sleep(0)
    assert batcher.waiting == 1
    model.release()
    assert list(await bounded(asyncio.gather(first, after))) == ["FIRST", "AFTER"]
    assert model.batches == [["first"], ["after"]]


async def test_a_caller_timeout_composes() -> None:
    model = Model(held=True)
    batcher: Batcher[str, str] = Batcher(model, max_size=8, max_wait_ms=1)
    patient = asyncio.ensure_future(batcher.submit("patient"))

    async def hasty() -> str:
        return await asyncio.wait_for(batcher.submit("hasty"), 0.05)

    with pytest.raises(asyncio.TimeoutError):
        await hasty()
    model.release()
    assert await bounded(patient) == "PATIENT"


async def test_a_full_queue_refuses_at_once() -> None:
    model = Model(held=True)
    batcher: Batcher[str, str] = Batcher(model, max_size=2, max_wait_ms=1, queue_size=4)
    running = asyncio.ensure_future(batcher.submit_many(["r1", "r2"]))
    await bounded(model.started.wait())  # the running batch holds no queue place
    queued = asyncio.ensure_future(batcher.submit_many(["q1", "q2", "q3", "q4"]))
    await asyncio.sleep(0)
    with pytest.raises(BatchOverloaded):
        await batcher.submit("one-too-many")
    assert batcher.stats.refused == 1
    model.release()
    assert await bounded(running) == ["R1", "R2"]
    assert await bounded(queued) == ["Q1", "Q2", "Q3", "Q4"]


async def test_one_submission_larger_than_the_queue_is_taken_when_none_waits() -> None:
    batcher: Batcher[str, str] = Batcher(Model(), max_size=2, max_wait_ms=1, queue_size=3)
    assert await bounded(batcher.submit_many(list("abcdef"))) == list("ABCDEF")


async def test_close_runs_the_pending_batch_and_then_refuses() -> None:
    model = Model()
    batcher: Batcher[str, str] = Batcher(
        model, max_size=100, max_wait_ms=FOREVER_MS, always_wait=True
    )
    pending = asyncio.gather(batcher.submit("a"), batcher.submit("b"))
    await asyncio.sleep(0)
    assert batcher.waiting == 2  # waiting for more items (or the wait cut-off)
    await bounded(batcher.close())
    assert list(await pending) == ["A", "B"]
    with pytest.raises(BatchClosed):
        await batcher.submit("late")


async def test_a_sync_function_runs_in_a_thread_and_batches_are_observed() -> None:
    threads: list[threading.Thread] = []
    observed: list[tuple[str, int]] = []

    def fn(items: list[int]) -> list[int]:
        threads.append(threading.current_thread())
        return [item * 2 for item in items]

    batcher: Batcher[int, int] = Batcher(
        fn, max_size=3, max_wait_ms=1, name="double", observe=lambda n, s: observed.append((n, s))
    )
    assert await bounded(asyncio.gather(*(batcher.submit(i) for i in range(3)))) == [0, 2, 4]
    assert threads and threads[0] is not threading.main_thread()
    assert observed == [("double", 3)]


async def test_a_wrong_number_of_results_fails_its_callers() -> None:
    batcher: Batcher[str, str] = Batcher(lambda items: ["only-one"], max_size=2, max_wait_ms=1)
    with pytest.raises(RuntimeError, match="returned 1 results for 2 items"):
        await bounded(batcher.submit_many(["a", "b"]))


def test_bad_settings_are_refused() -> None:
    for bad in ({"max_size": 0}, {"max_wait_ms": -1}, {"concurrency": 0}, {"queue_size": -1}):
        with pytest.raises(ValueError):
            Batcher(Model(), **bad)  # type: ignore[arg-type]


def held_model_call(gate: threading.Event, started: threading.Event, items: list[str]) -> list[str]:
    """A sync model call that hangs until ``gate`` (a model stuck on its device)."""
    started.set()
    gate.wait(BOUND)
    return [item.upper() for item in items]


async def test_a_batch_that_outlives_stall_after_stalls_the_batcher_until_it_returns(
    caplog: pytest.LogCaptureFixture,
) -> None:
    gate, started = threading.Event(), threading.Event()

    def model(items: list[str]) -> list[str]:
        return held_model_call(gate, started, items)

    batcher: Batcher[str, str] = Batcher(model, max_size=4, max_wait_ms=1, stall_after=0.1)
    running = asyncio.ensure_future(batcher.submit("stuck"))
    await bounded(asyncio.to_thread(started.wait, BOUND))
    waiting = asyncio.ensure_future(batcher.submit("waiting"))
    # The waiting caller is refused once the batch has run for stall_after ...
    with (
        caplog.at_level("WARNING", logger="gmi_ieops.batching"),
        pytest.raises(BatchStalled, match="has run for"),
    ):
        await bounded(waiting)
    assert batcher.stalled and batcher.waiting == 0
    # ... new ones at once, and the log shows where the model thread is.
    with pytest.raises(BatchStalled):
        await batcher.submit("new")
    assert isinstance(BatchStalled("x"), BatchOverloaded)  # the runtime answers it 503
    warning = "\n".join(r.getMessage() for r in caplog.records)
    assert "held_model_call" in warning and "gate.wait" in warning
    gate.set()
    assert await bounded(running) == "STUCK"
    assert not batcher.stalled
    assert await bounded(batcher.submit("after")) == "AFTER"
    await batcher.close()
