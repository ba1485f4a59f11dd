"""The worker and the IEOPS proxy, with real processes (DESIGN §3.4, §3.5)."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.runtime.conftest import APPS
from tests.support.fake_proxy import FakeProxy
from tests.support.worker import WorkerProcess, worker_env


@pytest.fixture
def proxy() -> Iterator[FakeProxy]:
    with FakeProxy.unix() as running:
        yield running


def start(proxy: FakeProxy, cwd: Path, app: str = "kinds.py", **env: str) -> WorkerProcess:
    settings = {
        "REGISTER_ENABLED": "true",
        "REGISTER_INTERVAL": "0.3",
        "MODEL_SERVER_SOCKET_DIR": str(cwd),
        **proxy.env(),
        **env,
    }
    return WorkerProcess([sys.executable, str(APPS / app)], worker_env(**settings), cwd)


def connects(path: str) -> bool:
    probe = socket.socket(socket.AF_UNIX)
    try:
        probe.connect(path)
        return True
    except OSError:
        return False
    finally:
        probe.close()


def test_first_register_only_after_ready(proxy: FakeProxy, tmp_path: Path) -> None:
    worker = start(proxy, tmp_path, STARTUP_DELAY="1.5", APP_NAME="chat")
    try:
        # While the model loads, the worker must not be advertised.
        while not worker._listening.is_set():
            assert not proxy.registers, "registered before the worker was ready"
            assert worker.proc.poll() is None, worker.output
            time.sleep(0.01)
        with worker.client() as client:
            assert client.get("/ready").status_code == 200
        proxy.wait_for(lambda p: bool(p.registers), 3, "first register")
        body = proxy.registers[0].body
        assert body["server_socket"] == worker.socket_path
        assert body["endpoint"] == "chat" and body["weight"] == 1
        assert body["max_concurrent_reqs"] == 8
        assert body["id"].startswith("chat.") and len(body["id"]) == len("chat.") + 8
        proxy.wait_for(lambda p: len(p.registers) >= 3, 3, "heartbeats")
    finally:
        worker.stop()


def test_unregister_before_the_socket_stops_accepting(proxy: FakeProxy, tmp_path: Path) -> None:
    worker = start(proxy, tmp_path, GRACEFUL_SHUTDOWN_TIME="5")
    try:
        worker.wait_listening()
        proxy.wait_for(lambda p: bool(p.registers), 3, "register")
        assert worker.socket_path
        with (
            worker.client() as client,
            client.stream("POST", "/api/slow/finite", json={"n": 15, "interval": 0.05}) as stream,
        ):
            worker.signal(signal.SIGTERM)
            while connects(worker.socket_path):
                time.sleep(0.002)
            refused_at = time.monotonic()
            frames = stream.read().decode().count("data: ")
        assert worker.wait() == 0
    finally:
        worker.stop()
    assert frames == 16  # 15 items + [DONE]: the in-flight stream was drained
    unregisters = proxy.unregisters
    assert len(unregisters) == 1 and unregisters[0].body == {"id": proxy.registers[0].body["id"]}
    assert unregisters[0].monotonic < refused_at
    assert not os.path.exists(worker.socket_path)


async def test_sigterm_during_50_streams_completes_all(proxy: FakeProxy, tmp_path: Path) -> None:
    worker = start(proxy, tmp_path, GRACEFUL_SHUTDOWN_TIME="15", MODEL_THREAD_CONCURRENCY="64")
    try:
        await asyncio.to_thread(worker.wait_listening)
        await proxy.await_for(lambda p: bool(p.registers), 3, "register")
        async with worker.async_client(timeout=30) as client:

            async def one() -> str:
                async with client.stream(
                    "POST", "/api/slow/finite", json={"n": 20, "interval": 0.05}
                ) as r:
                    return (await r.aread()).decode()

            streams = [asyncio.create_task(one()) for _ in range(50)]
            await asyncio.sleep(0.3)
            worker.signal(signal.SIGTERM)
            bodies = await asyncio.gather(*streams)
        code = await asyncio.to_thread(worker.wait)
    finally:
        worker.stop()
    assert code == 0, worker.output
    assert all(body.count("data: ") == 21 and body.endswith("data: [DONE]\n\n") for body in bodies)
    assert len(proxy.unregisters) == 1


async def test_streams_past_the_drain_deadline_end_with_an_error_frame(
    proxy: FakeProxy, tmp_path: Path
) -> None:
    worker = start(proxy, tmp_path, GRACEFUL_SHUTDOWN_TIME="0.5")
    try:
        await asyncio.to_thread(worker.wait_listening)
        async with (
            worker.async_client(timeout=30) as client,
            client.stream("POST", "/api/slow/finite", json={"n": 1000, "interval": 0.02}) as r,
        ):
            await asyncio.sleep(0.2)
            worker.signal(signal.SIGTERM)
            body = (await r.aread()).decode()
        code = await asyncio.to_thread(worker.wait)
    finally:
        worker.stop()
    assert code == 0
    assert body.rstrip().split("\n\n")[-1].startswith("event: error")
    assert '"type": "server_shutdown"' in body


def test_proxy_down_at_start_then_back(tmp_path: Path) -> None:
    proxy = FakeProxy.unix()  # not started: its socket does not exist
    worker = start(proxy, tmp_path)
    try:
        worker.wait_listening()
        with worker.client() as client:
            assert client.post("/api/kinds/async_fn", json={}).status_code == 200
        time.sleep(1.0)
        proxy.start()
        proxy.wait_for(lambda p: bool(p.registers), 3, "register after the proxy came back")
        warnings = [line for line in worker.lines if "WARNING" in line and "proxy" in line.lower()]
        assert len(warnings) == 1, warnings  # one line per outage, not one per beat
    finally:
        worker.stop()
        proxy.close()


def test_child_crash_unregisters_and_exits_non_zero(proxy: FakeProxy, tmp_path: Path) -> None:
    worker = start(proxy, tmp_path, app="fronting.py", CHILD_LIFETIME="1.5")
    try:
        worker.wait_listening()
        proxy.wait_for(lambda p: bool(p.registers), 3, "register")
        code = worker.wait(20)
    finally:
        worker.stop()
    assert code == 3, worker.output
    assert len(proxy.unregisters) == 1
    assert worker.socket_path and not os.path.exists(worker.socket_path)


def test_workers_in_one_directory_never_evict_each_other(proxy: FakeProxy, tmp_path: Path) -> None:
    workers = [start(proxy, tmp_path, APP_NAME="same") for _ in range(3)]
    try:
        for worker in workers:
            worker.wait_listening()
        proxy.wait_for(lambda p: len(p.workers) == 3, 5, "three registered workers")
        time.sleep(1.0)  # several heartbeats later, still three
        assert len(proxy.workers) == 3
        sockets = {body["server_socket"] for body in proxy.workers.values()}
        assert sockets == {w.socket_path for w in workers}
        assert all(connects(path) for path in sockets if path)
    finally:
        for worker in workers:
            worker.stop()
    assert len(proxy.unregisters) == 3
