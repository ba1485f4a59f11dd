"""Every path stays inside the user root: refused before any network call, and server-side
symlinks that leave the root are refused too."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from typing import Any

import pytest
from gmi_ieops.storage import FileSystem

from .conftest import Space

TRAVERSALS = [
    "..",
    "../x",
    "a/../../x",
    "a/..",
    "a/../b",
    "/etc/passwd",
    "gmifs:///etc/passwd",
    "gmifs://../x",
    "%2e%2e/x",
    "a/%2E%2E/b",
    "%2e%2e%2fetc",
    "a%2f..%2fb",
    "%2fetc%2fpasswd",
    "%252e%252e/x",  # double encoded
    "．．/x",  # fullwidth full stops: NFKC '..'
    "a／..／b",  # fullwidth solidus
    "\u2025/x",  # two dot leader: NFKC '..'
    "a\x00b",
    "..\\x",
    "a\\..\\b",
    "%00",
]

OPERATIONS: dict[str, Callable[[FileSystem, str], Any]] = {
    "open": lambda fs, p: fs.open(p),
    "open_w": lambda fs, p: fs.open(p, "wb"),
    "stat": lambda fs, p: fs.stat(p),
    "exists": lambda fs, p: fs.exists(p),
    "listdir": lambda fs, p: fs.listdir(p),
    "walk": lambda fs, p: list(fs.walk(p)),
    "mkdir": lambda fs, p: fs.mkdir(p, parents=True),
    "remove": lambda fs, p: fs.remove(p),
    "rmdir": lambda fs, p: fs.rmdir(p),
    "rename_src": lambda fs, p: fs.rename(p, "ok"),
    "rename_dst": lambda fs, p: fs.rename("ok", p),
    "copy": lambda fs, p: fs.copy("ok", p),
    "lock": lambda fs, p: fs.lock(p, timeout=0).acquire(),
}


@pytest.fixture
def unreachable_fs() -> FileSystem:
    """A FileSystem whose server does not exist: any network call would fail differently."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return FileSystem(f"127.0.0.1:{port}", timeout_ms=500)


@pytest.mark.parametrize("path", TRAVERSALS)
@pytest.mark.parametrize("op", sorted(OPERATIONS))
def test_traversal_refused_before_any_network_call(
    unreachable_fs: FileSystem, op: str, path: str
) -> None:
    with pytest.raises(PermissionError, match="gmifs: refused"):
        OPERATIONS[op](unreachable_fs, path)


@pytest.mark.parametrize("path", TRAVERSALS)
def test_traversal_refused_through_open(path: str, tmp_path: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("IEOPS_NFS_SERVER", "")
    monkeypatch.setenv("IEOPS_STORAGE_LOCAL_ROOT", str(tmp_path))
    target = path[len("gmifs://") :] if path.startswith("gmifs://") else path
    with pytest.raises(PermissionError):
        open("gmifs://" + target, "w")  # noqa: SIM115
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["pid", "fs_name", "oid", "uid"])
@pytest.mark.parametrize("value", ["..", ".", "", "a/b", "../x", "%2e%2e", "．．", "a\x00", "a\\b"])
def test_env_ids_refused(name: str, value: str, tmp_path: Any) -> None:
    with pytest.raises(PermissionError, match="IEOPS_STORAGE_"):
        kwargs: dict[str, Any] = {name: value}
        FileSystem("127.0.0.1:9", local_root=str(tmp_path), **kwargs)


def test_env_ids_refused_from_environment(monkeypatch: Any, tmp_path: Any) -> None:
    monkeypatch.setenv("IEOPS_NFS_SERVER", "")
    monkeypatch.setenv("IEOPS_STORAGE_LOCAL_ROOT", str(tmp_path))
    monkeypatch.setenv("IEOPS_STORAGE_UID", "../../other-user")
    with pytest.raises(PermissionError, match="IEOPS_STORAGE_UID"):
        open("gmifs://a.txt", "w")  # noqa: SIM115
    assert list(tmp_path.iterdir()) == []


def test_symlinks_leaving_the_root_are_refused(any_space: Space) -> None:
    fs, host = any_space.fs, any_space.host_root
    fs.makedirs("inside/sub")
    fs.write_bytes("inside/sub/f.txt", b"ok")
    # planted behind the API, as another client of the export could
    os.symlink("/etc", host / "abs")
    os.symlink("../../../../../../etc", host / "rel")
    os.symlink("..", host / "up")
    os.symlink("inside/sub", host / "good")
    os.symlink("inside/sub/../../up", host / "chain")  # inside, then through 'up'
    os.symlink("sub/f.txt", host / "inside" / "flink")
    for link in ("abs", "rel", "up", "chain"):
        for call in (
            lambda p: fs.open(f"{p}/passwd"),
            lambda p: fs.stat(p),
            lambda p: fs.listdir(p),
            lambda p: fs.open(f"{p}/x.txt", "w"),
            lambda p: fs.mkdir(f"{p}/d"),
            lambda p: fs.exists(f"{p}/passwd"),
        ):
            with pytest.raises(PermissionError, match="outside the user root"):
                call(link)
    assert fs.read_bytes("good/f.txt") == b"ok"
    assert fs.read_bytes("inside/flink") == b"ok"
    assert fs.listdir("good") == ["f.txt"]
    assert fs.lstat("abs").st_mode & 0o170000 == 0o120000
    fs.remove("abs")  # removes the link itself, not its target
    assert os.path.exists("/etc/passwd") and not os.path.lexists(host / "abs")


def test_local_absolute_symlink_inside_root_is_followed(local_space: Space) -> None:
    fs, host = local_space.fs, local_space.host_root
    fs.write_bytes("real.txt", b"data")
    os.symlink(str(host / "real.txt"), host / "alias")
    assert fs.read_bytes("alias") == b"data"
