"""Prometheus metrics of a worker, served at ``/metrics`` (the ``metrics`` extra).

Every function here is a no-op when ``prometheus_client`` is not installed, so the runtime
(and the batching module, through :func:`observe_batch`) calls them unconditionally.
Metrics are on when ``IEOPS_METRICS`` is unset and the library is importable, off with
``IEOPS_METRICS=false``; ``IEOPS_METRICS=true`` without it logs one warning and ``/metrics``
answers 503 naming the extra (see docs/runtime.md, "Metrics").

Labels stay bounded: ``route`` is the route's template (``/v1/models/{model}``), never the
raw path; a request that matched no route is counted under ``route=""``.

Not multiprocess-aware: one worker process, one set of metrics (as the IEOPS proxy
balances across worker processes, each is scraped on its own).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from starlette.types import Message, Receive, Scope, Send

try:
    import prometheus_client
    from prometheus_client.core import GaugeMetricFamily
    from prometheus_client.registry import Collector
except ImportError:  # the extra is not installed: everything below is a no-op
    prometheus_client = None  # type: ignore[assignment]

MISSING = "metrics need prometheus_client: install the extra with pip install 'gmi-ieops[metrics]'"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

# Inference latencies: from a few milliseconds to minutes.
_LATENCY = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600)
_BATCH = (1, 2, 4, 8, 16, 32, 64, 128, 256)


def available() -> bool:
    """Whether ``prometheus_client`` is installed."""
    return prometheus_client is not None


def enabled(setting: bool | None) -> bool:
    """``IEOPS_METRICS``: ``None`` (unset) means on when the library is installed."""
    return available() if setting is None else setting


class _Metrics:
    """The metric objects, created once per process in their own registry."""

    def __init__(self) -> None:
        assert prometheus_client is not None
        p = prometheus_client
        self.registry = p.CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = p.Counter(
            "ieops_requests",
            "Requests answered, by route, method and status.",
            ["route", "method", "status"],
            registry=r,
        )
        self.latency = p.Histogram(
            "ieops_request_duration_seconds",
            "Time from the request's arrival to its response's last byte (streams included).",
            ["route", "method"],
            buckets=_LATENCY,
            registry=r,
        )
        self.first_event = p.Histogram(
            "ieops_sse_time_to_first_event_seconds",
            "Time from a streaming request's arrival to its first SSE frame.",
            ["route"],
            buckets=_LATENCY,
            registry=r,
        )
        self.stream = p.Histogram(
            "ieops_sse_stream_duration_seconds",
            "Time from a streaming request's arrival to the end of its stream.",
            ["route"],
            buckets=_LATENCY,
            registry=r,
        )
        self.batch = p.Histogram(
            "ieops_batch_size",
            "Requests run together in one batch, by route.",
            ["route"],
            buckets=_BATCH,
            registry=r,
        )
        self.sources: list[Callable[[], tuple[int, int, int]]] = []
        r.register(_LimiterCollector(self.sources))


if prometheus_client is not None:

    class _LimiterCollector(Collector):
        """In-flight requests and queue depth, read from the limiters at scrape time."""

        def __init__(self, sources: list[Callable[[], tuple[int, int, int]]]) -> None:
            self.sources = sources

        def collect(self) -> Iterator[GaugeMetricFamily]:
            loads = [source() for source in self.sources]
            totals = [sum(load[i] for load in loads) for i in range(3)]
            yield GaugeMetricFamily(
                "ieops_requests_in_flight", "Requests holding a slot.", value=totals[0]
            )
            yield GaugeMetricFamily(
                "ieops_queue_depth", "Requests waiting for a slot.", value=totals[1]
            )
            yield GaugeMetricFamily(
                "ieops_concurrency_limit", "Slots (MODEL_THREAD_CONCURRENCY).", value=totals[2]
            )


_metrics: _Metrics | None = None


def _get() -> _Metrics | None:
    global _metrics
    if _metrics is None and prometheus_client is not None:
        _metrics = _Metrics()
    return _metrics


def observe_batch(route: str, size: int) -> None:
    """Record one batch of ``size`` requests run together for ``route`` (the batcher's hook)."""
    metrics = _get()
    if metrics is not None:
        metrics.batch.labels(route).observe(size)


def watch_limiter(source: Callable[[], tuple[int, int, int]]) -> None:
    """Report ``source()`` = (in flight, waiting, limit) at every scrape."""
    metrics = _get()
    if metrics is not None:
        metrics.sources.append(source)


def unwatch_limiter(source: Callable[[], tuple[int, int, int]]) -> None:
    metrics = _get()
    if metrics is not None and source in metrics.sources:
        metrics.sources.remove(source)


def exposition() -> bytes:
    """The text format Prometheus scrapes; empty without the library."""
    metrics = _get()
    if metrics is None:
        return b""
    assert prometheus_client is not None
    data: bytes = prometheus_client.generate_latest(metrics.registry)
    return data


App = Callable[[Scope, Receive, Send], Awaitable[None]]


async def measured(
    app: App, route_of: Callable[[Scope], str], scope: Scope, receive: Receive, send: Send
) -> None:
    """Run ``app`` on one HTTP request and record it (status, latency, SSE timings);
    ``route_of(scope)`` names the route once it has run."""
    metrics = _get()
    if metrics is None or scope["type"] != "http":
        await app(scope, receive, send)
        return
    started = time.perf_counter()
    seen: dict[str, Any] = {"status": 0, "sse": False, "first": None}

    async def send_and_note(message: Message) -> None:
        kind = message["type"]
        if kind == "http.response.start":
            seen["status"] = message.get("status", 0)
            for name, value in message.get("headers") or ():
                if name.lower() == b"content-type" and value.startswith(b"text/event-stream"):
                    seen["sse"] = True
        elif kind == "http.response.body" and seen["sse"] and seen["first"] is None:
            seen["first"] = time.perf_counter() if message.get("body") else None
        await send(message)

    try:
        await app(scope, receive, send_and_note)
    finally:
        ended = time.perf_counter()
        route = route_of(scope)
        method = scope.get("method", "")
        status = str(seen["status"] or 500)
        metrics.requests.labels(route, method, status).inc()
        metrics.latency.labels(route, method).observe(ended - started)
        if seen["sse"]:
            if seen["first"] is not None:
                metrics.first_event.labels(route).observe(seen["first"] - started)
            metrics.stream.labels(route).observe(ended - started)


__all__ = [
    "CONTENT_TYPE",
    "MISSING",
    "available",
    "enabled",
    "exposition",
    "measured",
    "observe_batch",
    "unwatch_limiter",
    "watch_limiter",
]
