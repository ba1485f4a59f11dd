"""Binding the worker's listening socket: Unix by default, TCP on request."""

from __future__ import annotations

import contextlib
import errno
import os
import socket
import stat
from dataclasses import dataclass

from ..utils.random import randstr

# sockaddr_un.sun_path is 108 bytes on Linux, including the terminating NUL.
MAX_UNIX_PATH = 107


class SocketError(RuntimeError):
    """The worker cannot listen where it was told to."""


@dataclass(frozen=True)
class Listener:
    sock: socket.socket
    unix_path: str | None
    host: str
    port: int

    def describe(self) -> str:
        return f"unix:{self.unix_path}" if self.unix_path else f"http://{self.host}:{self.port}"

    def cleanup(self) -> None:
        """Remove the socket file, if it is still ours."""
        if self.unix_path is None:
            return
        with contextlib.suppress(FileNotFoundError):
            if stat.S_ISSOCK(os.stat(self.unix_path).st_mode):
                os.unlink(self.unix_path)


def auto_socket_path(app_name: str, directory: str) -> str:
    """``{dir or cwd}/{APP_NAME}.{8 random}.sock``: unique per worker, never shared."""
    return os.path.join(os.path.abspath(directory or os.getcwd()), f"{app_name}.{randstr(8)}.sock")


def bind_unix(path: str, mode: int = 0o660) -> Listener:
    """Bind a Unix socket, replacing a stale socket file but never a live one.

    The socket is bound (so a bad path fails before the model loads) but not listening:
    the server starts listening only once the startup hooks have finished.
    """
    path = os.path.abspath(path)
    if len(path.encode()) > MAX_UNIX_PATH:
        raise SocketError(
            f"socket path is {len(path.encode())} bytes, over the {MAX_UNIX_PATH}-byte limit "
            f"of Unix sockets: {path} (set MODEL_SERVER_SOCKET_DIR to a shorter directory)"
        )
    _remove_if_stale(path)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.bind(path)
        os.chmod(path, mode)
    except OSError as exc:
        sock.close()
        raise SocketError(f"cannot listen on {path}: {exc.strerror or exc}") from exc
    sock.setblocking(False)
    return Listener(sock, path, "", 0)


def _remove_if_stale(path: str) -> None:
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return
    if not stat.S_ISSOCK(mode):
        raise SocketError(f"{path} exists and is not a socket; refusing to replace it")
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    probe.settimeout(0.5)
    try:
        probe.connect(path)
    except OSError as exc:
        if exc.errno in (errno.ECONNREFUSED, errno.ENOENT):
            os.unlink(path)  # no listener: a leftover of a crashed worker
            return
        raise SocketError(f"cannot check the existing socket {path}: {exc}") from exc
    finally:
        probe.close()
    raise SocketError(f"another process is listening on {path}")


def bind_tcp(host: str, port: int) -> Listener:
    """Bind a TCP socket (listening starts after the startup hooks, as for Unix sockets)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise SocketError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    sock.setblocking(False)
    bound_port = sock.getsockname()[1]
    return Listener(sock, None, host, bound_port)
