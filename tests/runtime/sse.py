"""Reading SSE frames raw, as a seed client would."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx


def frames(response: httpx.Response) -> Iterator[tuple[str, str]]:
    """(event, data) per frame, parsed from the raw text."""
    buffer = ""
    for text in response.iter_text():
        buffer += text
        while "\n\n" in buffer:
            raw, buffer = buffer.split("\n\n", 1)
            event = "message"
            data: list[str] = []
            for line in raw.split("\n"):
                if line.startswith("event: "):
                    event = line[len("event: ") :]
                elif line.startswith("data: "):
                    data.append(line[len("data: ") :])
            yield event, "\n".join(data)


def collect(response: httpx.Response) -> tuple[list[Any], str | None, Any]:
    """(items, terminator, error): terminator is "[DONE]", "error" or None."""
    items: list[Any] = []
    for event, data in frames(response):
        if event == "error":
            return items, "error", json.loads(data)
        if data == "[DONE]":
            return items, "[DONE]", None
        items.append(json.loads(data))
    return items, None, None
