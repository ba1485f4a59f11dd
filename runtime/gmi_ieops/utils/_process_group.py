"""Stopping a child's whole process group: SIGTERM, a grace period, then SIGKILL.

Servers such as vLLM start helper processes of their own; the child runs in a new session
(``start_new_session=True``) so its pid is the group id of all of them, and one signal to
the group reaches every one, even after the leader itself has exited.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time

from . import log

_POLL = 0.05


def signal_group(pgid: int, sig: int) -> bool:
    """Send ``sig`` to the group; ``False`` when no process of it is left."""
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        return False
    return True


def group_alive(pgid: int) -> bool:
    """Whether a live (non-zombie) process remains in the group.

    A grandchild orphaned by the leader is reaped by PID 1; in a container whose PID 1 does
    not reap, zombies would keep ``killpg(pgid, 0)`` succeeding and every stop would wait the
    whole grace period, so on Linux ``/proc`` is read to skip zombies.
    """
    if sys.platform.startswith("linux") and os.path.isdir("/proc/self"):
        return _live_members_linux(pgid)
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _live_members_linux(pgid: int) -> bool:
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as file:
                stat = file.read()
        except OSError:
            continue
        # "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses.
        fields = stat[stat.rfind(b")") + 2 :].split()
        if len(fields) > 2 and int(fields[2]) == pgid and fields[0] not in (b"Z", b"X"):
            return True
    return False


def terminate_group(
    proc: subprocess.Popen[bytes], timeout: float, logger: log.TraceLogger, name: str
) -> None:
    """SIGTERM the group, wait up to ``timeout`` for all of it to exit, then SIGKILL."""
    pgid = proc.pid
    if proc.returncode is not None and not group_alive(pgid):
        # Reaped and empty: the number may already belong to someone else's new group.
        return
    deadline = time.monotonic() + timeout
    signal_group(pgid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=max(0.0, deadline - time.monotonic()))
    while group_alive(pgid) and time.monotonic() < deadline:
        time.sleep(_POLL)
    if proc.poll() is None or group_alive(pgid):
        logger.warning(
            "%s (pid %d) did not stop within %.1f s of SIGTERM; sending SIGKILL to its group",
            name,
            pgid,
            timeout,
        )
        signal_group(pgid, signal.SIGKILL)
        proc.wait()
