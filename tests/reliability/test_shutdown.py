"""Shutdown is bounded whatever the handlers do; cut requests get the envelope."""

from __future__ import annotations

import asyncio
import signal
import time

import httpx

from .conftest import ExitClock, Start, record_figure


async def test_stuck_sync_handler_does_not_hold_shutdown(
    start_worker: Start, transport: str
) -> None:
    grace = 1.0
    with start_worker(GRACEFUL_SHUTDOWN_TIME=str(grace)) as worker:
        async with worker.async_client(timeout=60) as client:
            pending = asyncio.create_task(client.post("/r/sync_sleep", json={"seconds": 30}))
            await asyncio.sleep(0.3)
            worker.signal(signal.SIGTERM)
            clock = ExitClock(worker)
            reply = await pending
            code = await asyncio.to_thread(worker.wait, 15)
            took = clock.seconds()
    record_figure(f"shutdown with a stuck 30 s sync handler, G=1 s ({transport}) s", round(took, 2))
    assert took < grace + 1 + 0.5, f"shutdown took {took:.1f}s"
    assert code == 0, worker.output
    assert reply.status_code == 503
    assert reply.json()["type"] == "server_shutdown"
    assert reply.headers["x-trace-id"] == reply.json()["trace_id"]
    assert "Traceback" not in worker.output
    cut_lines = [line for line in worker.lines if "drain deadline" in line]
    assert len(cut_lines) == 1, worker.output


def test_second_signal_exits_at_once(start_worker: Start) -> None:
    with start_worker(GRACEFUL_SHUTDOWN_TIME="30") as worker:
        client = httpx.Client(transport=worker.transport(), base_url=worker.url or "http://w")
        stream = client.stream("POST", "/r/sync_sleep", json={"seconds": 30}, timeout=30)
        try:
            with _background(stream):
                time.sleep(0.3)
                worker.signal(signal.SIGTERM)
                time.sleep(0.3)
                started = time.monotonic()
                worker.signal(signal.SIGTERM)
                code = worker.wait(5)
                took = time.monotonic() - started
        finally:
            client.close()
    record_figure("second signal to exit s", round(took, 3))
    assert code == 1
    assert took < 0.5


async def test_responses_while_draining_say_connection_close(start_worker: Start) -> None:
    with start_worker(GRACEFUL_SHUTDOWN_TIME="5") as worker:
        async with worker.async_client(timeout=30) as holder, worker.async_client() as pooled:
            assert (await pooled.post("/r/echo", json={})).status_code == 200  # keep-alive
            slow = asyncio.create_task(holder.post("/r/async_sleep", json={"seconds": 1.5}))
            await asyncio.sleep(0.2)
            worker.signal(signal.SIGTERM)
            await asyncio.sleep(0.5)
            reply = await pooled.post("/r/echo", json={})  # on the pooled connection
            assert reply.status_code == 200
            assert reply.headers.get("connection") == "close"
            assert (await slow).status_code == 200
        assert await asyncio.to_thread(worker.wait, 15) == 0


async def test_drain_log_lines_carry_no_request_trace_id(start_worker: Start) -> None:
    with start_worker(GRACEFUL_SHUTDOWN_TIME="3", MODEL_THREAD_CONCURRENCY="32") as worker:
        async with worker.async_client(timeout=30) as client:

            async def busy(i: int) -> None:
                for _ in range(40):
                    try:
                        await client.post(
                            "/r/busy", json={"seconds": 0.02}, headers={"X-Trace-Id": f"req-{i}"}
                        )
                    except httpx.HTTPError:
                        return

            load = [asyncio.create_task(busy(i)) for i in range(16)]
            await asyncio.sleep(0.5)
            worker.signal(signal.SIGTERM)
            await asyncio.gather(*load)
        await asyncio.to_thread(worker.wait, 15)
    drain = [
        line
        for line in worker.lines
        if any(word in line for word in ("draining", "shutdown", "Shutting down", "stopped"))
    ]
    assert drain, worker.output
    leaked = [line for line in drain if "[req-" in line]
    assert not leaked, "\n".join(leaked)


class _background:
    """Run a streaming request in a thread (it only needs to be in flight)."""

    def __init__(self, stream: object) -> None:
        import threading

        self._stream = stream
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            with self._stream as r:  # type: ignore[attr-defined]
                r.read()
        except Exception:
            pass

    def __enter__(self) -> None:
        self._thread.start()

    def __exit__(self, *exc: object) -> None:
        pass
