"""An incremental Server-Sent Events decoder: bytes in, events out (WHATWG HTML §9.2.6).

Network chunks may split a frame, a line ending (``\\r`` | ``\\n``) or a multi-byte UTF-8
character anywhere. Lines are cut on bytes (``\\r`` and ``\\n`` never occur inside a UTF-8
sequence) and decoded whole, so no character is ever split.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ServerSentEvent:
    """One dispatched event; ``data`` lines are joined with ``\\n``."""

    event: str = "message"
    data: str = ""
    id: str | None = None
    retry: int | None = None


class SSEDecoder:
    """Feed it bytes as they arrive; it returns the events each chunk completes."""

    __slots__ = ("_buf", "_data", "_event", "_last_id", "_retry", "_skip_lf", "_started")

    def __init__(self) -> None:
        self._buf = b""
        self._data: list[str] = []
        self._event = ""
        self._last_id: str | None = None
        self._retry: int | None = None
        self._skip_lf = False  # the previous chunk ended in "\r": a leading "\n" belongs to it
        self._started = False

    @property
    def last_event_id(self) -> str | None:
        return self._last_id

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        """Consume ``chunk``; return the events it completed, in order."""
        if not chunk:
            return []
        if self._skip_lf:
            self._skip_lf = False
            if chunk[:1] == b"\n":
                chunk = chunk[1:]
        buf = self._buf + chunk if self._buf else chunk
        if not self._started:
            if len(buf) < 3 and b"\xef\xbb\xbf".startswith(buf):
                self._buf = buf  # maybe a BOM still arriving
                return []
            self._started = True
            if buf.startswith(b"\xef\xbb\xbf"):
                buf = buf[3:]
        events: list[ServerSentEvent] = []
        # bytes.splitlines cuts on \r\n, \r and \n only (unlike str.splitlines).
        lines = buf.splitlines(keepends=True)
        if lines and not lines[-1].endswith((b"\n", b"\r")):
            self._buf = lines.pop()
        else:
            self._buf = b""
        # A "\r" ending the input: a "\n" starting the next chunk belongs to it.
        self._skip_lf = buf.endswith(b"\r")
        for raw in lines:
            line = raw.rstrip(b"\r\n").decode("utf-8", "replace")
            event = self._line(line)
            if event is not None:
                events.append(event)
        return events

    def flush(self) -> list[ServerSentEvent]:
        """End of input: an unterminated last line is processed, an undispatched event dropped."""
        if self._buf:
            self._line(self._buf.decode("utf-8", "replace"))
            self._buf = b""
        self._data = []
        self._event = ""
        return []

    def _line(self, line: str) -> ServerSentEvent | None:
        if not line:
            return self._dispatch()
        if line[0] == ":":
            return None
        name, sep, value = line.partition(":")
        if sep and value[:1] == " ":
            value = value[1:]
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "id":
            if "\0" not in value:
                self._last_id = value
        elif name == "retry" and value.isascii() and value.isdigit():
            self._retry = int(value)
        return None

    def _dispatch(self) -> ServerSentEvent | None:
        if not self._data:
            self._event = ""
            return None
        event = ServerSentEvent(
            event=self._event or "message",
            data="\n".join(self._data),
            id=self._last_id,
            retry=self._retry,
        )
        self._data = []
        self._event = ""
        return event
