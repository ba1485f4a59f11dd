"""Trace ids: one per request, carried in a context variable so every log line gets it."""

from __future__ import annotations

import contextvars
import re
import secrets

TRACE_HEADER = "x-trace-id"

current_trace_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "ieops_trace_id", default=None
)

# An incoming id is echoed into headers and logs, so only harmless characters are accepted.
_ACCEPTABLE = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")


def generate_trace_id() -> str:
    """A fresh 32-hex-digit id (the W3C trace-context size)."""
    return secrets.token_hex(16)


def accept_trace_id(incoming: str | None) -> str:
    """The caller's id when it is well-formed, else a fresh one."""
    if incoming and _ACCEPTABLE.match(incoming):
        return incoming
    return generate_trace_id()
