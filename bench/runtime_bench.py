"""Requests/s of a runtime seed route against hand-written Starlette and idiomatic FastAPI.

Every server answers ``POST /bench/echo`` with the same small JSON reply built from a
~100-byte JSON body (the apps are in ``bench/apps/``). Each runs as its own
``python -m uvicorn`` subprocess with the same settings (one process, access log off,
the same event loop and HTTP implementation, TCP on 127.0.0.1) and is driven by ``wrk``
with a Lua script for the POST body. Rounds alternate between the servers (the order
rotates every round) so that drift on a shared machine hits them all alike; the median of
each server's rounds is reported, with the ratios runtime / Starlette and runtime / FastAPI
(target: runtime >= 0.9x Starlette). Besides requests/s it reports each server's CPU time
per request (from ``/proc``), whose inverse (requests per CPU-second) stays steady when
other work shares the machine. With two or more CPUs the servers are pinned to one CPU and
wrk to another (``taskset``). Run by hand:

    .venv/bin/python bench/runtime_bench.py [--duration 5] [--rounds 3] [--connections 16]
        [--stack auto] [--stack asyncio:h11 --stack uvloop:httptools]
        [--extra NAME=MODULE:ATTRIBUTE]
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import importlib.util
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import _record

APPS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "apps")
PATH = "/bench/echo"
BODY = {
    "prompt": "Tell me a short story about a robot.",
    "max_tokens": 64,
    "temperature": 0.7,
    "stream": False,
}
PAYLOAD = json.dumps(BODY, separators=(",", ":"))
EXPECTED = {"echo": BODY["prompt"], "chars": len(str(BODY["prompt"])), "max_tokens": 64, "ok": True}

# wrk's summary, printed by the Lua ``done`` hook as one parseable line.
LUA = """
wrk.method = "POST"
wrk.body = %s
wrk.headers["Content-Type"] = "application/json"

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH {\\"requests\\": %%d, \\"duration_us\\": %%d, \\"non2xx\\": %%d, "
    .. "\\"socket_errors\\": %%d, \\"p50_us\\": %%d, \\"p99_us\\": %%d}\\n",
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"""


@dataclass(frozen=True)
class Target:
    """One server of the comparison: a name and the uvicorn ``module:attribute``."""

    name: str
    app: str
    note: str
    launcher: str | None = None
    """A script in ``bench/apps`` that serves ``app`` instead of ``python -m uvicorn``."""


TARGETS = [
    Target("runtime", "runtime_echo:app", "Server + RouterDef, async def handler(dict)"),
    Target("runtime-sync", "runtime_echo:sync_app", "same, def handler (runtime thread pool)"),
    Target(
        "runtime-limits",
        "runtime_echo:app",
        "runtime, on the worker's own protocol (httptools + limits; ignores --http)",
        launcher="limited_serve.py",
    ),
    Target("starlette", "starlette_echo:app", "Route: await request.json() -> JSONResponse"),
    Target("fastapi", "fastapi_echo:app", "@app.post, pydantic body model, returns dict"),
    Target("fastapi-sync", "fastapi_echo:sync_app", "same, def endpoint (anyio thread pool)"),
]

# (numerator, denominator) pairs printed as ratios.
RATIOS = [
    ("runtime", "starlette"),
    ("runtime-limits", "runtime"),
    ("runtime-limits", "starlette"),
    ("runtime", "fastapi"),
    ("runtime-sync", "starlette"),
    ("runtime-sync", "fastapi-sync"),
]
TARGET_RATIO = 0.9


@dataclass
class Stack:
    """The uvicorn ``--loop`` and ``--http`` every server of one comparison runs with."""

    loop: str
    http: str

    @classmethod
    def parse(cls, text: str) -> Stack:
        if text == "auto":
            return cls("auto", "auto")
        loop, sep, http_impl = text.partition(":")
        if (
            not sep
            or loop not in ("auto", "asyncio", "uvloop")
            or http_impl
            not in (
                "auto",
                "h11",
                "httptools",
            )
        ):
            raise argparse.ArgumentTypeError(
                f"--stack {text!r}: expected LOOP:HTTP with LOOP in auto/asyncio/uvloop and "
                "HTTP in auto/h11/httptools (e.g. asyncio:h11), or 'auto'"
            )
        return cls(loop, http_impl)

    def resolved(self) -> Stack:
        """What uvicorn's ``auto`` picks here: uvloop / httptools when importable."""
        loop = self.loop
        if loop == "auto":
            loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
        http_impl = self.http
        if http_impl == "auto":
            http_impl = "httptools" if importlib.util.find_spec("httptools") else "h11"
        for module in (loop, http_impl):
            if module in ("uvloop", "httptools") and not importlib.util.find_spec(module):
                raise SystemExit(
                    f"--stack {self}: {module} is not installed in {sys.executable} "
                    f"(pip install {module}, or uvicorn[standard])"
                )
        return Stack(loop, http_impl)

    def __str__(self) -> str:
        return f"{self.loop}:{self.http}"


@dataclass
class Result:
    rates: list[float] = field(default_factory=list)
    cpu_us: list[float] = field(default_factory=list)
    p50_us: list[int] = field(default_factory=list)
    p99_us: list[int] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.rates)

    @property
    def cpu(self) -> float:
        """Median server CPU time per request (us), all threads: robust to a busy machine."""
        return statistics.median(self.cpu_us)


@dataclass
class Pinning:
    """Which CPUs the servers and wrk run on (``None``: not pinned)."""

    server: str | None
    client: str | None

    @classmethod
    def detect(cls, enabled: bool) -> Pinning:
        cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
        if not enabled or len(cpus) < 2 or shutil.which("taskset") is None:
            return cls(None, None)
        return cls(str(cpus[0]), str(cpus[1]))

    def server_prefix(self) -> list[str]:
        return ["taskset", "-c", self.server] if self.server else []

    def client_prefix(self) -> list[str]:
        return ["taskset", "-c", self.client] if self.client else []

    def describe(self) -> str:
        if self.server is None:
            return "not pinned (fewer than 2 CPUs, no taskset, or --no-pin)"
        return f"servers pinned to CPU {self.server}, wrk to CPU {self.client} (taskset)"


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its threads so far (Linux ``/proc``)."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def parse_extra(text: str) -> Target:
    name, sep, app = text.partition("=")
    if not sep or ":" not in app or not name or name in {t.name for t in TARGETS}:
        raise argparse.ArgumentTypeError(
            f"--extra {text!r}: expected NAME=MODULE:ATTRIBUTE with a new NAME, "
            "e.g. proto=my_app:app (MODULE importable from bench/apps or PYTHONPATH)"
        )
    return Target(name, app, "extra (--extra)")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def post(port: int, timeout: float = 2.0) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("POST", PATH, PAYLOAD, {"Content-Type": "application/json"})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


class Servers:
    """The uvicorn subprocesses of one stack, started together and always stopped."""

    def __init__(self, stack: Stack, pinning: Pinning, log_dir: str) -> None:
        self.stack = stack
        self.pinning = pinning
        self.log_dir = log_dir
        self.ports: dict[str, int] = {}
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, target: Target) -> None:
        port = free_port()
        if target.launcher is not None:
            loop = self.stack.loop
            script = os.path.join(APPS, target.launcher)
            command = [*self.pinning.server_prefix(), sys.executable, script, target.app]
            command += [str(port), loop]
            self._launch(target, command, port)
            return
        command = [
            *self.pinning.server_prefix(),
            sys.executable,
            "-m",
            "uvicorn",
            target.app,
            "--app-dir",
            APPS,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--loop",
            self.stack.loop,
            "--http",
            self.stack.http,
            "--no-access-log",
            "--log-level",
            "warning",
        ]
        self._launch(target, command, port)

    def _launch(self, target: Target, command: list[str], port: int) -> None:
        log_path = os.path.join(self.log_dir, f"{target.name}.log")
        with open(log_path, "wb") as log_file:
            proc = subprocess.Popen(command, stdout=log_file, stderr=subprocess.STDOUT)
        self.procs[target.name] = proc
        self.ports[target.name] = port
        self._wait_ready(target, proc, port, log_path)

    def _wait_ready(
        self, target: Target, proc: subprocess.Popen[bytes], port: int, log_path: str
    ) -> None:
        deadline = time.monotonic() + 30
        while True:
            try:
                status, body = post(port)
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    with open(log_path, encoding="utf-8", errors="replace") as log_file:
                        tail = log_file.read()[-2000:]
                    message = f"{target.name} did not start ({target.app}):\n{tail}"
                    raise SystemExit(message) from None
                time.sleep(0.1)
        reply = json.loads(body) if status == 200 else None
        if reply != EXPECTED:
            raise SystemExit(
                f"{target.name} answered {status} {body[:300]!r}; expected 200 {EXPECTED}"
            )

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        self.procs.clear()


@contextlib.contextmanager
def running(
    stack: Stack, pinning: Pinning, log_dir: str, targets: list[Target]
) -> Iterator[Servers]:
    servers = Servers(stack, pinning, log_dir)
    try:
        for target in targets:
            servers.start(target)
        yield servers
    finally:
        servers.stop()


def run_wrk(
    name: str,
    port: int,
    script: str,
    duration: int,
    connections: int,
    pinning: Pinning,
    timeout: float = 2.0,
) -> dict[str, int]:
    command = [
        *pinning.client_prefix(),
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{duration}s",
        f"--timeout={timeout:g}s",
        "-s",
        script,
        f"http://127.0.0.1:{port}{PATH}",
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=duration + 60)
    match = re.search(r"^BENCH (\{.*\})$", done.stdout, re.MULTILINE)
    if done.returncode != 0 or match is None:
        raise SystemExit(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    stats: dict[str, int] = json.loads(match.group(1))
    if stats["non2xx"] or stats["socket_errors"]:
        hint = (
            " (the runtime answers 503 beyond MODEL_THREAD_CONCURRENCY + MODEL_QUEUE_SIZE "
            "requests in flight, 8 + 8 by default: raise them or use fewer --connections)"
            if name.startswith("runtime")
            else ""
        )
        raise SystemExit(
            f"{name}: {stats['non2xx']} non-2xx replies and {stats['socket_errors']} socket "
            f"errors in {stats['requests']} requests; the figures would be wrong{hint}:\n"
            f"{done.stdout}"
        )
    return stats


def measure(
    servers: Servers,
    script: str,
    args: argparse.Namespace,
    pinning: Pinning,
    targets: list[Target],
) -> dict[str, Result]:
    names = [target.name for target in targets]
    for name in names:  # warm up: imports, first-call caches, thread pools
        run_wrk(
            name,
            servers.ports[name],
            script,
            args.warmup,
            args.connections,
            pinning,
            args.wrk_timeout,
        )
    results = {name: Result() for name in names}
    for round_no in range(args.rounds):
        shift = round_no % len(names)
        order = names[shift:] + names[:shift]
        for name in order:
            pid = servers.procs[name].pid
            cpu_before = cpu_seconds(pid)
            stats = run_wrk(
                name,
                servers.ports[name],
                script,
                args.duration,
                args.connections,
                pinning,
                args.wrk_timeout,
            )
            cpu = cpu_seconds(pid) - cpu_before
            results[name].rates.append(stats["requests"] / (stats["duration_us"] / 1e6))
            results[name].cpu_us.append(cpu / stats["requests"] * 1e6)
            results[name].p50_us.append(stats["p50_us"])
            results[name].p99_us.append(stats["p99_us"])
    return results


def report(stack: Stack, results: dict[str, Result], targets: list[Target]) -> None:
    print(f"\n== uvicorn --loop {stack.loop} --http {stack.http} ==")
    print(
        f"{'server':<16}{'req/s':>7}{'CPU us/req':>11}{'req/CPU-s':>10}{'p50 ms':>7}"
        f"{'p99 ms':>7}  req/s of each round; what"
    )
    for target in targets:
        result = results[target.name]
        rounds = " ".join(f"{rate:.0f}" for rate in result.rates)
        p50 = statistics.median(result.p50_us) / 1000
        p99 = statistics.median(result.p99_us) / 1000
        print(
            f"{target.name:<16}{result.median:>7.0f}{result.cpu:>11.0f}{1e6 / result.cpu:>10.0f}"
            f"{p50:>7.2f}{p99:>7.2f}  [{rounds}]; {target.note}"
        )
    ratios = list(RATIOS)
    extras = [t.name for t in targets if t.name not in {name for pair in RATIOS for name in pair}]
    ratios += [(name, base) for name in extras for base in ("starlette", "runtime")]
    print(f"ratios of medians{'by req/s':>24}{'by req/CPU-s':>14}")
    for num, den in ratios:
        by_rate = results[num].median / results[den].median
        by_cpu = results[den].cpu / results[num].cpu
        print(f"  {num + ' / ' + den:<30}{by_rate:>9.3f}{by_cpu:>14.3f}")
    rate = results["runtime"].median / results["starlette"].median
    cpu = results["starlette"].cpu / results["runtime"].cpu
    print(
        f"target runtime >= {TARGET_RATIO}x starlette: by req/s {_verdict(rate)}, "
        f"by req/CPU-s {_verdict(cpu)}"
    )


# (name, baseline, target) of the figures bench/run reports, by requests per CPU-second
# (server CPU time per request: the steadier of the two on a shared machine).
FIGURES = [
    ("runtime", "starlette", 0.95),
    ("runtime", "fastapi", 2.0),
    ("runtime-limits", "starlette", 0.95),
    ("runtime-sync", "runtime", 0.7),
]


def figures(results: dict[str, Result]) -> list[_record.Figure]:
    return [
        _record.ratio(
            f"{num} / {den}, req per CPU-s (wrk over TCP)",
            [1 / cpu for cpu in results[num].cpu_us],
            [1 / cpu for cpu in results[den].cpu_us],
            baseline=den,
            target=_record.at_least(bound),
            note=f"by req/s: {results[num].median / results[den].median:.2f}x",
        )
        for num, den, bound in FIGURES
    ]


def _verdict(ratio: float) -> str:
    return f"{'met' if ratio >= TARGET_RATIO else 'NOT met'} ({ratio:.3f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per server")
    parser.add_argument("--warmup", type=int, default=1, help="seconds of warm-up each")
    parser.add_argument("--connections", type=int, default=16, help="wrk -c (one thread)")
    parser.add_argument(
        "--stack",
        type=Stack.parse,
        action="append",
        help="LOOP:HTTP for uvicorn, e.g. asyncio:h11 or uvloop:httptools; repeat to compare "
        "stacks; default 'auto' (what uvicorn picks: uvloop/httptools when installed)",
    )
    parser.add_argument("--no-pin", action="store_true", help="do not pin with taskset")
    parser.add_argument(
        "--extra",
        type=parse_extra,
        action="append",
        default=[],
        help="NAME=MODULE:ATTRIBUTE: one more server to measure (e.g. a prototype app on "
        "PYTHONPATH); printed with ratios against starlette and runtime",
    )
    parser.add_argument(
        "--smoke", action="store_true", help="1 s per server, one round: seconds, figures moot"
    )
    parser.add_argument(
        "--wrk-timeout", type=float, default=2.0, help="seconds before wrk counts a socket error"
    )
    _record.add_option(parser)
    args = parser.parse_args()
    if args.smoke:
        # Whether it runs, not how fast: no pinning onto one busy CPU, and patience, so a
        # loaded CI machine is no failure; a non-2xx reply still is.
        args.duration, args.rounds, args.warmup, args.connections = 1, 1, 1, 4
        args.no_pin, args.wrk_timeout = True, 10.0
    for option in ("duration", "rounds", "warmup", "connections"):
        if getattr(args, option) < 1:
            parser.error(f"--{option} must be at least 1, got {getattr(args, option)}")
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (Debian/Ubuntu: apt-get install -y wrk)")
    targets = TARGETS + args.extra
    stacks = [stack.resolved() for stack in (args.stack or [Stack("auto", "auto")])]
    pinning = Pinning.detect(not args.no_pin)
    load = os.getloadavg()[0]
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, {pinning.describe()}")
    print(
        f"wrk -t1 -c{args.connections}, {args.rounds} alternating rounds of "
        f"{args.duration} s per server after {args.warmup} s warm-up; "
        f"POST {PATH} with a {len(PAYLOAD)}-byte JSON body; one uvicorn process per server, "
        f"access log off, TCP 127.0.0.1; load average at start {load:.2f}"
    )
    if load > 0.5:
        print(
            "note: the machine is busy; req/s then depends on how much CPU the server gets, "
            "and req/CPU-s (server CPU time per request) is the steadier comparison"
        )
    with tempfile.TemporaryDirectory(prefix="ieops-runtime-bench-") as tmp:
        script = os.path.join(tmp, "post.lua")
        with open(script, "w", encoding="utf-8") as lua:
            lua.write(LUA % json.dumps(PAYLOAD))
        summary = []
        for stack in stacks:
            with running(stack, pinning, tmp, targets) as servers:
                results = measure(servers, script, args, pinning, targets)
            report(stack, results, targets)
            summary.append((stack, results))
        first_stack, first_results = summary[0]
        _record.write(args.json, "runtime_bench", figures(first_results), notes=[str(first_stack)])
    if len(summary) > 1:
        print("\n== stacks side by side (median req/s | req/CPU-s) ==")
        print(f"{'server':<16}" + "".join(f"{stack!s:>24}" for stack, _ in summary))
        for target in targets:
            row = "".join(
                f"{results[target.name].median:>14.0f} |{1e6 / results[target.name].cpu:>8.0f}"
                for _, results in summary
            )
            print(f"{target.name:<16}{row}")


if __name__ == "__main__":
    main()
