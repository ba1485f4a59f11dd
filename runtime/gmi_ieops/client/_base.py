"""What the sync and async clients share: configuration and request preparation."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar, TypeVar, cast
from urllib.parse import urlencode

import httpx

from ._wire import (
    EVENT_STREAM,
    JSON,
    Endpoint,
    QueryPairs,
    build_headers,
    check_trace_id,
    decode_json,
    encode_body,
    encode_query,
    parse_base_url,
    pick_trace_id,
    redirect_target,
    render_path,
    safe_to_retry,
)
from .errors import RequestTimeoutError, parse_retry_after
from .files import RequestContent
from .options import RetryPolicy, Timeout

__all__ = ["EVENT_STREAM", "JSON", "ClientCore", "Prepared"]

T = TypeVar("T")


@dataclass(slots=True)
class Prepared:
    """One call, ready to send (and to resend on a safe retry)."""

    method: str
    url: str
    params: QueryPairs | None
    headers: dict[str, str]
    content: bytes | RequestContent | None
    trace_id: str
    timeout: Timeout
    policy: RetryPolicy
    deadline: float | None
    what: str
    redirect: bool = False
    """The answer is a redirect to return, never to follow (its ``Location`` is the result)."""

    def result(self, model: type[T], response: httpx.Response, tid: str | None) -> T:
        """A JSON call's result: the validated body, or a redirect's ``Location``."""
        if self.redirect:
            return cast(T, redirect_target(response.status_code, response.headers, self.what, tid))
        return decode_json(model, response.content, f"response of {self.what}", tid)

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

    def retry_delay(
        self,
        attempt: int,
        *,
        status: int | None = None,
        headers: Mapping[str, str] | None = None,
        error: BaseException | None = None,
    ) -> float | None:
        """Whether to retry after try ``attempt`` (0-based) failed, and after how long.

        The one place that decides, for HTTP, streams and WebSocket handshakes alike: a
        failure ``error`` is retried only when the request certainly never reached the
        server (:func:`safe_to_retry`), an answer ``status`` only when it is one of the
        policy's (429, 503), honouring its ``Retry-After`` from ``headers``. Returns the
        seconds to wait (:meth:`RetryPolicy.delay`), or None when the failure is final:
        not retryable, no retry left, or the wait would pass the total timeout.
        """
        if error is not None:
            if not safe_to_retry(error):
                return None
            retry_after = None
        elif status is not None and status in self.policy.retry_statuses:
            retry_after = parse_retry_after((headers or {}).get("retry-after"))
        else:
            return None
        if attempt >= self.policy.max_retries:
            return None
        delay = self.policy.delay(attempt + 1, retry_after)
        if self.deadline is not None and time.monotonic() + delay >= self.deadline:
            return None
        return delay


class ClientCore:
    """Configuration common to ``BaseClient`` and ``AsyncBaseClient``."""

    error_format: ClassVar[str] = "ieops"
    """The error format the service declares (``x-ieops-error-format``): with ``"openai"``
    a stream's ``data: {"error": {...}}`` frame raises. Error responses of both formats are
    decoded whatever it says."""

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
        self._timeouts = self._timeout.extension(None)
        """httpx's ``timeout`` extension for a call with the client's timeouts."""
        self._policy = RetryPolicy.of(retries)
        if trace_id is not None:
            check_trace_id(trace_id)
        self._trace_id = trace_id
        self._headers = dict(headers or {})
        self.last_trace_id: str | None = None
        self._accept_json_by_default = False
        """Whether the HTTP client sends ``Accept: application/json`` by itself (the client
        we create does): JSON calls then leave it out, as replacing a default header costs
        httpx more than the rest of the call's headers together."""

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
        redirect: bool = False,
    ) -> Prepared:
        rendered = render_path(path, path_params)
        content = encode_body(body)
        tid = pick_trace_id(trace_id, self._trace_id)
        t = self._timeout if timeout is None else Timeout.of(timeout)
        policy = self._policy if retries is None else RetryPolicy.of(retries, self._policy)
        if accept == JSON and self._accept_json_by_default:
            accept = None
        built = build_headers(self._headers, headers, tid, accept, content is not None)
        if isinstance(content, RequestContent):  # multipart or binary (client/files.py)
            built.update(content.headers())
        return Prepared(
            method=method,
            url=self._endpoint.http_base + rendered,
            params=encode_query(query),
            headers=built,
            content=content,
            trace_id=tid,
            timeout=t,
            policy=policy,
            deadline=None if t.total is None else time.monotonic() + t.total,
            what=f"{method} {rendered}",
            redirect=redirect,
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
