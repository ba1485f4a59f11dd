"""The server misbehaving: killed mid-write, restarted, down at start, silent."""

from __future__ import annotations

import errno
import os
import socket
import time

import pytest
from gmi_ieops.storage import FileSystem

from .conftest import TIMEOUT_MS, NFSServer

LIMIT = TIMEOUT_MS / 1000 + 1.5  # the timeout, plus slack for a loaded 2-core machine


def test_server_killed_mid_write(private_nfs_server: NFSServer) -> None:
    fs = private_nfs_server.filesystem()
    fs.write_bytes("out.bin", b"previous")
    block = os.urandom(1024 * 1024)
    f = fs.open("out.bin", "wb")
    f.write(block * 4)
    private_nfs_server.kill()
    start = time.monotonic()
    with pytest.raises(OSError) as info:
        for _ in range(64):
            f.write(block)
        f.close()
    assert time.monotonic() - start < LIMIT
    assert "127.0.0.1" in str(info.value)
    f.discard()  # type: ignore[attr-defined]
    private_nfs_server.start()
    # the final name still holds the old, whole file; the new one never appeared
    assert fs.read_bytes("out.bin") == b"previous"
    fs.close()


def test_killed_mid_write_inside_with_block(private_nfs_server: NFSServer) -> None:
    fs = private_nfs_server.filesystem()
    fs.mkdir("", exist_ok=True)
    start = 0.0
    with pytest.raises(OSError), fs.open("new.bin", "wb") as f:
        f.write(os.urandom(2 * 1024 * 1024))
        private_nfs_server.kill()
        start = time.monotonic()
        f.write(os.urandom(8 * 1024 * 1024))
    assert time.monotonic() - start < LIMIT  # the error, and no clean-up call waits again
    private_nfs_server.start()
    assert not fs.exists("new.bin")
    fs.close()


def test_server_restarted_next_operation_reconnects(private_nfs_server: NFSServer) -> None:
    fs = private_nfs_server.filesystem()
    fs.write_bytes("a.txt", b"before")
    private_nfs_server.restart()
    assert fs.read_bytes("a.txt") == b"before"
    private_nfs_server.kill()
    private_nfs_server.start()
    fs.write_bytes("b.txt", b"after")
    assert sorted(fs.listdir()) == ["a.txt", "b.txt"]
    fs.close()


def test_operation_while_down_fails_within_timeout_then_recovers(
    private_nfs_server: NFSServer,
) -> None:
    fs = private_nfs_server.filesystem()
    fs.write_bytes("a.txt", b"x")
    private_nfs_server.kill()
    start = time.monotonic()
    with pytest.raises(OSError):
        fs.listdir()
    assert time.monotonic() - start < LIMIT
    private_nfs_server.start()
    assert fs.listdir() == ["a.txt"]
    fs.close()


def test_server_down_at_start(private_nfs_server: NFSServer) -> None:
    private_nfs_server.stop()
    fs = private_nfs_server.filesystem()
    start = time.monotonic()
    with pytest.raises(OSError) as info:
        fs.listdir()
    assert time.monotonic() - start < LIMIT
    message = str(info.value)
    assert "cannot mount" in message and "127.0.0.1" in message
    assert str(private_nfs_server.nfs_port) in message
    fs.close()


def test_silent_server_times_out() -> None:
    """A port that accepts connections and never answers: the timeout, not a hang."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        port = listener.getsockname()[1]
        fs = FileSystem(f"127.0.0.1:{port}", timeout_ms=800)
        start = time.monotonic()
        with pytest.raises(OSError) as info:
            fs.stat("x")
        assert time.monotonic() - start < 0.8 + 1.5
        assert "127.0.0.1" in str(info.value)
        assert isinstance(info.value, TimeoutError)  # slow, not down: docs/storage.md


SLOW_MS = 3000  # long enough that one wait more (the old discard) is far past the bound


@pytest.mark.parametrize("how", ["write", "close", "with"])
def test_a_failed_write_and_its_clean_up_wait_one_timeout(
    private_nfs_server: NFSServer, how: str
) -> None:
    """The error, then discard/close: one IEOPS_NFS_TIMEOUT in all (it was up to three)."""
    fs = private_nfs_server.filesystem(timeout_ms=SLOW_MS)
    f = fs.open("big.bin", "wb")
    f.write(os.urandom(1024 * 1024))
    private_nfs_server.kill()
    start = time.monotonic()
    with pytest.raises(OSError):
        if how == "write":
            try:
                f.write(os.urandom(4 * 1024 * 1024))
            finally:
                f.discard()  # type: ignore[attr-defined]
        elif how == "close":
            f.close()  # flush + COMMIT fail; the temp file is not waited for
        else:
            with f:
                f.write(os.urandom(4 * 1024 * 1024))
    assert time.monotonic() - start < SLOW_MS / 1000 + 1.5
    assert f.closed
    private_nfs_server.start()
    assert not fs.exists("big.bin")  # nothing was published
    fs.close()


def test_a_dead_server_is_an_io_error_not_a_timeout(private_nfs_server: NFSServer) -> None:
    """docs/storage.md: a server that is down or drops the connection is OSError(EIO); only
    one that stays silent is a TimeoutError (test_silent_server_times_out)."""
    fs = private_nfs_server.filesystem()
    fs.write_bytes("a.txt", b"x")
    private_nfs_server.kill()
    for operation in (fs.listdir, lambda: fs.read_bytes("a.txt")):
        with pytest.raises(OSError) as info:
            operation()
        assert info.value.errno == errno.EIO and not isinstance(info.value, TimeoutError)
        assert "127.0.0.1" in str(info.value)
    fs.close()
