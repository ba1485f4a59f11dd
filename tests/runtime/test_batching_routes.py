"""Batched routes in a real worker (uvicorn on a Unix socket): ``RouterDef.batch`` with
``context.batch``, admission by queued items, per-item errors, ``MODEL_BATCH_*``."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from gmi_ieops.config import ConfigError, Env
from gmi_ieops.handler import BatchConfig, RouterDef, RouterKind

from tests.support.worker import running_worker

from .conftest import APPS


async def _until(client: httpx.AsyncClient, check: Any) -> dict[str, Any]:
    """Poll the stats route until ``check(stats)`` (bounded: a bug fails, never hangs)."""
    deadline = time.monotonic() + 10
    while True:
        stats = (await client.get("/batch/stats")).json().get("upper", {})
        if check(stats):
            return dict(stats)
        assert time.monotonic() < deadline, stats
        await asyncio.sleep(0.02)


async def test_concurrent_requests_share_batches_and_errors_stay_per_item(tmp_path: Path) -> None:
    with running_worker(
        APPS / "batched.py", tmp_path, MODEL_SERVER_SOCKET_DIR=str(tmp_path)
    ) as worker:
        async with worker.async_client() as client:
            await client.post("/batch/hold")
            bodies = [[f"r{r}-{k}" for k in range(1 + r % 3)] for r in range(12)]
            calls = [
                asyncio.ensure_future(client.post("/batch/upper", json={"items": b}))
                for b in bodies
            ]
            bad = asyncio.ensure_future(client.post("/batch/upper", json={"items": ["x", "bad-y"]}))
            await _until(client, lambda s: s.get("waiting", 0) + s.get("items", 0) >= 26)
            await client.post("/batch/release")
            responses = await asyncio.gather(*calls)
            refused = await bad
            stats = await _until(client, lambda s: s["items"] >= 26)
    for body, response in zip(bodies, responses, strict=True):
        assert response.status_code == 200
        assert response.json() == {"items": [item.upper() for item in body]}
    assert refused.status_code == 400 and "bad-y" in refused.json()["message"]
    assert stats["largest"] == 8  # items of several requests in one call, capped at max_size


async def test_a_full_batch_queue_is_503_overloaded_at_once(tmp_path: Path) -> None:
    with running_worker(
        APPS / "batched.py",
        tmp_path,
        MODEL_SERVER_SOCKET_DIR=str(tmp_path),
        MODEL_BATCH_QUEUE_SIZE="2",
        MODEL_THREAD_CONCURRENCY="1",  # request slots do not bound a batched route
        MODEL_QUEUE_SIZE="0",
    ) as worker:
        async with worker.async_client() as client:
            await client.post("/batch/hold")
            first = asyncio.ensure_future(client.post("/batch/upper", json={"items": ["a"]}))
            await _until(client, lambda s: s.get("running") == 1)
            queued = asyncio.ensure_future(client.post("/batch/upper", json={"items": ["b", "c"]}))
            await _until(client, lambda s: s.get("waiting") == 2)
            over = await client.post("/batch/upper", json={"items": ["d"]})
            await client.post("/batch/release")
            done = await asyncio.gather(first, queued)
    assert over.status_code == 503
    assert over.json()["type"] == "overloaded" and over.headers["retry-after"] == "1"
    assert [r.json()["items"] for r in done] == [["A"], ["B", "C"]]


async def test_batching_off_runs_each_call_alone(tmp_path: Path) -> None:
    with running_worker(
        APPS / "batched.py",
        tmp_path,
        MODEL_SERVER_SOCKET_DIR=str(tmp_path),
        MODEL_BATCH_ENABLED="false",
    ) as worker:
        async with worker.async_client() as client:
            answers = await asyncio.gather(
                *(client.post("/batch/upper", json={"items": [f"t{i}"]}) for i in range(4))
            )
            stats = (await client.get("/batch/stats")).json()
    assert [r.json()["items"] for r in answers] == [["T0"], ["T1"], ["T2"], ["T3"]]
    assert stats == {}  # no batcher was made


def test_bad_batch_variables_are_named() -> None:
    environ = {
        "MODEL_BATCH_MAX_SIZE": "0",
        "MODEL_BATCH_MAX_WAIT_MS": "soon",
        "MODEL_BATCH_QUEUE_SIZE": "-1",
        "MODEL_BATCH_ENABLED": "ture",
    }
    with pytest.raises(ConfigError) as caught:
        Env(environ).validate()
    text = str(caught.value)
    for name, value in environ.items():
        assert name in text and value in text
    assert Env({"MODEL_BATCH_MAX_WAIT_MS": "nan"}).model.issues()
    defaults = Env({}).model
    assert (defaults.batch_enabled, defaults.batch_max_size, defaults.batch_max_wait_ms) == (
        True,
        32,
        2.0,
    )
    assert defaults.batch_queue_size is None  # derived: 16 x the batch size


def test_batch_config_values_and_where_it_is_allowed() -> None:
    assert BatchConfig().resolve(32, 2.0, None) == (32, 2.0, 512)
    assert BatchConfig(max_size=4, max_wait_ms=0).resolve(32, 2.0, None) == (4, 0.0, 64)
    assert BatchConfig(queue_size=7).resolve(32, 2.0, 100) == (32, 2.0, 7)
    for bad in ({"max_size": 0}, {"max_wait_ms": -1}, {"queue_size": -2}, {"max_size": 1.5}):
        with pytest.raises(ValueError):
            BatchConfig(**bad)

    async def handler() -> None:
        return None

    with pytest.raises(ValueError, match="batch is for API routes"):
        RouterDef(path="s", handler=handler, kind=RouterKind.SSE, batch=BatchConfig())


async def test_a_model_call_that_outlives_the_timeout_stalls_the_route_and_ready(
    tmp_path: Path,
) -> None:
    with running_worker(
        APPS / "batched.py", tmp_path, MODEL_SERVER_SOCKET_DIR=str(tmp_path), MODEL_TIMEOUT="0.5"
    ) as worker:
        async with worker.async_client() as client:
            await client.post("/batch/hold")
            stuck = await client.post("/batch/upper", json={"items": ["a"]})
            await asyncio.sleep(0.1)  # the watchdog fires at the same deadline as the timeout
            ready = await client.get("/ready")
            refused = await client.post("/batch/upper", json={"items": ["b"]})
            await client.post("/batch/release")
            await _until(client, lambda s: s.get("running") == 0)
            ready_again = await client.get("/ready")
            served = await client.post("/batch/upper", json={"items": ["c"]})
        log = worker.output
    assert stuck.status_code == 504
    assert ready.status_code == 503
    assert ready.json() == {"status": "saturated", "stalled": ["upper"]}
    assert refused.status_code == 503 and "stalled batch" in refused.json()["message"]
    assert ready_again.status_code == 200 and served.json() == {"items": ["C"]}
    assert "has run for 0.5 s" in log and "_gate.wait" in log
