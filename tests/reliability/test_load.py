"""Load and faults at scale: abandoned streams, overload, SIGTERM mid-flight, slowloris.

Counts scale with ``RELIABILITY_SCALE``; figures go to the run's summary (see conftest).
"""

from __future__ import annotations

import asyncio
import json
import signal
import threading
import time

import httpx

from tests.support.fake_proxy import FakeProxy
from tests.support.worker import WorkerProcess

from .conftest import (
    REQUEST_HEAD,
    ExitClock,
    Start,
    connect,
    exchange,
    json_request,
    p99,
    record_figure,
    scaled,
)


def _stats(worker: WorkerProcess) -> dict[str, int]:
    with worker.client() as client:
        data: dict[str, int] = client.get("/probe/stats").json()
    return data


async def _abandon(client: httpx.AsyncClient, path: str) -> None:
    async with client.stream("POST", path, json={"n": 1000, "interval": 0.005}) as r:
        async for line in r.aiter_lines():
            if line.startswith("data: "):
                return  # leave with the stream still running


async def test_abandoned_streams_leave_nothing_behind(start_worker: Start, transport: str) -> None:
    count = scaled(1000)
    with start_worker(MODEL_THREAD_CONCURRENCY="16", MODEL_QUEUE_SIZE="64") as worker:
        async with worker.async_client() as warm:  # load every code path once
            await _abandon(warm, "/r/stream")
            await _abandon(warm, "/r/sync_stream")
        await asyncio.sleep(0.5)
        before = _stats(worker)
        started = time.monotonic()
        semaphore = asyncio.Semaphore(16)
        async with _client(worker, 16, timeout=30) as client:

            async def one(i: int) -> None:
                # leaving the stream unread closes its connection: the client is gone
                async with semaphore:
                    await _abandon(client, "/r/stream" if i % 2 else "/r/sync_stream")

            await asyncio.gather(*(one(i) for i in range(count)))
        took = time.monotonic() - started
        after = before
        for _ in range(50):  # let the worker notice the last disconnects
            await asyncio.sleep(0.1)
            after = _stats(worker)
            if after["tasks"] <= before["tasks"] and after["fds"] <= before["fds"]:
                break
    record_figure(f"abandoned streams ({transport})", f"{count} in {took:.1f} s")
    record_figure(
        f"abandoned streams RSS before/after MB ({transport})",
        f"{before['rss'] / 2**20:.1f} / {after['rss'] / 2**20:.1f}",
    )
    assert after["tasks"] <= before["tasks"], (before, after)
    assert after["fds"] <= before["fds"], (before, after)
    assert after["handler_threads"] <= 16  # the pool's own threads, none stuck in a stream
    assert after["rss"] <= before["rss"] * 1.10, (before["rss"], after["rss"])


async def test_overload_far_past_the_limit(start_worker: Start, transport: str) -> None:
    concurrency, queue = 4, 4
    count = min(scaled(400), 1500)  # beyond, the listen backlog (2048) is the limit tested
    request = json_request("/r/async_sleep", b'{"seconds": 0.3}')
    with start_worker(
        MODEL_THREAD_CONCURRENCY=str(concurrency), MODEL_QUEUE_SIZE=str(queue)
    ) as worker:
        results = await asyncio.gather(*(exchange(worker, request) for _ in range(count)))
    ok = [r for r in results if r[0] == 200]
    refused = [r for r in results if r[0] == 503]
    assert len(ok) + len(refused) == count, {r[0] for r in results}
    assert len(ok) >= concurrency + queue
    assert all(json.loads(body) == {"slept": 0.3} for _, body, _ in ok)
    assert all(json.loads(body)["type"] == "overloaded" for _, body, _ in refused)
    record_figure(
        f"overload {count} at once on {concurrency}+{queue} ({transport})",
        f"{len(ok)} admitted and finished, {len(refused)} refused, "
        f"p99 time to 503 {p99([t for _, _, t in refused]) * 1000:.0f} ms",
    )


def _client(worker: WorkerProcess, connections: int, timeout: float) -> httpx.AsyncClient:
    """A client with a pool as large as the test's concurrency."""
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    transport = (
        httpx.AsyncHTTPTransport(uds=worker.socket_path, limits=limits)
        if worker.socket_path
        else httpx.AsyncHTTPTransport(limits=limits)
    )
    return httpx.AsyncClient(
        base_url=worker.url or "http://worker", transport=transport, timeout=timeout
    )


async def test_sigterm_with_100_requests_and_streams_in_flight(
    start_worker: Start, transport: str
) -> None:
    with FakeProxy.unix() as proxy:
        settings = {
            "REGISTER_ENABLED": "true",
            "REGISTER_INTERVAL": "0.3",
            "GRACEFUL_SHUTDOWN_TIME": "1.5",
            "MODEL_THREAD_CONCURRENCY": "128",
            **proxy.env(),
        }
        with start_worker(**settings) as worker:
            await proxy.await_for(lambda p: bool(p.registers), 5, "register")
            async with _client(worker, 200, timeout=30) as client:

                async def api(seconds: float) -> str:
                    reply = await client.post("/r/async_sleep", json={"seconds": seconds})
                    if reply.status_code == 200:
                        return "complete"
                    assert reply.status_code == 503, reply.text
                    assert reply.json()["type"] == "server_shutdown"
                    return "envelope"

                async def stream(n: int) -> str:
                    async with client.stream(
                        "POST", "/r/stream", json={"n": n, "interval": 0.02}
                    ) as r:
                        body = (await r.aread()).decode()
                    if body.endswith("data: [DONE]\n\n"):
                        assert body.count("data: ") == n + 1
                        return "complete"
                    assert "event: error" in body and '"server_shutdown"' in body, body[-200:]
                    return "error frame"

                jobs = [api(0.5) for _ in range(25)] + [api(10) for _ in range(25)]
                jobs += [stream(20) for _ in range(25)] + [stream(1000) for _ in range(25)]
                tasks = [asyncio.create_task(job) for job in jobs]
                await asyncio.sleep(0.4)
                signalled = time.monotonic()
                worker.signal(signal.SIGTERM)
                clock = ExitClock(worker)
                outcomes = await asyncio.gather(*tasks)
            code = await asyncio.to_thread(worker.wait, 15)
            took = clock.seconds()
        assert code == 0, worker.output
        assert len(proxy.unregisters) == 1
        unregistered = proxy.unregisters[0].monotonic
        assert unregistered < signalled + 1.5  # before the drain deadline
    counts = {kind: outcomes.count(kind) for kind in set(outcomes)}
    assert counts.get("complete", 0) == 50, counts  # the short ones finished
    assert counts.get("envelope", 0) == 25 and counts.get("error frame", 0) == 25, counts
    record_figure(
        f"SIGTERM with 100 in flight, G=1.5 s ({transport})", f"{counts}, exit in {took:.2f} s"
    )


def test_slowloris_while_a_client_calls(start_worker: Start, transport: str) -> None:
    attackers = scaled(200)
    calls = scaled(300)
    cap = str(attackers + 100)
    with start_worker(SERVER_HEADER_TIMEOUT="2", SERVER_MAX_CONNECTIONS=cap) as worker:
        socks = [connect(worker) for _ in range(attackers)]
        for sock in socks:
            sock.sendall(REQUEST_HEAD)
        stop = threading.Event()
        closed: list[int] = []

        def drip() -> None:
            byte = 0
            while not stop.is_set():
                for i, sock in enumerate(socks):
                    if i in closed:
                        continue
                    try:
                        sock.sendall(b"X-%d: %d\r\n" % (byte, byte))
                    except OSError:
                        closed.append(i)
                byte += 1
                stop.wait(0.2)

        dripper = threading.Thread(target=drip, daemon=True)
        dripper.start()
        latencies = []
        try:
            with worker.client() as client:
                for _ in range(calls):
                    started = time.monotonic()
                    reply = client.post("/r/echo", json={"x": 1})
                    latencies.append(time.monotonic() - started)
                    assert reply.status_code == 200
            # every slowloris connection is answered 408 and closed by the header timeout
            for sock in socks:
                sock.settimeout(10)
                data = b""
                try:
                    while True:
                        chunk = sock.recv(65536)
                        if not chunk:
                            break
                        data += chunk
                except OSError:
                    pass
                assert data.startswith(b"HTTP/1.1 408"), data[:80]
        finally:
            stop.set()
            dripper.join(5)
            for sock in socks:
                sock.close()
    record_figure(
        f"slowloris {attackers} connections: normal client p99 ({transport})",
        f"{p99(latencies) * 1000:.1f} ms over {calls} calls",
    )
