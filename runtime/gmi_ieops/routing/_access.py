"""``LOG_ACCESS=true``: one line per request through the runtime's logging.

``"POST /api/chat" 200 12.34ms`` with the request's trace id in the line's usual place
(the id the response carries in ``X-Trace-Id``; ``-`` for responses without one).
Only wrapped around the app when enabled, so it costs nothing otherwise.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.types import Message, Receive, Scope, Send

from ..tracing import TRACE_HEADER, accept_trace_id
from ..utils import log

_TRACE_RAW = TRACE_HEADER.encode()

_access = log.get_logger("access")

App = Callable[[Scope, Receive, Send], Awaitable[None]]


async def access_logged(app: App, scope: Scope, receive: Receive, send: Send) -> None:
    started = time.perf_counter()
    seen: dict[str, Any] = {"status": 0, "trace_id": None}

    async def send_and_note(message: Message) -> None:
        kind = message["type"]
        if kind == "http.response.start" or kind == "websocket.accept":
            seen["status"] = message.get("status", 101)
            for name, value in message.get("headers") or ():
                if name.lower() == _TRACE_RAW:
                    seen["trace_id"] = value.decode("latin-1")
        elif kind == "websocket.close" and not seen["status"]:
            seen["status"] = 403
        await send(message)

    try:
        await app(scope, receive, send_and_note)
    finally:
        method = scope.get("method", "WEBSOCKET") if scope["type"] == "http" else "WEBSOCKET"
        path = scope.get("path", "")  # without the query string, which may hold secrets
        trace_id = seen["trace_id"] or _incoming_trace_id(scope)
        elapsed = (time.perf_counter() - started) * 1000
        _access.info(
            '"%s %s" %d %.2fms',
            method,
            path,
            seen["status"] or 500,
            elapsed,
            extra={"trace_id": trace_id},
        )


def _incoming_trace_id(scope: Scope) -> str:
    """The caller's ``X-Trace-Id`` when it is acceptable (responses of built-in routes do
    not echo it), else ``-``."""
    for name, value in scope.get("headers") or ():
        if name == _TRACE_RAW:
            incoming = value.decode("latin-1")
            return incoming if accept_trace_id(incoming) == incoming else "-"
    return "-"
