"""The in-flight limit: a short queue, then 503 with Retry-After."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.support.worker import running_worker

from .conftest import APPS


async def test_overload_is_503_with_retry_after(tmp_path: Path) -> None:
    with running_worker(
        APPS / "kinds.py",
        tmp_path,
        MODEL_SERVER_SOCKET_DIR=str(tmp_path),
        MODEL_THREAD_CONCURRENCY="2",
        MODEL_QUEUE_SIZE="1",
    ) as worker:
        async with worker.async_client() as client:
            calls = [client.post("/api/slow/api", json={"seconds": 0.6}) for _ in range(5)]
            responses = await asyncio.gather(*calls)
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200, 200, 200, 503, 503]  # 2 running + 1 queued, 2 refused
    refused = [r for r in responses if r.status_code == 503]
    assert all(r.headers["retry-after"] == "1" for r in refused)
    assert all(r.json()["type"] == "overloaded" for r in refused)
