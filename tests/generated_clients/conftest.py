"""A worker serving every generated service (``app.py``), over a Unix socket and over TCP."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.worker import WorkerProcess, running_worker

ROOT = Path(__file__).resolve().parents[2]
APP = Path(__file__).with_name("app.py")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Served:
    """A running test worker: the URL a generated client takes, and the app's state folder."""

    worker: WorkerProcess
    base_url: str
    state: Path

    def wait_for_file(self, name: str, timeout: float = 5) -> str:
        """The lines in ``name`` in the state folder, once the app has written one."""
        path = self.state / name
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = path.read_text(encoding="utf-8") if path.exists() else ""
            if text.endswith("\n"):  # the app writes whole lines; the file may be half-written
                return text
            time.sleep(0.02)
        raise AssertionError(f"the worker did not write {name} within {timeout}s")


@pytest.fixture(scope="session", params=["unix", "tcp"])
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    state = tmp_path_factory.mktemp(f"generated-clients-{request.param}")
    unix = request.param == "unix"
    socket_path = str(state / "worker.sock") if unix else ""  # "": TCP
    port = str(free_port())
    with running_worker(
        APP,
        ROOT,
        PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "runtime")]),  # this checkout's runtime
        APP_NAME="generated-clients",
        TEST_STATE_DIR=str(state),
        MODEL_SERVER_SOCKET=socket_path,
        MODEL_SERVER_PORT=port,
    ) as worker:
        if unix:
            assert worker.socket_path == socket_path
            base_url = f"unix://{socket_path}"
        else:
            assert worker.url == f"http://127.0.0.1:{port}"
            base_url = worker.url
        yield Served(worker, base_url, state)
