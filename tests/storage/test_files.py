"""Round trips, streaming and atomic writes, on the real ganesha and on the local default."""

from __future__ import annotations

import gc
import hashlib
import io
import os
import warnings
from typing import cast

import pytest
from gmi_ieops.storage import FileSystem

from .conftest import Space

CHUNK = 64 * 1024


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize("size", [0, 1, CHUNK, CHUNK + 1, 3 * CHUNK - 7])
def test_binary_round_trip(any_space: Space, size: int) -> None:
    fs = any_space.fs
    fs.read_chunk_size = fs.write_chunk_size = CHUNK  # "exactly one chunk" is CHUNK here
    data = os.urandom(size)
    fs.mkdir("bin")
    with fs.open("bin/data.bin", "wb") as f:
        assert f.write(data) == size
    assert fs.getsize("bin/data.bin") == size
    with fs.open("bin/data.bin", "rb") as f:
        back = f.read()
    assert _sha(back) == _sha(data)
    # on the host, behind the API: the bytes really are there
    assert _sha((any_space.host_root / "bin" / "data.bin").read_bytes()) == _sha(data)


def test_chunk_sizes_are_capped_at_1_mib(tmp_path: object) -> None:
    fs = FileSystem("", local_root=str(tmp_path), read_chunk_size=8 << 20, write_chunk_size=5)
    assert fs.read_chunk_size == 1 << 20 and fs.write_chunk_size == 5


def test_64_mib_round_trip_streams(any_space: Space) -> None:
    fs = any_space.fs
    block = os.urandom(1024 * 1024)
    digest = hashlib.sha256()
    with fs.open("big.bin", "wb") as f:
        for i in range(64):
            piece = block[i:] + block[:i]
            digest.update(piece)
            f.write(piece)
            if i == 8:
                # streaming: what was written already sits in the temp file on the storage,
                # and nothing sits under the final name before close
                temps = [p for p in any_space.host_root.iterdir() if p.name.startswith(".big")]
                assert len(temps) == 1 and temps[0].stat().st_size >= 8 * 1024 * 1024
                assert not fs.exists("big.bin")
    assert fs.getsize("big.bin") == 64 * 1024 * 1024
    check = hashlib.sha256()
    buf = bytearray(fs.read_chunk_size)
    with fs.open("big.bin", "rb") as f:
        while n := cast(io.BufferedReader, f).readinto(buf):
            check.update(buf[:n])
    assert check.hexdigest() == digest.hexdigest()
    assert [p.name for p in any_space.host_root.iterdir()] == ["big.bin"]  # no temp left


def test_text_mode(any_fs: FileSystem) -> None:
    with any_fs.open("t.txt", "w", newline="\r\n") as f:
        f.write("héllo\nwörld\n")
    assert any_fs.read_bytes("t.txt") == "héllo\r\nwörld\r\n".encode()
    with any_fs.open("t.txt") as f:
        assert f.readlines() == ["héllo\n", "wörld\n"]
    with any_fs.open("t.txt", "r", encoding="latin-1", newline="") as f:
        assert f.read() == "héllo\r\nwörld\r\n".encode().decode("latin-1")
    with any_fs.open("t.txt", "a") as f:
        f.write("more\n")
    assert any_fs.read_bytes("t.txt").endswith(b"\r\nmore\n")


def test_seek_and_partial_reads(any_fs: FileSystem) -> None:
    any_fs.write_bytes("s.bin", bytes(range(256)) * 1000)
    with any_fs.open("s.bin", "rb") as f:
        f.seek(1000)
        assert f.read(3) == bytes([1000 % 256, 1001 % 256, 1002 % 256])
        f.seek(-2, os.SEEK_END)
        assert f.read() == bytes([254, 255])
        assert f.tell() == 256000


def test_failed_write_leaves_no_file(any_space: Space) -> None:
    fs = any_space.fs
    fs.write_bytes("keep.bin", b"old")
    for mode in ("wb", "w"):
        with pytest.raises(RuntimeError), fs.open("keep.bin", mode) as f:
            f.write(b"new" * 100_000 if "b" in mode else "new" * 100_000)
            raise RuntimeError("handler failed mid-write")
        with pytest.raises(RuntimeError), fs.open("never.bin", mode) as f:
            raise RuntimeError("failed")
    assert fs.read_bytes("keep.bin") == b"old"
    assert not fs.exists("never.bin")
    assert sorted(p.name for p in any_space.host_root.iterdir()) == ["keep.bin"]


@pytest.mark.parametrize("mode", ["wb", "w"])
def test_unclosed_writer_is_discarded(any_space: Space, mode: str) -> None:
    fs = any_space.fs
    f = fs.open("dropped.bin", mode)
    f.write(b"partial" if mode == "wb" else "partial")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        del f
        gc.collect()
    assert any(issubclass(w.category, ResourceWarning) for w in caught)
    assert not fs.exists("dropped.bin")
    assert list(any_space.host_root.iterdir()) == []


def test_exclusive_mode(any_fs: FileSystem) -> None:
    with any_fs.open("x.txt", "x") as f:
        f.write("first")
    with pytest.raises(FileExistsError):
        any_fs.open("x.txt", "x")
    # a racing creator between open and close: x still never overwrites
    f = any_fs.open("y.txt", "xb")
    f.write(b"late")
    any_fs.write_bytes("y.txt", b"winner")
    with pytest.raises(FileExistsError):
        f.close()
    assert any_fs.read_bytes("y.txt") == b"winner"
    assert sorted(any_fs.listdir()) == ["x.txt", "y.txt"]


def test_open_errors(any_fs: FileSystem) -> None:
    with pytest.raises(FileNotFoundError):
        any_fs.open("missing.txt")
    any_fs.mkdir("d")
    with pytest.raises(IsADirectoryError):
        any_fs.open("d")
    with pytest.raises(IsADirectoryError):
        any_fs.open("d", "wb")
    with pytest.raises(ValueError, match="mode"):
        any_fs.open("a.txt", "r+")
    with pytest.raises(ValueError, match="encoding"):
        any_fs.open("a.txt", "rb", encoding="utf-8")


def test_copy_streams(any_fs: FileSystem) -> None:
    data = os.urandom(300_000)
    any_fs.write_bytes("src.bin", data)
    assert any_fs.copy("src.bin", "dst.bin") == "dst.bin"
    assert any_fs.read_bytes("dst.bin") == data


def test_exists_under_a_file_is_false(any_fs: FileSystem) -> None:
    any_fs.write_bytes("plain", b"x")
    assert not any_fs.exists("plain/child")
    assert not any_fs.isdir("plain/child") and not any_fs.isfile("plain/child")


def test_forked_child_uses_its_own_connection(any_fs: FileSystem) -> None:
    any_fs.write_bytes("parent.txt", b"p")  # the parent is connected now
    pid = os.fork()
    if pid == 0:  # the child: same FileSystem object, fresh connections
        code = 1
        try:
            any_fs.write_bytes("child.txt", any_fs.read_bytes("parent.txt") + b"c")
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert any_fs.read_bytes("child.txt") == b"pc"  # and the parent's connection still works
