"""LOG_ACCESS=true: one line per request through the runtime's logging; uvicorn's too."""

from __future__ import annotations

import re
import signal

from .conftest import Start


def test_access_lines_and_uvicorn_lines_reach_the_log(start_worker: Start) -> None:
    with start_worker(LOG_ACCESS="true") as worker:
        with worker.client() as client:
            client.post("/r/echo", json={}, headers={"X-Trace-Id": "acc-1"})
            client.post("/r/bug", json={}, headers={"X-Trace-Id": "acc-2"})
            client.get("/nowhere", headers={"X-Trace-Id": "acc-3"})
            client.get("/health", headers={"X-Trace-Id": "acc-4"})
        worker.signal(signal.SIGTERM)
        assert worker.wait() == 0
    access = [line for line in worker.lines if "gmi_ieops.access" in line]
    for trace, method, path, status in (
        ("acc-1", "POST", "/r/echo", 200),
        ("acc-2", "POST", "/r/bug", 500),
        ("acc-3", "GET", "/nowhere", 404),
        ("acc-4", "GET", "/health", 200),
    ):
        lines = [line for line in access if f"[{trace}]" in line]
        assert len(lines) == 1, worker.output
        assert re.search(rf'"{method} {path}" {status} \d+\.\d+ms', lines[0]), lines[0]
    # uvicorn's own lines, in the runtime's format
    assert any(re.search(r"INFO \[-\] uvicorn(\.error)?: ", line) for line in worker.lines), (
        worker.output
    )


def test_no_access_lines_by_default(start_worker: Start) -> None:
    with start_worker() as worker, worker.client() as client:
        client.post("/r/echo", json={})
    assert not [line for line in worker.lines if "gmi_ieops.access" in line]
