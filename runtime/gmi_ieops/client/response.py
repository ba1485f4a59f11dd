"""A parsed response together with what the HTTP layer said about it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

import httpx

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class APIResponse(Generic[T]):
    """``data`` is the validated body; ``trace_id`` the id the server echoed (or the sent one)."""

    data: T
    status_code: int
    headers: httpx.Headers
    trace_id: str
    http_response: httpx.Response
