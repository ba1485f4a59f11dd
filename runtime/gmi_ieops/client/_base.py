"""What the sync and async clients share: configuration and request preparation."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

from ._wire import (
    EVENT_STREAM,
    JSON,
    Endpoint,
    QueryPairs,
    build_headers,
    check_trace_id,
    encode_body,
    encode_query,
    parse_base_url,
    pick_trace_id,
    render_path,
)
from .errors import RequestTimeoutError
from .options import RetryPolicy, Timeout

__all__ = ["EVENT_STREAM", "JSON", "ClientCore", "Prepared"]


@dataclass(slots=True)
class Prepared:
    """One call, ready to send (and to resend on a safe retry)."""

    method: str
    url: str
    params: QueryPairs | None
    headers: dict[str, str]
    content: bytes | None
    trace_id: str
    timeout: Timeout
    policy: RetryPolicy
    deadline: float | None
    what: str

    def remaining(self) -> float | None:
        """Seconds left of the total timeout; raises once it has run out."""
        if self.deadline is None:
            return None
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise RequestTimeoutError(
                f"{self.what}: total timeout of {self.timeout.total:g} s", trace_id=self.trace_id
            )
        return left

    def retry_delay(self, attempt: int, retry_after: float | None) -> float | None:
        """Seconds to wait before retry ``attempt + 1``, or None when no retry is left
        (none allowed, or the wait would pass the total timeout)."""
        if attempt >= self.policy.max_retries:
            return None
        delay = self.policy.delay(attempt + 1, retry_after)
        if self.deadline is not None and time.monotonic() + delay >= self.deadline:
            return None
        return delay


class ClientCore:
    """Configuration common to ``BaseClient`` and ``AsyncBaseClient``."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float | Timeout,
        retries: int | RetryPolicy,
        trace_id: str | None,
        headers: Mapping[str, str] | None,
    ) -> None:
        self._endpoint: Endpoint = parse_base_url(base_url)
        self._timeout = Timeout.of(timeout)
        self._policy = RetryPolicy.of(retries)
        if trace_id is not None:
            check_trace_id(trace_id)
        self._trace_id = trace_id
        self._headers = dict(headers or {})
        self.last_trace_id: str | None = None

    @property
    def base_url(self) -> str:
        return self._endpoint.url

    def _prepare(
        self,
        method: str,
        path: str,
        *,
        path_params: Mapping[str, object] | None,
        query: Mapping[str, object] | None,
        headers: Mapping[str, object] | None,
        body: object,
        trace_id: str | None,
        timeout: float | Timeout | None,
        retries: int | RetryPolicy | None,
        accept: str | None,
    ) -> Prepared:
        rendered = render_path(path, path_params)
        content = encode_body(body)
        tid = pick_trace_id(trace_id, self._trace_id)
        t = self._timeout if timeout is None else Timeout.of(timeout)
        policy = self._policy if retries is None else RetryPolicy.of(retries, self._policy)
        return Prepared(
            method=method,
            url=self._endpoint.http_base + rendered,
            params=encode_query(query),
            headers=build_headers(self._headers, headers, tid, accept, content is not None),
            content=content,
            trace_id=tid,
            timeout=t,
            policy=policy,
            deadline=None if t.total is None else time.monotonic() + t.total,
            what=f"{method} {rendered}",
        )

    def _ws_uri(
        self,
        path: str,
        path_params: Mapping[str, object] | None,
        query: Mapping[str, object] | None,
    ) -> str:
        uri = self._endpoint.ws_base + render_path(path, path_params)
        pairs = encode_query(query)
        return f"{uri}?{urlencode(pairs)}" if pairs else uri
