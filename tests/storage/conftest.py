"""A real nfs-ganesha for the storage tests, through ``scripts/nfs-test-server.sh``.

Needs root and the Debian packages (``scripts/nfs-test-server.sh install``). Elsewhere the
NFS tests are skipped with the reason; with ``CI=true`` a missing prerequisite fails them.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import socket
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from gmi_ieops.storage import FileSystem

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "nfs-test-server.sh"
TIMEOUT_MS = 1500  # short, so failure tests are quick; libnfs honours it per RPC


def on_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def missing_prerequisite() -> str | None:
    if os.geteuid() != 0:
        return "the NFS tests need root (nfs-ganesha, namespaces); run them as root"
    for tool, package in (
        ("ganesha.nfsd", "nfs-ganesha"),
        ("rpcbind", "rpcbind"),
        ("nfs-ls", "libnfs-utils"),
        ("unshare", "util-linux"),
    ):
        if shutil.which(tool, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin") is None:
            return f"{tool} not found: run scripts/nfs-test-server.sh install ({package})"
    try:
        ctypes.CDLL("libnfs.so.13")
    except OSError:
        return "libnfs.so.13 not loadable: run scripts/nfs-test-server.sh install (libnfs13)"
    return None


def require_nfs() -> None:
    problem = missing_prerequisite()
    if problem is None:
        return
    if on_ci():
        pytest.fail(f"CI=true and {problem}", pytrace=False)
    pytest.skip(problem)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class NFSServer:
    """One ganesha run by the script: ``start``, ``stop`` (TERM), ``kill`` (KILL), by PID."""

    state: Path
    nfs_port: int
    mount_port: int
    url: str = ""

    @property
    def export_dir(self) -> Path:
        return self.state / "export"

    def _env(self) -> dict[str, str]:
        return {
            **os.environ,
            "NFS_TEST_STATE_DIR": str(self.state),
            "NFS_TEST_NFS_PORT": str(self.nfs_port),
            "NFS_TEST_MOUNT_PORT": str(self.mount_port),
        }

    def _run(self, action: str) -> str:
        out = subprocess.run(
            ["bash", str(SCRIPT), action],
            env=self._env(),
            capture_output=True,
            text=True,
            timeout=60,
        )
        if out.returncode != 0:
            raise RuntimeError(f"nfs-test-server.sh {action} failed: {out.stderr}")
        return out.stdout.strip()

    def start(self) -> None:
        self.url = self._run("start").splitlines()[-1]

    def stop(self) -> None:
        self._run("stop")

    def kill(self) -> None:
        """SIGKILL ganesha: no goodbye to clients (a crash)."""
        pid = int((self.state / "ganesha.pid").read_text())
        os.kill(pid, 9)

    def restart(self) -> None:
        self.stop()
        self.start()

    def filesystem(self, **kwargs: object) -> FileSystem:
        """A FileSystem with a user root of its own (a fresh pid), so tests do not meet."""
        args: dict[str, object] = {
            "pid": f"t-{uuid.uuid4().hex[:10]}",
            "timeout_ms": TIMEOUT_MS,
        }
        args.update(kwargs)
        return FileSystem(self.url, **args)  # type: ignore[arg-type]


def _server(tmp: Path) -> Iterator[NFSServer]:
    require_nfs()
    server = NFSServer(tmp, free_port(), free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def nfs_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NFSServer]:
    """One ganesha for the session (do not kill it: use ``private_nfs_server``)."""
    yield from _server(tmp_path_factory.mktemp("ganesha"))


@pytest.fixture
def private_nfs_server(tmp_path: Path) -> Iterator[NFSServer]:
    """A ganesha of this test alone, free to kill and restart."""
    yield from _server(tmp_path / "ganesha")


@dataclass
class Space:
    """A FileSystem and the host directory behind its user root (to plant files or links
    behind its back, as another client of the export would)."""

    fs: FileSystem
    host_root: Path


@pytest.fixture
def nfs_space(nfs_server: NFSServer) -> Iterator[Space]:
    fs = nfs_server.filesystem()
    yield Space(fs, nfs_server.export_dir / fs.root.lstrip("/"))
    fs.close()


@pytest.fixture
def local_space(tmp_path: Path) -> Iterator[Space]:
    base = tmp_path / "gmifs"
    fs = FileSystem("", local_root=str(base), pid=f"t-{uuid.uuid4().hex[:10]}")
    yield Space(fs, base / fs.root.lstrip("/"))
    fs.close()


@pytest.fixture(params=["nfs", "local"])
def any_space(request: pytest.FixtureRequest) -> Space:
    """Each test of the shared guarantees runs on both backends."""
    space: Space = request.getfixturevalue(f"{request.param}_space")
    return space


@pytest.fixture
def any_fs(any_space: Space) -> FileSystem:
    return any_space.fs


@pytest.fixture
def nfs_fs(nfs_space: Space) -> FileSystem:
    return nfs_space.fs
