"""``/metrics`` on a real worker (uvicorn on a Unix socket): it scrapes, and counts the
requests it served by route template and status, their latencies, the SSE timings, the
in-flight and queued requests and the batch sizes reported through ``observe_batch``."""

from __future__ import annotations

import importlib.util
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.worker import WorkerProcess, running_worker

APP = Path(__file__).parent / "apps" / "metered.py"
HAVE_CLIENT = importlib.util.find_spec("prometheus_client") is not None
needs_client = pytest.mark.skipif(
    not HAVE_CLIENT, reason="prometheus_client is not installed (pip install 'gmi-ieops[metrics]')"
)


def _start(directory: Path, **env: str) -> Any:
    return running_worker(
        APP, directory, APP_NAME="metered", MODEL_SERVER_SOCKET_DIR=str(directory), **env
    )


@pytest.fixture(scope="module")
def worker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WorkerProcess]:
    if not HAVE_CLIENT:
        pytest.skip("prometheus_client is not installed (pip install 'gmi-ieops[metrics]')")
    # unset IEOPS_METRICS: on, because the library is installed; one slot, to see a queue
    with _start(tmp_path_factory.mktemp("metered"), MODEL_THREAD_CONCURRENCY="1") as started:
        yield started


def scrape(worker: WorkerProcess) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    from prometheus_client.parser import text_string_to_metric_families

    with worker.client() as client:
        response = client.get("http://w/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    samples: dict[tuple[str, frozenset[tuple[str, str]]], float] = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def value(samples: dict[Any, float], name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


@needs_client
def test_requests_are_counted_by_route_template_and_status(worker: WorkerProcess) -> None:
    before = scrape(worker)
    with worker.client() as client:
        assert client.get("http://w/items/a").status_code == 200
        assert client.get("http://w/items/b").status_code == 200
        assert client.post("http://w/boom", json={}).status_code == 500
        assert client.get("http://w/no/such/path").status_code == 404
        assert client.get("http://w/health").status_code == 200
        assert client.request("PROPFIND", "http://w/items/a").status_code == 405
    after = scrape(worker)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("ieops_requests_total", route="/items/{item}", method="GET", status="200") == 2
    assert grew("ieops_requests_total", route="/boom", method="POST", status="500") == 1
    assert grew("ieops_requests_total", route="", method="GET", status="404") == 1
    assert grew("ieops_requests_total", route="/health", method="GET", status="200") == 1
    other = [k for k in after if ("method", "other") in k[1] and ("status", "405") in k[1]]
    assert sum(after[k] - before.get(k, 0) for k in other) == 1  # PROPFIND: no series of its own
    latency = "ieops_request_duration_seconds_count"
    assert grew(latency, route="/items/{item}", method="GET") == 2
    assert not any("/items/a" in str(key) for key in after)  # never the raw path


@needs_client
def test_stream_timings(worker: WorkerProcess) -> None:
    before = scrape(worker)
    with worker.client() as client:
        response = client.post("http://w/stream", json={})
    assert response.text.endswith("data: [DONE]\n\n")
    after = scrape(worker)
    first = "ieops_sse_time_to_first_event_seconds"
    whole = "ieops_sse_stream_duration_seconds"
    for name in (first, whole):
        grew = value(after, f"{name}_count", route="/stream") - value(
            before, f"{name}_count", route="/stream"
        )
        assert grew == 1, name
    took_first = value(after, f"{first}_sum", route="/stream") - value(
        before, f"{first}_sum", route="/stream"
    )
    took_all = value(after, f"{whole}_sum", route="/stream") - value(
        before, f"{whole}_sum", route="/stream"
    )
    assert 0.04 < took_first < took_all and took_all >= 0.19


@needs_client
def test_in_flight_and_queue_depth(worker: WorkerProcess) -> None:
    def hold() -> None:
        with worker.client() as client:
            client.post("http://w/slow", json={"seconds": 1.5})

    threads = [threading.Thread(target=hold) for _ in range(2)]
    for thread in threads:
        thread.start()
        time.sleep(0.2)
    try:
        samples = scrape(worker)
        assert value(samples, "ieops_requests_in_flight") == 1  # MODEL_THREAD_CONCURRENCY=1
        assert value(samples, "ieops_queue_depth") == 1
        assert value(samples, "ieops_concurrency_limit") == 1
    finally:
        for thread in threads:
            thread.join()
    assert value(scrape(worker), "ieops_requests_in_flight") == 0


@needs_client
def test_batch_sizes_from_the_hook(worker: WorkerProcess) -> None:
    with worker.client() as client:
        for size in (3, 5):
            client.post("http://w/batch", json={"size": size})
    samples = scrape(worker)
    assert value(samples, "ieops_batch_size_count", route="/batch") == 2
    assert value(samples, "ieops_batch_size_sum", route="/batch") == 8


def test_metrics_off_when_disabled(tmp_path: Path) -> None:
    with _start(tmp_path, IEOPS_METRICS="false") as started, started.client() as client:
        assert client.get("http://w/metrics").status_code == 404
        assert client.get("http://w/items/a").status_code == 200


def test_without_the_library_metrics_degrade_with_a_clear_message(tmp_path: Path) -> None:
    """The library made unimportable (whether installed or not): the worker serves, warns
    once, and ``/metrics`` says which extra to install."""
    blocker = tmp_path / "blocked" / "prometheus_client"
    blocker.mkdir(parents=True)
    (blocker / "__init__.py").write_text("raise ImportError('blocked by the test')\n")
    import os

    path = os.pathsep.join([str(blocker.parent), os.environ.get("PYTHONPATH", "")])
    with _start(tmp_path, IEOPS_METRICS="true", PYTHONPATH=path) as started:
        with started.client() as client:
            response = client.get("http://w/metrics")
            assert client.get("http://w/items/a").status_code == 200
        assert response.status_code == 503
        assert "pip install 'gmi-ieops[metrics]'" in response.json()["message"]
        assert "prometheus_client" in started.output
    with (
        _start(tmp_path, PYTHONPATH=path) as started,  # unset: off without the library
        started.client() as client,
    ):
        assert client.get("http://w/metrics").status_code == 404
