"""``open("gmifs://…")`` after import, the embedded default, fsspec, and a cheap import."""

from __future__ import annotations

import builtins
import io
import json
import os
import subprocess
import sys
import threading
import uuid
from pathlib import Path
from typing import Any

import gmi_ieops.storage as storage
import pytest
from gmi_ieops.storage import (
    GMIFS_PROTOCOL,
    FileSystem,
    LibnfsNotFoundError,
    _libnfs,
    disable_nfs_intercept,
    enable_nfs_intercept,
)

from .conftest import NFSServer


def test_protocol_constant() -> None:
    assert GMIFS_PROTOCOL == "gmifs://"


def test_import_is_cheap_and_side_effect_free(tmp_path: Path) -> None:
    """A fresh interpreter: the import loads no libnfs, creates no directory; the first
    gmifs:// write lands in the documented default directory."""
    code = """
import builtins, io, json, os, sys
import gmi_ieops.storage
maps = open("/proc/self/maps").read()
before = sorted(os.listdir(os.environ["HOME"]))
diverted = builtins.open is not io.open
with open("gmifs://out/a.txt", "w") as f:
    f.write("hi")
print(json.dumps({"libnfs": "libnfs" in maps, "home": before, "diverted": diverted}))
"""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IEOPS_", "XDG_"))}
    env["HOME"] = str(tmp_path)
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    seen = json.loads(out.stdout)
    assert seen == {"libnfs": False, "home": [], "diverted": True}
    default = tmp_path / ".local/share/gmi-ieops/gmifs/u-00000000/jfs-dev"
    assert (default / "gmicloud.ieops/gmicloud.ieops/out/a.txt").read_text() == "hi"


def test_other_paths_go_to_the_real_open(tmp_path: Path) -> None:
    assert storage.nfs_intercept_enabled()
    plain = tmp_path / "plain.txt"
    with open(plain, "w") as f:  # a Path
        f.write("x")
    with open(str(plain)) as f:
        assert f.read() == "x"
    with open(os.fsencode(plain), "rb") as f:  # bytes
        assert f.read() == b"x"
    fd = os.open(plain, os.O_RDONLY)
    with open(fd, "rb") as f:  # a descriptor
        assert f.read() == b"x"
    assert isinstance(open(plain), io.TextIOWrapper)  # noqa: SIM115
    with pytest.raises(FileNotFoundError):
        open(tmp_path / "gmifs:" / "x")  # noqa: SIM115 - a Path is never diverted


def test_local_default_via_open(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IEOPS_NFS_SERVER", "")
    monkeypatch.setenv("IEOPS_STORAGE_LOCAL_ROOT", str(tmp_path))
    monkeypatch.setenv("IEOPS_STORAGE_PID", "p1")
    with open("gmifs://img/a.png", "wb") as f:
        f.write(b"\x89PNG")
    assert (tmp_path / "p1/jfs-dev/gmicloud.ieops/gmicloud.ieops/img/a.png").read_bytes()
    # values are read at use time: another pid, another root
    monkeypatch.setenv("IEOPS_STORAGE_PID", "p2")
    with pytest.raises(FileNotFoundError):
        open("gmifs://img/a.png", "rb")  # noqa: SIM115
    with open("gmifs://img/a.png", "w") as f:
        f.write("two")
    assert (tmp_path / "p2/jfs-dev/gmicloud.ieops/gmicloud.ieops/img/a.png").read_text() == "two"


def test_nfs_via_open(nfs_server: NFSServer, monkeypatch: pytest.MonkeyPatch) -> None:
    pid = f"t-{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("IEOPS_NFS_SERVER", nfs_server.url)
    monkeypatch.setenv("IEOPS_STORAGE_PID", pid)
    monkeypatch.setenv("IEOPS_NFS_TIMEOUT", "3000")
    monkeypatch.setenv("IEOPS_NFS_WRITE_CHUNK_SIZE", "65536")
    data = os.urandom(300_000)
    with open("gmifs://out/emb.bin", "wb") as f:
        f.write(data)
    with open("gmifs://out/emb.bin", "rb") as f:
        assert f.read() == data
    host = nfs_server.export_dir / pid / "jfs-dev/gmicloud.ieops/gmicloud.ieops/out/emb.bin"
    assert host.read_bytes() == data
    fs = storage.default_filesystem()
    assert fs.write_chunk_size == 65536 and fs.timeout_ms == 3000
    assert fs is storage.default_filesystem()  # connections are reused


def test_disable_and_enable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IEOPS_NFS_SERVER", "")
    monkeypatch.setenv("IEOPS_STORAGE_LOCAL_ROOT", str(tmp_path))
    disable_nfs_intercept()
    try:
        assert builtins.open is io.open
        with pytest.raises(FileNotFoundError):
            open("gmifs://a.txt", "w")  # noqa: SIM115 - the real open: no dir "gmifs:"
    finally:
        enable_nfs_intercept()
    enable_nfs_intercept()  # idempotent
    with open("gmifs://a.txt", "w") as f:
        f.write("ok")
    assert storage.nfs_intercept_enabled()


def test_open_from_threads(nfs_server: NFSServer) -> None:
    """One FileSystem, more threads than connections: every file intact."""
    fs = nfs_server.filesystem(max_connections=2)
    errors: list[BaseException] = []
    payloads = {i: os.urandom(200_000 + i) for i in range(8)}

    def worker(i: int) -> None:
        try:
            for _ in range(3):
                fs.write_bytes(f"t{i}.bin", payloads[i])
                assert fs.read_bytes(f"t{i}.bin") == payloads[i]
                assert f"t{i}.bin" in fs.listdir()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    backend: Any = fs.backend
    assert len(backend.client._pool) <= 2
    fs.close()


def test_missing_libnfs_names_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_libnfs, "LIBRARY", "libnfs.so.999")
    monkeypatch.setattr(_libnfs, "_lib", None)
    fs = FileSystem("127.0.0.1:2049", timeout_ms=500)  # constructing loads nothing
    with pytest.raises(LibnfsNotFoundError, match="apt-get install libnfs13"):
        fs.listdir()


def test_bad_server_address() -> None:
    with pytest.raises(ValueError, match="only NFSv3"):
        FileSystem("nfs://h/e?version=4")
    with pytest.raises(ValueError, match="unknown option"):
        FileSystem("nfs://h/e?bogus=1")
    with pytest.raises(ValueError, match="invalid port"):
        FileSystem("h:99999")


def test_fsspec_protocol(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if os.environ.get("CI") != "true":  # on CI the extra must be there
        pytest.importorskip("fsspec")
    import fsspec  # type: ignore[import-untyped]

    monkeypatch.setenv("IEOPS_NFS_SERVER", "")
    monkeypatch.setenv("IEOPS_STORAGE_LOCAL_ROOT", str(tmp_path))
    storage.register_fsspec()
    with fsspec.open("gmifs://data/x.json", "w") as f:
        f.write('{"a": 1}')
    with fsspec.open("gmifs://data/x.json", "r") as f:
        assert json.load(f) == {"a": 1}
    gfs = fsspec.filesystem("gmifs")
    assert gfs.ls("data", detail=False) == ["data/x.json"]
    assert gfs.info("gmifs://data/x.json")["size"] == 8
    with pytest.raises(PermissionError):
        fsspec.open("gmifs://../escape", "w").open()


def test_fsspec_entry_point(tmp_path: Path) -> None:
    """``fsspec.open("gmifs://…")`` works even when fsspec is imported first, by the
    distribution's ``fsspec.specs`` entry point."""
    pytest.importorskip("fsspec")
    from importlib.metadata import entry_points

    if not any(e.name == "gmifs" for e in entry_points(group="fsspec.specs")):
        reason = "the gmi-ieops distribution declares no fsspec.specs entry point 'gmifs'"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason + " (reinstall after adding it to pyproject.toml)")
    code = """
import fsspec
with fsspec.open("gmifs://e.txt", "w") as f:
    f.write("ep")
print(open(__import__("sys").argv[1]).read())
"""
    env = {**os.environ, "IEOPS_NFS_SERVER": "", "IEOPS_STORAGE_LOCAL_ROOT": str(tmp_path)}
    target = tmp_path / "u-00000000/jfs-dev/gmicloud.ieops/gmicloud.ieops/e.txt"
    out = subprocess.run(
        [sys.executable, "-c", code, str(target)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ep"
