from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.worker import WorkerProcess, running_worker

APPS = Path(__file__).parent / "apps"
# The seed README's quick start, unchanged, is the example of examples/quickstart.
QUICKSTART = Path(__file__).parents[2] / "examples" / "quickstart" / "server.py"


@pytest.fixture(scope="module")
def kinds_worker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WorkerProcess]:
    """The every-kind worker on an automatic Unix socket in a temporary directory."""
    directory = tmp_path_factory.mktemp("kinds")
    events = directory / "events.txt"
    events.touch()
    with running_worker(
        APPS / "kinds.py",
        directory,
        APP_NAME="kinds",
        MODEL_SERVER_SOCKET_DIR=str(directory),
        EVENTS_FILE=str(events),
        MODEL_THREAD_CONCURRENCY="4",
    ) as worker:
        worker.events = events  # type: ignore[attr-defined]
        yield worker


def read_events(path: Path) -> dict[str, float]:
    events: dict[str, float] = {}
    for line in path.read_text().splitlines():
        name, stamp = line.split()
        events[name] = float(stamp)
    return events
