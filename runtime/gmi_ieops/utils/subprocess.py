"""``SubprocessManager``: run the server a worker fronts (vLLM, TGI, llama.cpp, ...).

The child runs in its own process group, is health-checked until ready, restarted by
policy with exponential backoff, and stopped as a whole group (SIGTERM, then SIGKILL). Its
output is kept in a ring buffer and forwarded to the worker's log; every failure carries
the last lines. A child that dies for good asks the worker to shut down cleanly through
:func:`gmi_ieops.lifecycle.request_shutdown` instead of killing the process.

One supervisor thread per manager does the waiting, so the same object works from sync
code (``start``/``stop``) and async code (``astart``/``astop``) and never busy-loops.
"""

from __future__ import annotations

import asyncio
import atexit
import collections
import concurrent.futures
import logging
import os
import shlex
import subprocess
import threading
import time
import weakref
from collections.abc import Callable, Mapping, Sequence
from types import TracebackType
from typing import IO, Literal, TypeAlias

from .. import lifecycle  # an attribute at call time: utils/__init__ imports this module
from . import log
from ._health import HealthCheck, Prober
from ._process_group import terminate_group

RestartPolicy: TypeAlias = Literal["never", "on-failure", "always"]
ExitCallback: TypeAlias = Callable[["SubprocessExitError"], object]
StrPath: TypeAlias = "str | os.PathLike[str]"

_RESTART_POLICIES = ("never", "on-failure", "always")
_MESSAGE_LINES = 20
_MAX_LINE_BYTES = 64 * 1024

_logger = log.get_logger("subprocess")


class SubprocessError(RuntimeError):
    """A managed child failed; ``output`` holds its last lines, also shown in the message."""

    def __init__(
        self,
        message: str,
        *,
        name: str,
        returncode: int | None = None,
        output: Sequence[str] = (),
    ) -> None:
        self.message = message
        self.name = name
        self.returncode = returncode
        self.output: tuple[str, ...] = tuple(output)
        super().__init__(message)

    def __str__(self) -> str:
        if not self.output:
            return f"{self.message}\n(no output from {self.name})"
        shown = self.output[-_MESSAGE_LINES:]
        lines = "\n".join(f"  | {line}" for line in shown)
        return f"{self.message}\nlast {len(shown)} lines of output from {self.name}:\n{lines}"


class SubprocessStartError(SubprocessError):
    """The child could not be started, exited during start-up, or never became healthy."""


class SubprocessExitError(SubprocessError):
    """The child exited unexpectedly and will not be restarted (given to ``on_exit``)."""


def _describe_exit(returncode: int) -> str:
    if returncode < 0:
        return f"was killed by signal {-returncode}"
    return f"exited with code {returncode}"


def shutdown_exit_code(returncode: int | None) -> int:
    """The worker's exit code for a child that died: never 0, signals as ``128 + n``."""
    if returncode is None or returncode == 0:
        return 1
    return 128 - returncode if returncode < 0 else returncode


class SubprocessManager:
    """Start, health-check, restart and stop one child process (and its whole group).

    ``command`` is an argv list run without a shell; a string is accepted only with
    ``shell=True`` (run by ``/bin/sh -c``). ``env`` is added to the worker's environment
    (``inherit_env=False`` passes only ``env``). ``health_check`` is a callable returning
    bool (sync or async) or a URL, ``http://host:port/path`` or
    ``unix:///path/to.sock:/path``, polled every ``health_interval`` s until it passes or
    ``startup_timeout`` s have gone by. ``restart`` is ``"never"``, ``"on-failure"`` (a
    non-zero exit, a signal, or a failed health check after a restart) or ``"always"``, at
    most ``max_restarts`` times in a row, waiting ``backoff_initial * backoff_factor**n``
    (capped at ``backoff_max``) s before restart ``n + 1``; the count starts again once a
    child has stayed up ``reset_after`` s. When the child is gone for good, ``on_exit``
    runs: ``"shutdown"`` (default) asks the worker to stop with a non-zero exit code,
    ``"ignore"`` only logs, a callable receives the :class:`SubprocessExitError`.
    """

    def __init__(
        self,
        command: Sequence[StrPath] | str,
        *,
        shell: bool = False,
        env: Mapping[str, str] | None = None,
        inherit_env: bool = True,
        cwd: StrPath | None = None,
        name: str | None = None,
        health_check: HealthCheck | None = None,
        startup_timeout: float = 120.0,
        health_interval: float = 0.5,
        health_timeout: float = 2.0,
        restart: RestartPolicy = "never",
        max_restarts: int = 3,
        backoff_initial: float = 1.0,
        backoff_factor: float = 2.0,
        backoff_max: float = 30.0,
        reset_after: float | None = 300.0,
        stop_timeout: float = 10.0,
        output_lines: int = 200,
        log_level: int | None = logging.INFO,
        on_exit: Literal["shutdown", "ignore"] | ExitCallback = "shutdown",
    ) -> None:
        self._args: list[str] | str = _check_command(command, shell)
        self.shell = shell
        self.cwd = os.fspath(cwd) if cwd is not None else None
        self._env = _child_env(env, inherit_env)
        self.name = name or _default_name(self._args, shell)
        if restart not in _RESTART_POLICIES:
            raise ValueError(f"restart={restart!r}: expected one of {', '.join(_RESTART_POLICIES)}")
        self.restart_policy: RestartPolicy = restart
        _check_non_negative(
            startup_timeout=startup_timeout,
            health_interval=health_interval,
            health_timeout=health_timeout,
            max_restarts=max_restarts,
            backoff_initial=backoff_initial,
            backoff_max=backoff_max,
            stop_timeout=stop_timeout,
        )
        if backoff_factor < 1:
            raise ValueError(f"backoff_factor={backoff_factor!r}: must be at least 1")
        if output_lines < 1:
            raise ValueError(f"output_lines={output_lines!r}: must be at least 1")
        if not (on_exit in ("shutdown", "ignore") or callable(on_exit)):
            raise ValueError(f"on_exit={on_exit!r}: expected 'shutdown', 'ignore' or a callable")
        self._prober = Prober(health_check, health_timeout) if health_check is not None else None
        self.startup_timeout = startup_timeout
        self.health_interval = health_interval
        self.max_restarts = max_restarts
        self.backoff_initial = backoff_initial
        self.backoff_factor = backoff_factor
        self.backoff_max = backoff_max
        self.reset_after = reset_after
        self.stop_timeout = stop_timeout
        self.log_level = log_level
        self.on_exit = on_exit

        self._lines: collections.deque[str] = collections.deque(maxlen=output_lines)
        self._lines_lock = threading.Lock()
        self._lock = threading.Lock()
        self._stop_event = threading.Event()
        self._stopping = False
        self._proc: subprocess.Popen[bytes] | None = None
        self._reader: threading.Thread | None = None
        self._supervisor: threading.Thread | None = None
        self._restarts = 0
        self._in_a_row = 0
        self._healthy_since = 0.0
        self._failure: SubprocessExitError | None = None

    # -- public state -------------------------------------------------------------------

    @property
    def command(self) -> str:
        """The command line, quoted for display."""
        return self._args if isinstance(self._args, str) else shlex.join(self._args)

    @property
    def pid(self) -> int | None:
        """The current child's pid (also its process group id), if one was started."""
        proc = self._proc
        return proc.pid if proc is not None else None

    @property
    def returncode(self) -> int | None:
        proc = self._proc
        return proc.returncode if proc is not None else None

    @property
    def running(self) -> bool:
        proc = self._proc
        return proc is not None and proc.poll() is None

    @property
    def restarts(self) -> int:
        """How many times the child was restarted since :meth:`start`."""
        return self._restarts

    @property
    def failure(self) -> SubprocessExitError | None:
        """Why the child is gone for good, once it is (the error given to ``on_exit``)."""
        return self._failure

    def output(self, lines: int | None = None) -> list[str]:
        """The last ``lines`` lines of output (all that are kept by default)."""
        with self._lines_lock:
            kept = list(self._lines)
        return kept if lines is None else kept[-lines:] if lines > 0 else []

    # -- start ------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the child and block until it is healthy; raise :class:`SubprocessStartError`."""
        started = self._begin(None)
        try:
            started.result()
        except BaseException:
            self.stop()
            raise

    async def astart(self) -> None:
        """Like :meth:`start` without blocking the event loop; cancelling stops the child.

        An async health check runs on this event loop.
        """
        started = self._begin(asyncio.get_running_loop())
        try:
            await asyncio.wrap_future(started)
        except asyncio.CancelledError:
            await self.astop()
            raise

    def _begin(self, loop: asyncio.AbstractEventLoop | None) -> concurrent.futures.Future[None]:
        with self._lock:
            if self._supervisor is not None and self._supervisor.is_alive():
                raise RuntimeError(f"{self.name} is already started; stop() it first")
            self._stopping = False
            self._stop_event.clear()
            self._proc = None
            self._restarts = 0
            self._in_a_row = 0
            self._failure = None
            if self._prober is not None:
                self._prober.loop = loop
            started: concurrent.futures.Future[None] = concurrent.futures.Future()
            self._supervisor = threading.Thread(
                target=self._supervise, args=(started,), name=f"subprocess:{self.name}", daemon=True
            )
            _live.add(self)
            self._supervisor.start()
        return started

    # -- stop -------------------------------------------------------------------------------

    def stop(self, timeout: float | None = None) -> None:
        """Stop the child's whole process group: SIGTERM, ``stop_timeout`` s, then SIGKILL.

        Safe to call more than once, from any thread, and before or during start-up.
        """
        with self._lock:
            self._stopping = True
            self._stop_event.set()
            proc = self._proc
            supervisor = self._supervisor
        if proc is not None:
            terminate_group(
                proc, self.stop_timeout if timeout is None else timeout, _logger, self.name
            )
        if supervisor is not None and supervisor is not threading.current_thread():
            supervisor.join()
        self._join_reader()
        _live.discard(self)

    async def astop(self, timeout: float | None = None) -> None:
        """Like :meth:`stop` without blocking the event loop."""
        await asyncio.to_thread(self.stop, timeout)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the manager is done (stopped, or the child gone for good).

        Returns ``False`` if ``timeout`` s passed first.
        """
        supervisor = self._supervisor
        if supervisor is None:
            return True
        supervisor.join(timeout)
        return not supervisor.is_alive()

    def __enter__(self) -> SubprocessManager:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    async def __aenter__(self) -> SubprocessManager:
        await self.astart()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.astop()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<SubprocessManager {self.name!r} {state} pid={self.pid} cmd={self.command!r}>"

    # -- the supervisor thread ----------------------------------------------------------------

    def _supervise(self, started: concurrent.futures.Future[None]) -> None:
        # A RUNNING future cannot be cancelled, so a cancelled astart() cannot make
        # set_result() below raise; astart() stops the child instead.
        if not started.set_running_or_notify_cancel():
            return
        try:
            try:
                self._launch()
            except BaseException as exc:
                started.set_exception(exc)
                return
            started.set_result(None)
            while True:
                failure = self._watch()
                if failure is None:
                    return
                while True:
                    if not self._should_restart(failure):
                        self._give_up(failure)
                        return
                    delay = min(
                        self.backoff_initial * self.backoff_factor**self._in_a_row,
                        self.backoff_max,
                    )
                    _logger.warning(
                        "%s; restart %d of %d in %.1f s",
                        failure.message,
                        self._in_a_row + 1,
                        self.max_restarts,
                        delay,
                    )
                    if self._stop_event.wait(delay):
                        return
                    self._in_a_row += 1
                    self._restarts += 1
                    try:
                        self._launch()
                        break
                    except SubprocessStartError as exc:
                        if self._stopping:
                            return
                        failure = SubprocessExitError(
                            exc.message,
                            name=self.name,
                            returncode=exc.returncode,
                            output=exc.output,
                        )
        except Exception:
            _logger.exception("supervisor of %s failed", self.name)
        finally:
            if self._prober is not None:
                self._prober.close()
            _live.discard(self)

    def _launch(self) -> None:
        """Spawn the child and wait until healthy; on failure the child is stopped."""
        proc = self._spawn()
        if self._prober is None:
            self._healthy_since = time.monotonic()
            return
        deadline = time.monotonic() + self.startup_timeout
        why = "no check done yet"
        while True:
            if self._stop_event.is_set():
                self._fail_start(proc, f"{self.name} was stopped during start-up")
            returncode = proc.poll()
            if returncode is not None:
                self._fail_start(proc, f"{self.name} {_describe_exit(returncode)} during start-up")
            reason = self._prober.probe()
            if reason is None:
                break
            why = reason
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self._fail_start(
                    proc,
                    f"{self.name} did not become healthy within {self.startup_timeout:g} s "
                    f"({self._prober.describe()}: {why})",
                )
            self._stop_event.wait(min(self.health_interval, remaining))
        self._healthy_since = time.monotonic()
        _logger.info("%s is healthy (pid %d)", self.name, proc.pid)

    def _spawn(self) -> subprocess.Popen[bytes]:
        with self._lock:
            if self._stopping:
                raise SubprocessStartError(f"{self.name} was stopped", name=self.name)
            try:
                proc = subprocess.Popen(
                    self._args,
                    shell=self.shell,
                    cwd=self.cwd,
                    env=self._env,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            except OSError as exc:
                raise SubprocessStartError(
                    f"cannot start {self.name} ({self.command}): {exc}",
                    name=self.name,
                    output=self.output(),
                ) from exc
            self._proc = proc
        assert proc.stdout is not None
        self._reader = threading.Thread(
            target=self._pump,
            args=(proc.stdout, f"{self.name}[{proc.pid}]"),
            name=f"subprocess-output:{self.name}",
            daemon=True,
        )
        self._reader.start()
        _logger.info("started %s (pid %d): %s", self.name, proc.pid, self.command)
        return proc

    def _fail_start(self, proc: subprocess.Popen[bytes], message: str) -> None:
        terminate_group(proc, self.stop_timeout, _logger, self.name)
        self._join_reader()
        raise SubprocessStartError(
            message, name=self.name, returncode=proc.returncode, output=self.output()
        )

    def _watch(self) -> SubprocessExitError | None:
        """Wait for the child to exit; ``None`` when that was :meth:`stop`'s doing."""
        proc = self._proc
        assert proc is not None
        returncode = proc.wait()
        if self._stopping:
            return None
        # Helpers the child left behind would hold its port or GPU memory: stop them too.
        terminate_group(proc, self.stop_timeout, _logger, self.name)
        self._join_reader()
        if self.reset_after is not None and (
            time.monotonic() - self._healthy_since >= self.reset_after
        ):
            self._in_a_row = 0
        return SubprocessExitError(
            f"{self.name} {_describe_exit(returncode)}",
            name=self.name,
            returncode=returncode,
            output=self.output(),
        )

    def _should_restart(self, failure: SubprocessExitError) -> bool:
        if self._stopping or self._in_a_row >= self.max_restarts:
            return False
        if self.restart_policy == "always":
            return True
        return self.restart_policy == "on-failure" and failure.returncode != 0

    def _give_up(self, failure: SubprocessExitError) -> None:
        if self.restart_policy != "never" and self._in_a_row >= self.max_restarts:
            failure.message += f" after {self._restarts} restarts"
        failure.message += "; not restarting"
        self._failure = failure
        _logger.error("%s", failure)
        try:
            if self.on_exit == "shutdown":
                lifecycle.request_shutdown(shutdown_exit_code(failure.returncode), failure.message)
            elif callable(self.on_exit):
                self.on_exit(failure)
        except Exception:
            _logger.exception("on_exit handler of %s failed", self.name)

    # -- output ---------------------------------------------------------------------------------

    def _pump(self, stream: IO[bytes], prefix: str) -> None:
        """Read the child's output line by line into the ring buffer and the log."""
        try:
            while raw := stream.readline(_MAX_LINE_BYTES):
                line = raw.decode("utf-8", "replace").rstrip("\r\n")
                with self._lines_lock:
                    self._lines.append(line)
                if self.log_level is not None:
                    _logger.log(self.log_level, "%s %s", prefix, line)
        except (OSError, ValueError):
            pass
        finally:
            stream.close()

    def _join_reader(self) -> None:
        reader = self._reader
        # A helper that escaped the group may hold the pipe open: do not wait for it long.
        if reader is not None and reader is not threading.current_thread():
            reader.join(1.0)


def _check_command(command: Sequence[StrPath] | str, shell: bool) -> list[str] | str:
    if isinstance(command, str):
        if not shell:
            raise TypeError(
                f"command {command!r} is a string: pass an argv list such as "
                f"{shlex.split(command)!r}, or shell=True to run it through /bin/sh"
            )
        if not command.strip():
            raise ValueError("command is empty")
        return command
    if shell:
        raise TypeError("shell=True takes the command as one string, not an argv list")
    if isinstance(command, bytes):
        raise TypeError("command must be an argv list of str, not bytes")
    args = [os.fspath(arg) for arg in command]
    if not args:
        raise ValueError("command is an empty argv list")
    return args


def _child_env(env: Mapping[str, str] | None, inherit: bool) -> dict[str, str]:
    merged = dict(os.environ) if inherit else {}
    # Python children (vLLM, TGI's launcher scripts) would otherwise buffer a pipe's output
    # and lose their last lines when they crash.
    merged.setdefault("PYTHONUNBUFFERED", "1")
    for key, value in (env or {}).items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise TypeError(f"env[{key!r}] = {value!r}: keys and values must be str")
        merged[key] = value
    return merged


def _default_name(args: list[str] | str, shell: bool) -> str:
    if shell:
        return "sh"
    assert isinstance(args, list)
    return os.path.basename(args[0]) or args[0]


def _check_non_negative(**values: float) -> None:
    for key, value in values.items():
        if value < 0:
            raise ValueError(f"{key}={value!r}: must not be negative")


_live: weakref.WeakSet[SubprocessManager] = weakref.WeakSet()


@atexit.register
def _stop_all() -> None:
    """Children run in their own session, so a terminal's Ctrl-C never reaches them:
    stop whatever is still running when the worker exits."""
    for manager in list(_live):
        try:
            manager.stop()
        except Exception:
            _logger.exception("could not stop %s at exit", manager.name)
