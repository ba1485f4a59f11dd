"""A timed-out sync handler keeps its slot until its thread returns; no capacity -> say so."""

from __future__ import annotations

import asyncio
import time

from .conftest import Start


async def test_stuck_threads_keep_their_slots_and_ready_says_so(start_worker: Start) -> None:
    with start_worker(
        MODEL_THREAD_CONCURRENCY="2", MODEL_QUEUE_SIZE="2", SLEEP_TIMEOUT="0.3"
    ) as worker:
        async with worker.async_client() as client:
            stuck = [client.post("/r/sync_sleep", json={"seconds": 4}) for _ in range(2)]
            replies = await asyncio.gather(*stuck)
            assert [r.status_code for r in replies] == [504, 504]
            # Both threads are still sleeping: nothing can run, and the worker says so at once.
            started = time.monotonic()
            refused = await client.post("/r/sync_echo", json={})
            waited = time.monotonic() - started
            assert refused.status_code == 503, refused.text
            assert refused.json()["type"] == "overloaded"
            assert waited < 1.0  # refused at once, not queued behind stuck threads
            ready = await client.get("/ready")
            assert ready.status_code == 503 and ready.json()["status"] == "saturated"
            # Once the threads return, the slots come back.
            for _ in range(100):
                if (await client.get("/ready")).status_code == 200:
                    break
                await asyncio.sleep(0.1)
            assert (await client.post("/r/sync_echo", json={})).status_code == 200
