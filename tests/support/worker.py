"""Start a worker script as a real process and talk to it over its socket."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx

_LISTENING = re.compile(r"listening on (unix:(?P<path>\S+)|(?P<url>http://\S+))")


class WorkerProcess:
    """A worker started with ``python script``; its stderr is collected for assertions."""

    def __init__(self, args: list[str], env: Mapping[str, str], cwd: str | Path) -> None:
        self.proc = subprocess.Popen(
            args,
            env=dict(env),
            cwd=str(cwd),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        self.socket_path: str | None = None
        self.url: str | None = None
        self._listening = threading.Event()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))
            match = _LISTENING.search(line)
            if match and not self._listening.is_set():
                self.socket_path = match.group("path")
                self.url = match.group("url")
                self._listening.set()

    def wait_for_line(self, predicate: Callable[[str], bool], timeout: float = 5) -> str:
        """The first output line matching ``predicate`` (output arrives through a pipe)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.lines):
                if predicate(line):
                    return line
            time.sleep(0.01)
        raise AssertionError(f"no matching output line within {timeout}s:\n{self.output}")

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_listening(self, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while not self._listening.wait(0.05):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"worker did not start listening:\n{self.output}")

    def transport(self) -> httpx.HTTPTransport:
        return (
            httpx.HTTPTransport(uds=self.socket_path) if self.socket_path else httpx.HTTPTransport()
        )

    def client(self, timeout: float = 10) -> httpx.Client:
        base = self.url or "http://worker"
        return httpx.Client(base_url=base, transport=self.transport(), timeout=timeout)

    def async_client(self, timeout: float = 10) -> httpx.AsyncClient:
        transport = (
            httpx.AsyncHTTPTransport(uds=self.socket_path)
            if self.socket_path
            else httpx.AsyncHTTPTransport()
        )
        return httpx.AsyncClient(
            base_url=self.url or "http://worker", transport=transport, timeout=timeout
        )

    def signal(self, sig: int = signal.SIGTERM) -> None:
        self.proc.send_signal(sig)

    def wait(self, timeout: float = 20) -> int:
        code = self.proc.wait(timeout)
        self._reader.join(2)
        return code

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def worker_env(**overrides: str) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("MODEL_", "IEOPS_", "REGISTER_"))
    }
    env.update({"REGISTER_ENABLED": "false", "PYTHONUNBUFFERED": "1", "LOG_LEVEL": "INFO"})
    env.update(overrides)
    return env


@contextmanager
def running_worker(
    script: str | Path, cwd: str | Path, args: list[str] | None = None, /, **env_overrides: str
) -> Iterator[WorkerProcess]:
    worker = WorkerProcess(
        [sys.executable, str(script), *(args or [])], worker_env(**env_overrides), cwd
    )
    try:
        worker.wait_listening()
        yield worker
    finally:
        worker.stop()
