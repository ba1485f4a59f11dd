"""Locks on exclusive create: one holder at a time, crashed holders expire, waits time out."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from typing import Any

import pytest
from gmi_ieops.storage import FileSystem

from .conftest import Space


def _twin(space: Space) -> FileSystem:
    """Another FileSystem (own connections) on the same user root."""
    fs = space.fs
    backend: Any = fs.backend
    if hasattr(backend, "client"):
        return FileSystem(
            backend.client.address.url, pid=fs.root.split("/")[1], timeout_ms=fs.timeout_ms
        )
    return FileSystem("", local_root=backend.root, pid=fs.root.split("/")[1])


def test_one_holder_at_a_time(any_space: Space) -> None:
    any_space.fs.write_bytes("counter", b"0")
    holders = 0
    most = 0
    guard = threading.Lock()
    errors: list[BaseException] = []

    def worker() -> None:
        nonlocal holders, most
        fs = _twin(any_space)
        try:
            for _ in range(4):
                with fs.lock("counter", timeout=30, poll=0.005):
                    with guard:
                        holders += 1
                        most = max(most, holders)
                    value = int(fs.read_bytes("counter"))
                    time.sleep(0.002)
                    fs.write_bytes("counter", str(value + 1).encode())
                    with guard:
                        holders -= 1
        except BaseException as exc:
            errors.append(exc)
        finally:
            fs.close()

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    assert most == 1
    assert any_space.fs.read_bytes("counter") == b"24"  # no lost update
    assert any_space.fs.listdir() == ["counter"]  # lock file gone


CRASH = """
import os, sys
from gmi_ieops.storage import FileSystem
server, root, pid = sys.argv[1:4]
fs = FileSystem(server, local_root=root or None, pid=pid, timeout_ms=3000)
fs.lock("job", expiry=float(sys.argv[4]), owner="crasher").acquire()
print("held", flush=True)
os._exit(0)  # dies holding it
"""


def _crash_holding(space: Space, expiry: float) -> None:
    backend: Any = space.fs.backend
    server = backend.client.address.url if hasattr(backend, "client") else ""
    root = "" if server else backend.root
    pid = space.fs.root.split("/")[1]
    out = subprocess.run(
        [sys.executable, "-c", CRASH, server, root, pid, str(expiry)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.stdout.strip() == "held", out.stderr


def test_crashed_holder_expires(any_space: Space) -> None:
    fs = any_space.fs
    _crash_holding(any_space, expiry=1.0)
    lock = fs.lock("job", timeout=10, owner="me", poll=0.02)
    assert lock.holder() is not None and lock.holder()["owner"] == "crasher"  # type: ignore[index]
    start = time.monotonic()
    with lock:
        waited = time.monotonic() - start
        assert lock.holder()["owner"] == "me"  # type: ignore[index]
    assert waited < 8
    assert lock.holder() is None
    assert fs.listdir() == []


def test_live_holder_times_out_waiters(any_space: Space) -> None:
    fs = any_space.fs
    _crash_holding(any_space, expiry=600)  # "crashed" but not yet expired: counts as live
    start = time.monotonic()
    with pytest.raises(TimeoutError, match="crasher"):
        fs.lock("job", timeout=0.5).acquire()
    assert 0.4 < time.monotonic() - start < 5


def test_locked_open_and_refresh(any_fs: FileSystem) -> None:
    with any_fs.locked_open("data.txt", "w", timeout=5) as f:
        f.write("locked")
        assert any_fs.exists("data.txt.lock")
    assert any_fs.read_bytes("data.txt") == b"locked"
    assert not any_fs.exists("data.txt.lock")
    lock = any_fs.lock("r", expiry=1.0)
    with lock:
        before = lock.holder()["expires"]  # type: ignore[index]
        time.sleep(0.05)
        lock.refresh()
        assert lock.holder()["expires"] > before  # type: ignore[index]
