"""SubprocessManager against real child processes (python scripts, http.server, a shell)."""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import signal
import socket
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from gmi_ieops import lifecycle
from gmi_ieops.utils import (
    SubprocessExitError,
    SubprocessManager,
    SubprocessStartError,
)

PY = sys.executable


def script(tmp_path: Path, name: str, body: str) -> str:
    path = tmp_path / name
    path.write_text(textwrap.dedent(body))
    return str(path)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def gone(pid: int, within: float = 3.0) -> bool:
    """The process no longer exists, or is a zombie waiting for PID 1 to reap it."""
    deadline = time.monotonic() + within
    while True:
        try:
            stat = Path(f"/proc/{pid}/stat").read_bytes()
        except FileNotFoundError:
            return True
        if stat[stat.rfind(b")") + 2 :].split()[0] in (b"Z", b"X"):
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)


def wait_for(predicate: object, within: float = 5.0) -> None:
    assert callable(predicate)
    deadline = time.monotonic() + within
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


@pytest.fixture
def managers() -> Iterator[list[SubprocessManager]]:
    """Every manager a test creates is stopped, even when the test fails."""
    created: list[SubprocessManager] = []
    yield created
    for manager in created:
        manager.stop(timeout=1.0)


@pytest.fixture
def exits() -> list[SubprocessExitError]:
    return []


# -- start and health checks ----------------------------------------------------------------


def test_url_health_check_over_tcp(managers: list[SubprocessManager], tmp_path: Path) -> None:
    port = free_port()
    (tmp_path / "health").write_text("ok")
    manager = SubprocessManager(
        [PY, "-m", "http.server", "--bind", "127.0.0.1", str(port)],
        cwd=tmp_path,
        health_check=f"http://127.0.0.1:{port}/health",
        health_interval=0.05,
        startup_timeout=10,
        on_exit="ignore",
    )
    managers.append(manager)
    manager.start()
    assert manager.running
    # http.server answered the probe: its access log line came through the output pipe.
    wait_for(lambda: any("GET /health" in line for line in manager.output()))


def test_url_health_check_over_unix_socket(
    managers: list[SubprocessManager], tmp_path: Path
) -> None:
    sock = tmp_path / "server.sock"
    server = script(
        tmp_path,
        "uds_server.py",
        """
        import http.server, socketserver, sys, time

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                # Not ready for the first half second, then healthy on /healthz only.
                ok = self.path == "/healthz" and time.monotonic() - START > 0.5
                self.send_response(200 if ok else 503)
                self.end_headers()
                print("probe", self.path, 200 if ok else 503, flush=True)

            def address_string(self):
                return "uds"

        START = time.monotonic()
        socketserver.UnixStreamServer(sys.argv[1], Handler).serve_forever()
        """,
    )
    manager = SubprocessManager(
        [PY, server, str(sock)],
        health_check=f"unix://{sock}:/healthz",
        health_interval=0.05,
        startup_timeout=10,
        on_exit="ignore",
    )
    managers.append(manager)
    manager.start()
    # the server prints after it answered: the 200 line may reach the pipe after start()
    deadline = time.monotonic() + 10
    while "probe /healthz 200" not in manager.output() and time.monotonic() < deadline:
        time.sleep(0.01)
    lines = manager.output()
    assert "probe /healthz 503" in lines
    assert "probe /healthz 200" in lines


def test_sync_callable_health_check_and_context_manager(tmp_path: Path) -> None:
    ready = tmp_path / "ready"
    child = script(
        tmp_path,
        "child.py",
        """
        import pathlib, sys, time
        time.sleep(0.3)
        pathlib.Path(sys.argv[1]).write_text("ready")
        print("serving", flush=True)
        time.sleep(60)
        """,
    )
    calls = 0

    def healthy() -> bool:
        nonlocal calls
        calls += 1
        return ready.exists()

    started = time.monotonic()
    with SubprocessManager(
        [PY, child, str(ready)], health_check=healthy, health_interval=0.05, on_exit="ignore"
    ) as manager:
        assert ready.exists()
        assert time.monotonic() - started >= 0.3
        assert calls >= 2
        pid = manager.pid
        assert pid is not None
    assert not manager.running
    assert gone(pid)


async def test_async_health_check_runs_on_the_callers_loop(tmp_path: Path) -> None:
    ready = tmp_path / "ready"
    child = script(
        tmp_path,
        "child.py",
        """
        import pathlib, sys, time
        time.sleep(0.2)
        pathlib.Path(sys.argv[1]).write_text("ready")
        time.sleep(60)
        """,
    )
    loop = asyncio.get_running_loop()
    loops: set[asyncio.AbstractEventLoop] = set()

    async def healthy() -> bool:
        loops.add(asyncio.get_running_loop())
        await asyncio.sleep(0)
        return ready.exists()

    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.01)

    ticking = asyncio.create_task(ticker())
    try:
        async with SubprocessManager(
            [PY, child, str(ready)], health_check=healthy, health_interval=0.05, on_exit="ignore"
        ) as manager:
            assert manager.running
    finally:
        ticking.cancel()
    assert loops == {loop}
    assert ticks >= 5  # astart() did not block the event loop while waiting
    assert not manager.running


def test_startup_timeout_error_has_last_output_lines(
    managers: list[SubprocessManager], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The child prints without flushing: the manager sets PYTHONUNBUFFERED for it.
    monkeypatch.delenv("PYTHONUNBUFFERED", raising=False)
    child = script(
        tmp_path,
        "slow.py",
        """
        import time
        for i in range(30):
            print(f"loading shard {i}")
        time.sleep(60)
        """,
    )
    manager = SubprocessManager(
        [PY, child],
        health_check=lambda: False,
        health_interval=0.05,
        startup_timeout=0.8,
        stop_timeout=2,
        on_exit="ignore",
    )
    managers.append(manager)
    started = time.monotonic()
    with pytest.raises(SubprocessStartError) as info:
        manager.start()
    assert 0.8 <= time.monotonic() - started < 5
    message = str(info.value)
    assert "did not become healthy within 0.8 s" in message
    assert "returned False" in message
    assert "loading shard 29" in message
    assert "loading shard 10" in message
    assert "loading shard 9\n" not in message  # only the last 20 lines are in the message
    assert info.value.output[-1] == "loading shard 29"
    assert len(info.value.output) == 30
    assert not manager.running
    pid = manager.pid
    assert pid is not None and gone(pid)


def test_exit_during_start_up_is_reported_at_once(
    managers: list[SubprocessManager], tmp_path: Path
) -> None:
    manager = SubprocessManager(
        [PY, "-c", "import sys; print('CUDA out of memory'); sys.exit(3)"],
        health_check="http://127.0.0.1:9/health",
        health_interval=0.05,
        startup_timeout=30,
        on_exit="ignore",
    )
    managers.append(manager)
    started = time.monotonic()
    with pytest.raises(SubprocessStartError) as info:
        manager.start()
    assert time.monotonic() - started < 5
    assert info.value.returncode == 3
    assert "exited with code 3 during start-up" in str(info.value)
    assert "CUDA out of memory" in str(info.value)


def test_missing_executable_is_a_start_error(tmp_path: Path) -> None:
    manager = SubprocessManager([str(tmp_path / "no-such-server")], on_exit="ignore")
    with pytest.raises(SubprocessStartError, match="cannot start no-such-server"):
        manager.start()


# -- restarts -------------------------------------------------------------------------------


def crasher(tmp_path: Path, code: int = 1) -> tuple[str, Path]:
    runs = tmp_path / "runs"
    child = script(
        tmp_path,
        "crash.py",
        f"""
        import sys, time
        with open(sys.argv[1], "a") as f:
            f.write(f"{{time.monotonic()}}\\n")
        print("fatal: model weights corrupt", flush=True)
        sys.exit({code})
        """,
    )
    return child, runs


def run_times(runs: Path) -> list[float]:
    return [float(line) for line in runs.read_text().split()]


def test_crash_is_restarted_with_backoff_then_on_exit(
    managers: list[SubprocessManager], exits: list[SubprocessExitError], tmp_path: Path
) -> None:
    child, runs = crasher(tmp_path, code=1)
    manager = SubprocessManager(
        [PY, child, str(runs)],
        restart="on-failure",
        max_restarts=3,
        backoff_initial=0.1,
        backoff_factor=2,
        backoff_max=0.3,
        on_exit=exits.append,
    )
    managers.append(manager)
    manager.start()
    assert manager.wait(timeout=10)
    assert manager.restarts == 3
    times = run_times(runs)
    assert len(times) == 4  # the first run and 3 restarts
    gaps = [b - a for a, b in itertools.pairwise(times)]
    # Backoff 0.1 s, 0.2 s, then capped at 0.3 s (each gap also includes a Python start-up).
    assert gaps[0] >= 0.1
    assert gaps[1] >= 0.2
    assert gaps[2] >= 0.3
    assert len(exits) == 1
    failure = exits[0]
    assert failure is manager.failure
    assert failure.returncode == 1
    assert "after 3 restarts" in str(failure)
    assert "fatal: model weights corrupt" in str(failure)


def test_on_failure_does_not_restart_a_clean_exit(
    managers: list[SubprocessManager], exits: list[SubprocessExitError], tmp_path: Path
) -> None:
    child, runs = crasher(tmp_path, code=0)
    manager = SubprocessManager(
        [PY, child, str(runs)], restart="on-failure", backoff_initial=0.01, on_exit=exits.append
    )
    managers.append(manager)
    manager.start()
    assert manager.wait(timeout=10)
    assert manager.restarts == 0
    assert len(run_times(runs)) == 1
    assert [e.returncode for e in exits] == [0]


def test_always_restarts_a_clean_exit(
    managers: list[SubprocessManager], exits: list[SubprocessExitError], tmp_path: Path
) -> None:
    child, runs = crasher(tmp_path, code=0)
    manager = SubprocessManager(
        [PY, child, str(runs)],
        restart="always",
        max_restarts=2,
        backoff_initial=0.01,
        on_exit=exits.append,
    )
    managers.append(manager)
    manager.start()
    assert manager.wait(timeout=10)
    assert manager.restarts == 2
    assert len(run_times(runs)) == 3
    assert len(exits) == 1


def test_restart_waits_for_health_again(
    managers: list[SubprocessManager], exits: list[SubprocessExitError], tmp_path: Path
) -> None:
    """A restarted child that never becomes healthy counts as a failed restart."""
    runs = tmp_path / "runs"
    child = script(
        tmp_path,
        "flaky.py",
        """
        import sys, time
        with open(sys.argv[1], "a") as f:
            f.write("run\\n")
        time.sleep(0.2)
        sys.exit(1)
        """,
    )
    health_calls = 0

    def healthy() -> bool:
        nonlocal health_calls
        health_calls += 1
        return health_calls == 1  # healthy only the very first time

    manager = SubprocessManager(
        [PY, child, str(runs)],
        health_check=healthy,
        health_interval=0.02,
        startup_timeout=5,
        restart="on-failure",
        max_restarts=2,
        backoff_initial=0.01,
        on_exit=exits.append,
    )
    managers.append(manager)
    manager.start()
    assert manager.wait(timeout=10)
    assert runs.read_text().split() == ["run"] * 3
    assert manager.restarts == 2
    assert len(exits) == 1
    assert "during start-up" in exits[0].message


def test_stop_during_backoff_is_prompt(
    managers: list[SubprocessManager], exits: list[SubprocessExitError], tmp_path: Path
) -> None:
    child, runs = crasher(tmp_path, code=1)
    manager = SubprocessManager(
        [PY, child, str(runs)], restart="on-failure", backoff_initial=30, on_exit=exits.append
    )
    managers.append(manager)
    manager.start()
    wait_for(lambda: any("corrupt" in line for line in manager.output()))
    time.sleep(0.2)
    started = time.monotonic()
    manager.stop()
    assert time.monotonic() - started < 2
    assert manager.wait(timeout=0)
    assert exits == []  # a stop is not a failure
    assert len(run_times(runs)) == 1


# -- on_exit: the worker is asked to shut down ----------------------------------------------


@pytest.fixture
def worker_lifecycle() -> Iterator[lifecycle.Lifecycle]:
    """A Lifecycle with no server bound: request_shutdown records, it sends no SIGTERM."""
    previous = lifecycle.current()
    current = lifecycle.Lifecycle()
    lifecycle.set_current(current)
    try:
        yield current
    finally:
        lifecycle.set_current(previous)


def test_exhausted_restarts_request_worker_shutdown(
    managers: list[SubprocessManager], worker_lifecycle: lifecycle.Lifecycle, tmp_path: Path
) -> None:
    child, runs = crasher(tmp_path, code=7)
    manager = SubprocessManager(
        [PY, child, str(runs)], name="vllm", restart="on-failure", max_restarts=1,
        backoff_initial=0.01,
    )  # fmt: skip
    managers.append(manager)
    manager.start()
    assert manager.wait(timeout=10)
    assert worker_lifecycle.exit_code == 7
    assert worker_lifecycle.shutdown_reason is not None
    assert "vllm exited with code 7 after 1 restarts" in worker_lifecycle.shutdown_reason


def test_killed_child_shuts_the_worker_down_with_128_plus_signal(
    managers: list[SubprocessManager], worker_lifecycle: lifecycle.Lifecycle
) -> None:
    manager = SubprocessManager(
        [PY, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGKILL)"], name="tgi"
    )
    managers.append(manager)
    manager.start()
    assert manager.wait(timeout=10)
    assert worker_lifecycle.exit_code == 128 + signal.SIGKILL
    assert worker_lifecycle.shutdown_reason == "tgi was killed by signal 9; not restarting"


# -- stop -----------------------------------------------------------------------------------

GRANDPARENT = """
import subprocess, sys, time
helper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
print(f"helper {{helper.pid}}", flush=True)
{after}
"""


def helper_pid(manager: SubprocessManager) -> int:
    wait_for(lambda: any(line.startswith("helper ") for line in manager.output()))
    line = next(line for line in manager.output() if line.startswith("helper "))
    return int(line.split()[1])


def test_stop_kills_the_whole_process_group(
    managers: list[SubprocessManager], tmp_path: Path
) -> None:
    child = script(tmp_path, "parent.py", GRANDPARENT.format(after="time.sleep(60)"))
    manager = SubprocessManager([PY, child], on_exit="ignore")
    managers.append(manager)
    manager.start()
    grandchild = helper_pid(manager)
    pid = manager.pid
    assert pid is not None
    assert os.getpgid(grandchild) == pid  # the helper is in the child's group
    assert os.getpgid(pid) != os.getpgid(0)  # and that group is not ours
    manager.stop()
    assert gone(pid)
    assert gone(grandchild)


def test_stop_escalates_to_sigkill(managers: list[SubprocessManager]) -> None:
    manager = SubprocessManager(
        [
            PY,
            "-c",
            "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN);"
            " print('ignoring SIGTERM', flush=True); time.sleep(60)",
        ],
        stop_timeout=0.5,
        on_exit="ignore",
    )
    managers.append(manager)
    manager.start()
    wait_for(lambda: "ignoring SIGTERM" in manager.output())
    started = time.monotonic()
    manager.stop()
    assert 0.5 <= time.monotonic() - started < 3
    assert manager.returncode == -signal.SIGKILL


def test_helpers_left_by_a_dead_child_are_stopped(
    managers: list[SubprocessManager], exits: list[SubprocessExitError], tmp_path: Path
) -> None:
    child = script(tmp_path, "parent.py", GRANDPARENT.format(after="time.sleep(0.3); sys.exit(2)"))
    manager = SubprocessManager([PY, child], on_exit=exits.append, stop_timeout=2)
    managers.append(manager)
    manager.start()
    grandchild = helper_pid(manager)
    assert manager.wait(timeout=10)
    assert gone(grandchild, within=0.5)
    assert [e.returncode for e in exits] == [2]


# -- command handling and output ------------------------------------------------------------


def test_argv_is_not_interpreted_by_a_shell(
    managers: list[SubprocessManager], tmp_path: Path
) -> None:
    marker = tmp_path / "pwned"
    tricky = f"a; touch {marker} $(touch {marker}) `touch {marker}` $HOME | > {marker}"
    manager = SubprocessManager(
        [PY, "-c", "import sys; print(repr(sys.argv[1]))", tricky], on_exit="ignore"
    )
    managers.append(manager)
    manager.start()
    assert manager.wait(timeout=10)
    assert manager.output() == [repr(tricky)]
    assert not marker.exists()


def test_shell_true_runs_a_command_string(managers: list[SubprocessManager]) -> None:
    manager = SubprocessManager("echo $((6 * 7)) | tr 4 X", shell=True, on_exit="ignore")
    managers.append(manager)
    manager.start()
    assert manager.wait(timeout=10)
    assert manager.output() == ["X2"]


def test_env_and_cwd_reach_the_child(managers: list[SubprocessManager], tmp_path: Path) -> None:
    code = "import os; print(os.getcwd(), os.environ['IEOPS_TEST_VAR'], 'PATH' in os.environ)"
    manager = SubprocessManager(
        [PY, "-c", code], env={"IEOPS_TEST_VAR": "x y"}, cwd=tmp_path, on_exit="ignore"
    )
    managers.append(manager)
    manager.start()
    assert manager.wait(timeout=10)
    assert manager.output() == [f"{tmp_path.resolve()} x y True"]
    isolated = SubprocessManager(
        [PY, "-c", code], env={"IEOPS_TEST_VAR": "z"}, inherit_env=False, on_exit="ignore"
    )
    managers.append(isolated)
    isolated.start()
    assert isolated.wait(timeout=10)
    assert isolated.output()[0].endswith(" z False")


def test_output_ring_buffer_and_log_forwarding(
    managers: list[SubprocessManager], tmp_path: Path
) -> None:
    records: list[logging.LogRecord] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    logger = logging.getLogger("gmi_ieops.subprocess")
    handler = Collect()
    logger.addHandler(handler)
    previous_level = logger.level
    logger.setLevel(logging.INFO)
    try:
        code = "import sys\nfor i in range(50): print(f'line {i}')\nprint('oops', file=sys.stderr)"
        manager = SubprocessManager([PY, "-c", code], name="llama", output_lines=10)
        manager.on_exit = "ignore"
        managers.append(manager)
        manager.start()
        assert manager.wait(timeout=10)
        pid = manager.pid
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous_level)
    assert manager.output() == [f"line {i}" for i in range(41, 50)] + ["oops"]
    assert manager.output(2) == ["line 49", "oops"]
    forwarded = [r.getMessage() for r in records if r.getMessage().startswith("llama[")]
    assert len(forwarded) == 51
    assert forwarded[0] == f"llama[{pid}] line 0"
    assert forwarded[-1] == f"llama[{pid}] oops"


# -- bad arguments --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"command": "vllm serve x"}, TypeError, "is a string: pass an argv list"),
        ({"command": ["a"], "shell": True}, TypeError, "shell=True takes the command as one"),
        ({"command": []}, ValueError, "empty argv"),
        ({"command": ["a"], "restart": "sometimes"}, ValueError, "restart='sometimes'"),
        ({"command": ["a"], "health_check": "ftp://x/"}, ValueError, "'ftp://x/' is not supp"),
        ({"command": ["a"], "health_check": "unix://rel.sock:/h"}, ValueError, "absolute"),
        ({"command": ["a"], "health_check": 5}, TypeError, "URL string or a callable"),
        ({"command": ["a"], "stop_timeout": -1}, ValueError, "stop_timeout=-1"),
        ({"command": ["a"], "on_exit": "exit"}, ValueError, "on_exit='exit'"),
        ({"command": ["a"], "env": {"A": 1}}, TypeError, "must be str"),
    ],
)
def test_bad_arguments_are_named(kwargs: dict[str, object], error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        SubprocessManager(**kwargs)  # type: ignore[arg-type]


def test_start_twice_is_an_error(managers: list[SubprocessManager]) -> None:
    manager = SubprocessManager([PY, "-c", "import time; time.sleep(60)"], on_exit="ignore")
    managers.append(manager)
    manager.start()
    with pytest.raises(RuntimeError, match="already started"):
        manager.start()
    manager.stop()
    manager.start()  # a stopped manager can start again
    assert manager.running


def test_stop_from_another_thread_aborts_start_up(managers: list[SubprocessManager]) -> None:
    manager = SubprocessManager(
        [PY, "-c", "import time; time.sleep(60)"],
        health_check=lambda: False,
        health_interval=0.05,
        startup_timeout=30,
        on_exit="ignore",
    )
    managers.append(manager)
    threading.Timer(0.3, manager.stop).start()
    started = time.monotonic()
    with pytest.raises(SubprocessStartError, match="stopped during start-up"):
        manager.start()
    assert time.monotonic() - started < 3


def test_restart_count_resets_after_a_long_enough_run(
    managers: list[SubprocessManager], exits: list[SubprocessExitError], tmp_path: Path
) -> None:
    """Runs 1-3 stay up past reset_after, so max_restarts=1 never runs out until run 4."""
    runs = tmp_path / "runs"
    child = script(
        tmp_path,
        "aging.py",
        """
        import pathlib, sys, time
        runs = pathlib.Path(sys.argv[1])
        with runs.open("a") as f:
            f.write("run\\n")
        if len(runs.read_text().split()) < 4:
            time.sleep(0.4)
        sys.exit(1)
        """,
    )
    manager = SubprocessManager(
        [PY, child, str(runs)],
        restart="on-failure",
        max_restarts=1,
        backoff_initial=0.01,
        reset_after=0.3,
        on_exit=exits.append,
    )
    managers.append(manager)
    manager.start()
    assert manager.wait(timeout=10)
    assert len(runs.read_text().split()) == 4
    assert manager.restarts == 3
    assert len(exits) == 1


async def test_cancelled_astart_stops_the_child(managers: list[SubprocessManager]) -> None:
    manager = SubprocessManager(
        [PY, "-c", "import time; time.sleep(60)"],
        health_check=lambda: False,
        health_interval=0.05,
        startup_timeout=30,
        on_exit="ignore",
    )
    managers.append(manager)
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(manager.astart(), 0.5)
    pid = manager.pid
    assert pid is not None
    assert gone(pid)
    assert manager.wait(timeout=2)
