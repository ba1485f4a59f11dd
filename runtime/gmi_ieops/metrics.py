"""Prometheus metrics of a worker, served at ``/metrics`` (the ``metrics`` extra).

Every function here is a no-op when ``prometheus_client`` is not installed, so the runtime
(and the batching module, through :func:`observe_batch`) calls them unconditionally.
Metrics are on when ``IEOPS_METRICS`` is unset and the library is importable, off with
``IEOPS_METRICS=false``; ``IEOPS_METRICS=true`` without it logs one warning and ``/metrics``
answers 503 naming the extra (see docs/runtime.md, "Metrics").

Labels stay bounded: ``route`` is the route's template (``/v1/models/{model}``), never the
raw path; a request that matched no route is counted under ``route=""``, an unusual
method under ``method="other"``.

Not multiprocess-aware: one worker process, one set of metrics (as the IEOPS proxy
balances across worker processes, each is scraped on its own).
"""

from __future__ import annotations

import bisect
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from starlette.types import Message, Receive, Scope, Send

try:
    import prometheus_client
    from prometheus_client.core import (
        CounterMetricFamily,
        GaugeMetricFamily,
        HistogramMetricFamily,
        Metric,
    )
    from prometheus_client.registry import Collector
except ImportError:  # the extra is not installed: everything below is a no-op
    prometheus_client = None  # type: ignore[assignment]

MISSING = "metrics need prometheus_client: install the extra with pip install 'gmi-ieops[metrics]'"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

# Inference latencies: from a few milliseconds to minutes.
_LATENCY = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600)
_BATCH = (1, 2, 4, 8, 16, 32, 64, 128, 256)
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def available() -> bool:
    """Whether ``prometheus_client`` is installed."""
    return prometheus_client is not None


def enabled(setting: bool | None) -> bool:
    """``IEOPS_METRICS``: ``None`` (unset) means on when the library is installed."""
    return available() if setting is None else setting


Series = dict[Any, list[float]]
"""Latency bucket counts per label values, then the +Inf bucket and the sum.

Kept by the event loop's thread alone: requests are measured there one at a time, so plain
floats cost a ``bisect`` and two additions, where ``prometheus_client``'s locked children
cost microseconds per request. They become metric families at scrape time.
"""


def _observe(series: Series, labels: Any, seconds: float) -> None:
    counts = series.get(labels)
    if counts is None:
        counts = series[labels] = [0.0] * (len(_LATENCY) + 2)
    counts[bisect.bisect_left(_LATENCY, seconds)] += 1
    counts[-1] += seconds


def _buckets(counts: list[float]) -> list[tuple[str, float]]:
    """Cumulative ``(le, count)`` pairs, ``+Inf`` last, as Prometheus wants them."""
    out: list[tuple[str, float]] = []
    total = 0.0
    for bound, count in zip((*_LATENCY, None), counts[:-1], strict=True):
        total += count
        out.append(("+Inf" if bound is None else repr(float(bound)), total))
    return out


class _Metrics:
    """What one process measures, in its own registry."""

    def __init__(self) -> None:
        assert prometheus_client is not None
        self.registry = prometheus_client.CollectorRegistry(auto_describe=False)
        # One series per (route, method, status): the request counter and the latency
        # histogram (by route and method) are both summed from it at scrape time, so a
        # request costs one dict lookup.
        self.requests: Series = {}
        self.first_event: Series = {}
        self.stream: Series = {}
        self.batch = prometheus_client.Histogram(  # may be called from any thread
            "ieops_batch_size",
            "Requests run together in one batch, by route.",
            ["route"],
            buckets=_BATCH,
            registry=self.registry,
        )
        self.sources: list[Callable[[], tuple[int, int, int]]] = []
        self.registry.register(_Collector(self))


def _by_route_and_method(series: Series) -> Series:
    """The (route, method, status) series summed over status."""
    merged: Series = {}
    for (route, method, _status), counts in list(series.items()):
        into = merged.get((route, method))
        if into is None:
            merged[(route, method)] = list(counts)
        else:
            for i, count in enumerate(counts):
                into[i] += count
    return merged


if prometheus_client is not None:

    class _Collector(Collector):
        """The request series and the limiters' load, as metric families at scrape time."""

        def __init__(self, metrics: _Metrics) -> None:
            self.metrics = metrics

        def collect(self) -> Iterator[Metric]:
            m = self.metrics
            requests = CounterMetricFamily(
                "ieops_requests",
                "Requests answered, by route, method and status.",
                labels=["route", "method", "status"],
            )
            for (route, method, status), counts in list(m.requests.items()):
                requests.add_metric([route, method, str(status)], sum(counts[:-1]))
            yield requests
            for name, doc, labels, series in (
                (
                    "ieops_request_duration_seconds",
                    "Time from a request's arrival to its response's last byte (streams too).",
                    ["route", "method"],
                    _by_route_and_method(m.requests),
                ),
                (
                    "ieops_sse_time_to_first_event_seconds",
                    "Time from a streaming request's arrival to its first SSE frame.",
                    ["route"],
                    m.first_event,
                ),
                (
                    "ieops_sse_stream_duration_seconds",
                    "Time from a streaming request's arrival to the end of its stream.",
                    ["route"],
                    m.stream,
                ),
            ):
                family = HistogramMetricFamily(name, doc, labels=labels)
                for values, counts in list(series.items()):
                    family.add_metric(list(values), _buckets(counts), sum_value=counts[-1])
                yield family
            loads = [source() for source in m.sources]
            totals = [sum(load[i] for load in loads) for i in range(3)]
            for name, doc, total in (
                ("ieops_requests_in_flight", "Requests holding a slot.", totals[0]),
                ("ieops_queue_depth", "Requests waiting for a slot.", totals[1]),
                ("ieops_concurrency_limit", "Slots (MODEL_THREAD_CONCURRENCY).", totals[2]),
            ):
                yield GaugeMetricFamily(name, doc, value=total)


_metrics: _Metrics | None = None


def _get() -> _Metrics | None:
    global _metrics
    if _metrics is None and prometheus_client is not None:
        _metrics = _Metrics()
    return _metrics


def observe_batch(route: str, size: int) -> None:
    """Record one batch of ``size`` items run together for ``route`` (the batcher's hook)."""
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
    status = 0
    sse = False
    first = 0.0

    async def send_and_note(message: Message) -> None:
        nonlocal status, sse, first
        if message["type"] == "http.response.start":
            status = message.get("status", 0)
            for name, value in message.get("headers") or ():
                if name.lower() == b"content-type":
                    sse = value.startswith(b"text/event-stream")
                    break
        elif sse and not first and message.get("body"):
            first = time.perf_counter()
        await send(message)

    try:
        await app(scope, receive, send_and_note)
    finally:
        ended = time.perf_counter()
        route = route_of(scope)
        method = scope.get("method", "")
        if method not in _METHODS:  # a client's made-up method must not add series
            method = "other"
        _observe(metrics.requests, (route, method, status or 500), ended - started)
        if sse:
            if first:
                _observe(metrics.first_event, (route,), first - started)
            _observe(metrics.stream, (route,), ended - started)


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
