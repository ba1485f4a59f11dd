"""Directory and metadata operations, on ganesha and on the local default."""

from __future__ import annotations

import errno
import stat

import pytest
from gmi_ieops.storage import FileSystem


def test_mkdir(any_fs: FileSystem) -> None:
    with pytest.raises(FileNotFoundError):
        any_fs.mkdir("a/b/c")
    any_fs.mkdir("a/b/c", parents=True)
    assert any_fs.isdir("a/b/c")
    with pytest.raises(FileExistsError):
        any_fs.mkdir("a/b/c")
    any_fs.mkdir("a/b/c", exist_ok=True)
    any_fs.mkdir("a/b/c", parents=True, exist_ok=True)
    any_fs.write_bytes("a/file", b"x")
    with pytest.raises(FileExistsError):
        any_fs.mkdir("a/file", exist_ok=True)  # a file is not an existing directory


def test_listing_and_walk(any_fs: FileSystem) -> None:
    any_fs.makedirs("x/y")
    any_fs.write_bytes("x/1.txt", b"1")
    any_fs.write_bytes("x/y/2.txt", b"22")
    any_fs.write_bytes("top.txt", b"")
    assert any_fs.listdir() == ["top.txt", "x"]
    assert any_fs.listdir("x") == ["1.txt", "y"]
    assert any_fs.listdir("gmifs://x/y") == ["2.txt"]
    entries = {e.name: e for e in any_fs.scandir("x")}
    assert entries["y"].is_dir() and not entries["y"].is_file()
    assert entries["1.txt"].is_file() and entries["1.txt"].path == "x/1.txt"
    assert entries["1.txt"].size == 1
    assert list(any_fs.walk()) == [
        ("", ["x"], ["top.txt"]),
        ("x", ["y"], ["1.txt"]),
        ("x/y", [], ["2.txt"]),
    ]
    assert [d for d, _, _ in any_fs.walk(topdown=False)] == ["x/y", "x", ""]
    with pytest.raises(FileNotFoundError):
        any_fs.listdir("nope")


def test_stat_and_predicates(any_fs: FileSystem) -> None:
    any_fs.write_bytes("f.bin", b"12345")
    any_fs.mkdir("d")
    st = any_fs.stat("f.bin")
    assert stat.S_ISREG(st.st_mode) and st.st_size == 5 and st.st_mtime > 0
    assert stat.S_ISDIR(any_fs.stat("d").st_mode)
    assert any_fs.exists("f.bin") and any_fs.exists("d") and not any_fs.exists("zz")
    assert any_fs.isfile("f.bin") and not any_fs.isfile("d") and not any_fs.isfile("zz")
    assert any_fs.isdir("d") and not any_fs.isdir("f.bin") and not any_fs.isdir("zz")
    assert any_fs.getsize("f.bin") == 5
    with pytest.raises(FileNotFoundError):
        any_fs.getsize("zz")


def test_remove_rename_rmdir(any_fs: FileSystem) -> None:
    any_fs.makedirs("d/e")
    any_fs.write_bytes("d/e/f", b"f")
    with pytest.raises(OSError) as info:
        any_fs.rmdir("d/e")
    assert info.value.errno == errno.ENOTEMPTY
    with pytest.raises(IsADirectoryError):
        any_fs.remove("d/e")
    any_fs.rename("d/e/f", "d/g")
    assert any_fs.listdir("d") == ["e", "g"]
    any_fs.write_bytes("d/h", b"h")
    any_fs.rename("d/h", "d/g")  # replaces, like os.replace
    assert any_fs.read_bytes("d/g") == b"h"
    any_fs.remove("d/g")
    any_fs.rmdir("d/e")
    any_fs.rmdir("d")
    assert any_fs.listdir() == []
    with pytest.raises(FileNotFoundError):
        any_fs.remove("d/g")
    with pytest.raises(PermissionError):
        any_fs.rmdir("")
