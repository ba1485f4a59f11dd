"""The example worker with its real model, over a Unix socket and over TCP (one process each,
shared by the tests of this folder: loading all-MiniLM-L6-v2 takes seconds)."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.worker import WorkerProcess, running_worker

ROOT = Path(__file__).resolve().parents[2]
EMBEDDING_MODEL = "all-MiniLM-L6-v2"
CHAT_MODEL = "echo-1"
# this checkout's runtime, also where the installed gmi_ieops is another checkout's
PYTHONPATH = os.pathsep.join([str(ROOT), str(ROOT / "runtime")])
FAILING_APP = ROOT / "tests" / "runtime" / "apps" / "error_formats.py"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(directory: Path, transport: str) -> Iterator[WorkerProcess]:
    env = (
        {"MODEL_SERVER_SOCKET_DIR": str(directory)}
        if transport == "unix"
        else {"MODEL_SERVER_SOCKET": "", "MODEL_SERVER_PORT": str(_free_port())}
    )
    # The worktree's own packages first (an outer PYTHONPATH, as the dev notes set, kept).
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    with running_worker(
        ROOT / "examples" / "worker" / "openai_impl.py",
        directory,
        # This checkout's runtime, not the one the venv was installed from (a worktree's).
        PYTHONPATH=os.pathsep.join([str(ROOT / "runtime"), path]),
        IEOPS_STORAGE_LOCAL_ROOT=str(directory / "storage"),
        APP_NAME="openai",
        EXAMPLE_EMBEDDER="minilm",
        **env,
    ) as worker:
        yield worker


def _start_failing(directory: Path, transport: str) -> Iterator[WorkerProcess]:
    env = (
        {"MODEL_SERVER_SOCKET_DIR": str(directory)}
        if transport == "unix"
        else {"MODEL_SERVER_SOCKET": "", "MODEL_SERVER_PORT": str(_free_port())}
    )
    with running_worker(
        FAILING_APP,
        directory,
        PYTHONPATH=PYTHONPATH,
        APP_NAME="failing",
        ERROR_FORMAT="openai",
        **env,
    ) as worker:
        yield worker


@pytest.fixture(scope="package")
def failing_worker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WorkerProcess]:
    """A worker in OpenAI's error format whose chat stream fails after its first chunk."""
    yield from _start_failing(tmp_path_factory.mktemp("failing-unix"), "unix")


@pytest.fixture(scope="package")
def failing_worker_tcp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WorkerProcess]:
    yield from _start_failing(tmp_path_factory.mktemp("failing-tcp"), "tcp")


@pytest.fixture(scope="package")
def example_worker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WorkerProcess]:
    """The worker on a Unix socket."""
    yield from _start(tmp_path_factory.mktemp("example-unix"), "unix")


@pytest.fixture(scope="package")
def example_worker_tcp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WorkerProcess]:
    """The worker on TCP (127.0.0.1)."""
    yield from _start(tmp_path_factory.mktemp("example-tcp"), "tcp")
