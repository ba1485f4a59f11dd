"""Start and stop: readiness after startup hooks, SIGTERM drains streams, exit codes."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.worker import WorkerProcess, running_worker, worker_env

from .conftest import APPS, QUICKSTART, read_events
from .sse import collect


def test_ready_only_after_startup_hooks(tmp_path: Path) -> None:
    """Nothing listens while the model loads; once listening, /ready is already 200."""
    socket_path = tmp_path / "w.sock"
    worker = WorkerProcess(
        [sys.executable, str(APPS / "kinds.py")],
        worker_env(MODEL_SERVER_SOCKET=str(socket_path), STARTUP_DELAY="2.0"),
        tmp_path,
    )
    try:
        deadline = time.monotonic() + 15
        while not socket_path.exists() and time.monotonic() < deadline:
            time.sleep(0.02)  # the socket is bound early, so a bad path fails fast
        assert socket_path.exists(), worker.output
        probe = socket.socket(socket.AF_UNIX)
        with pytest.raises(ConnectionRefusedError):
            probe.connect(str(socket_path))  # bound, not listening: hooks still running
        probe.close()
        worker.wait_listening()
        with worker.client() as client:
            assert client.get("/ready").status_code == 200
            assert client.get("/api/misc/loaded").json()["loaded"] is True
    finally:
        worker.stop()


async def test_sigterm_drains_in_flight_streams(tmp_path: Path) -> None:
    events = tmp_path / "events.txt"
    with running_worker(
        APPS / "kinds.py",
        tmp_path,
        MODEL_SERVER_SOCKET_DIR=str(tmp_path),
        EVENTS_FILE=str(events),
        GRACEFUL_SHUTDOWN_TIME="10",
        MODEL_THREAD_CONCURRENCY="16",
    ) as worker:
        async with worker.async_client() as client:

            async def stream() -> tuple[list[object], str | None]:
                async with client.stream(
                    "POST", "/api/slow/finite", json={"n": 20, "interval": 0.05}
                ) as r:
                    items: list[object] = []
                    buffer = ""
                    async for text in r.aiter_text():
                        buffer += text
                    for frame in buffer.split("\n\n"):
                        if frame.startswith("data: "):
                            items.append(frame[6:])
                    return items, items[-1] if items else None  # type: ignore[return-value]

            tasks = [asyncio.create_task(stream()) for _ in range(10)]
            await asyncio.sleep(0.3)
            worker.signal(signal.SIGTERM)
            results = await asyncio.gather(*tasks)
        code = await asyncio.to_thread(worker.wait)
    assert code == 0, worker.output
    for items, last in results:
        assert len(items) == 21 and last == "[DONE]"
    assert worker.socket_path and not os.path.exists(worker.socket_path)
    recorded = read_events(events)
    assert "shutdown" in recorded  # shutdown hook ran


def test_new_connections_refused_while_draining(tmp_path: Path) -> None:
    with running_worker(
        APPS / "kinds.py",
        tmp_path,
        MODEL_SERVER_SOCKET_DIR=str(tmp_path),
        GRACEFUL_SHUTDOWN_TIME="5",
    ) as worker:
        with (
            worker.client() as client,
            client.stream("POST", "/api/slow/finite", json={"n": 10, "interval": 0.05}) as r,
        ):
            worker.signal(signal.SIGTERM)
            time.sleep(0.3)
            assert worker.socket_path
            probe = socket.socket(socket.AF_UNIX)
            try:
                with pytest.raises(OSError):
                    probe.connect(worker.socket_path)
            finally:
                probe.close()
            items, end, _ = collect(r)
        assert end == "[DONE]" and len(items) == 10
        assert worker.wait() == 0


def test_second_signal_forces_exit(tmp_path: Path) -> None:
    with (
        running_worker(
            APPS / "kinds.py",
            tmp_path,
            MODEL_SERVER_SOCKET_DIR=str(tmp_path),
            GRACEFUL_SHUTDOWN_TIME="30",
        ) as worker,
        worker.client() as client,
        client.stream("POST", "/api/slow/finite", json={"n": 1000, "interval": 0.05}),
    ):
        worker.signal(signal.SIGTERM)
        time.sleep(0.3)
        started = time.monotonic()
        worker.signal(signal.SIGINT)
        code = worker.wait(10)
        assert time.monotonic() - started < 3
        assert code != 0


def test_bad_env_is_reported_all_at_once(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(QUICKSTART)],
        env=worker_env(
            MODEL_SERVER_PORT="abc", REGISTER_ENABLED="ture", MODEL_THREAD_CONCURRENCY="0"
        ),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode != 0
    assert "MODEL_SERVER_PORT='abc'" in result.stderr
    assert "REGISTER_ENABLED='ture'" in result.stderr
    assert "MODEL_THREAD_CONCURRENCY='0'" in result.stderr
    assert "Traceback" not in result.stderr
    assert not list(tmp_path.glob("*.sock"))


def test_live_socket_is_not_replaced_and_stale_one_is(tmp_path: Path) -> None:
    path = tmp_path / "same.sock"
    with running_worker(QUICKSTART, tmp_path, MODEL_SERVER_SOCKET=str(path)):
        second = subprocess.run(
            [sys.executable, str(QUICKSTART)],
            env=worker_env(MODEL_SERVER_SOCKET=str(path)),
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert second.returncode != 0
        assert "another process is listening" in second.stderr
    stale = socket.socket(socket.AF_UNIX)
    stale.bind(str(path))
    stale.close()  # a socket file with no listener, as a crashed worker leaves
    with (
        running_worker(QUICKSTART, tmp_path, MODEL_SERVER_SOCKET=str(path)) as worker,
        worker.client() as client,
    ):
        assert client.post("/chat/complete", json={}).status_code == 200


def test_socket_path_too_long(tmp_path: Path) -> None:
    long_dir = tmp_path / ("d" * 100)
    long_dir.mkdir()
    result = subprocess.run(
        [sys.executable, str(QUICKSTART)],
        env=worker_env(MODEL_SERVER_SOCKET_DIR=str(long_dir)),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode != 0
    assert "107-byte limit" in result.stderr and "Traceback" not in result.stderr


def test_sigusr1_dumps_every_thread_and_the_worker_keeps_serving(tmp_path: Path) -> None:
    """A worker that looks stuck (a model thread that never returns) can be asked where
    each thread is: ``kill -USR1`` writes every thread's stack to the log; it serves on."""
    with running_worker(
        APPS / "kinds.py", tmp_path, MODEL_SERVER_SOCKET_DIR=str(tmp_path)
    ) as worker:
        worker.signal(signal.SIGUSR1)
        deadline = time.monotonic() + 10
        while "Current thread" not in worker.output and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "Current thread" in worker.output, worker.output
        assert 'File "' in worker.output  # frames, not just a line
        with worker.client() as client:
            assert client.get("/ready").status_code == 200
        worker.signal(signal.SIGTERM)
        assert worker.wait() == 0
