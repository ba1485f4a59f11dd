"""A burst against a small worker: how many requests the client's retries turn into successes.

A real worker (``Handler(server).serve()`` in a subprocess, on a Unix socket) with a small
in-flight limit (``MODEL_THREAD_CONCURRENCY`` + ``MODEL_QUEUE_SIZE``, default 4 + 4) and a
handler that takes ``--work-ms`` gets ``--requests`` calls at once from ``--clients``
``AsyncBaseClient`` s (the generated clients' runtime, default retries: 2). Whatever does not
fit is answered ``503 overloaded`` with ``Retry-After: 1`` and retried by the client's
policy. Two policies run side by side, alternating order each round:

- ``jitter``: today's ``RetryPolicy`` — full jitter: ``Retry-After`` + uniform over a window
  that doubles per attempt;
- ``lockstep``: the policy before it — ``Retry-After`` + at most 10 %, so a refused crowd
  comes back within one tenth of a second, to be refused again.

Prints, per policy, the median over the rounds of the successes, the 503 answers seen on
the wire and the time the burst took. Run by hand:

    .venv/bin/python bench/retry_bench.py [--requests 500] [--rounds 3] [--work-ms 20]
    .venv/bin/python bench/retry_bench.py --smoke      # seconds: does it still run?
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field

import _record
import httpx
from gmi_ieops.client import AsyncBaseClient, IEOPSError, OverloadedError, RetryPolicy
from pydantic import BaseModel

HERE = os.path.dirname(os.path.abspath(__file__))


class Reply(BaseModel):
    ok: bool


@dataclass(frozen=True, slots=True)
class LockStepPolicy(RetryPolicy):
    """The delays of the client before full jitter (kept here as the baseline)."""

    def delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            floor = min(retry_after, self.retry_after_cap)
            return floor + random.uniform(0.0, min(0.1 * floor, 1.0))
        d = min(self.backoff * 2.0 ** (attempt - 1), self.max_backoff)
        return d / 2 + random.uniform(0.0, d / 2)


class CountingTransport(httpx.AsyncBaseTransport):
    """Counts the answers by status on their way to the client."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.statuses: dict[int, int] = {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        self.statuses[response.status_code] = self.statuses.get(response.status_code, 0) + 1
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


@dataclass
class Burst:
    successes: int
    overloaded: int
    other_errors: int
    answers_503: int
    seconds: float


@dataclass
class Side:
    name: str
    policy: RetryPolicy
    bursts: list[Burst] = field(default_factory=list)

    def median(self, attr: str) -> float:
        return float(statistics.median(getattr(b, attr) for b in self.bursts))


def start_worker(socket_path: str, args: argparse.Namespace) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "MODEL_SERVER_SOCKET": socket_path,
        "MODEL_THREAD_CONCURRENCY": str(args.concurrency),
        "MODEL_QUEUE_SIZE": str(args.queue),
        "REGISTER_ENABLED": "false",
        "LOG_LEVEL": "WARNING",
        "BENCH_WORK_MS": str(args.work_ms),
    }
    proc = subprocess.Popen(
        [sys.executable, os.path.join(HERE, "apps", "retry_worker.py")],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 30
    with httpx.Client(transport=httpx.HTTPTransport(uds=socket_path)) as probe:
        while True:
            try:
                if probe.get("http://worker/ready").status_code == 200:
                    return proc
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                _, err = proc.communicate()
                raise SystemExit(f"the bench worker did not start:\n{err}")
            time.sleep(0.05)


async def burst(socket_path: str, policy: RetryPolicy, n: int, clients: int) -> Burst:
    """``n`` calls at once from ``clients`` clients (callers spread evenly over them).

    Many clients, not one: a burst at a worker comes from many processes, and one httpx
    pool with hundreds of connections costs time quadratic in their number (on this
    machine 500 connections in one pool take ~20 s to get 500 immediate 503s).
    """
    per_client = -(-n // clients)
    limits = httpx.Limits(max_connections=per_client, max_keepalive_connections=per_client)
    counters: list[CountingTransport] = []
    pool: list[AsyncBaseClient] = []
    for _ in range(clients):
        # The limits belong on the transport: httpx ignores a client's when given one.
        transport = httpx.AsyncHTTPTransport(uds=socket_path, limits=limits, verify=False)
        counting = CountingTransport(transport)
        counters.append(counting)
        http = httpx.AsyncClient(transport=counting, timeout=60)
        pool.append(AsyncBaseClient("unix://" + socket_path, retries=policy, http_client=http))

    async def call(client: AsyncBaseClient) -> str:
        try:
            await client._request("POST", "/bench/work", body={}, response_model=Reply)
        except OverloadedError:
            return "overloaded"
        except IEOPSError:
            return "error"
        return "ok"

    start = time.perf_counter()
    outcomes = await asyncio.gather(*(call(pool[i % clients]) for i in range(n)))
    seconds = time.perf_counter() - start
    for client in pool:
        await client._http.aclose()
    return Burst(
        successes=outcomes.count("ok"),
        overloaded=outcomes.count("overloaded"),
        other_errors=outcomes.count("error"),
        answers_503=sum(c.statuses.get(503, 0) for c in counters),
        seconds=seconds,
    )


def report(sides: list[Side], args: argparse.Namespace) -> None:
    print(
        f"\n{args.requests} requests at once, worker: concurrency {args.concurrency} + queue "
        f"{args.queue}, {args.work_ms} ms per request, {args.clients} clients (capacity ~"
        f"{args.concurrency * 1000 / args.work_ms:.0f} req/s), Retry-After: 1, "
        f"client retries: {args.retries}; median of {args.rounds} round(s)\n"
    )
    print(f"| policy | successes of {args.requests} | 503 answers | burst took (s) |")
    print("|---|---:|---:|---:|")
    for side in sides:
        print(
            f"| {side.name} | {side.median('successes'):.0f} | {side.median('answers_503'):.0f} "
            f"| {side.median('seconds'):.2f} |"
        )
    jitter, lockstep = sides
    base = max(lockstep.median("successes"), 1)
    print(
        f"\nfull jitter / lock-step successes: {jitter.median('successes') / base:.2f}x "
        f"(rounds: jitter {[b.successes for b in jitter.bursts]}, "
        f"lock-step {[b.successes for b in lockstep.bursts]})"
    )
    errors = sum(b.other_errors for s in sides for b in s.bursts)
    if errors:
        print(f"note: {errors} calls failed with errors other than 503 overloaded")
    _record.write(
        args.json,
        "retry_bench",
        [
            _record.ratio(
                f"successes of a {args.requests}-request burst, full jitter / lock-step",
                [b.successes for b in jitter.bursts],
                [max(b.successes, 1) for b in lockstep.bursts],
                baseline="lock-step retries (Retry-After + <=10 %)",
                target=_record.at_least(1.0),
            )
        ],
    )


async def run(socket_path: str, args: argparse.Namespace) -> list[Side]:
    sides = [
        Side("jitter (full jitter, this client)", RetryPolicy(max_retries=args.retries)),
        Side("lockstep (Retry-After + <=10 %, before)", LockStepPolicy(max_retries=args.retries)),
    ]
    for i in range(args.rounds):
        order = sides if i % 2 == 0 else list(reversed(sides))
        for side in order:
            result = await burst(socket_path, side.policy, args.requests, args.clients)
            side.bursts.append(result)
            print(
                f"round {i + 1} {side.name.split()[0]:8}: {result.successes:4} ok, "
                f"{result.overloaded:4} overloaded, {result.answers_503:5} 503s, "
                f"{result.seconds:.2f} s",
                flush=True,
            )
            await asyncio.sleep(args.pause)
    return sides


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--work-ms", type=float, default=20.0)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--queue", type=int, default=4)
    parser.add_argument("--clients", type=int, default=50, help="clients sharing the callers")
    parser.add_argument("--retries", type=int, default=2, help="the client's max_retries")
    parser.add_argument("--pause", type=float, default=0.5, help="seconds between bursts")
    parser.add_argument("--smoke", action="store_true", help="tiny counts: seconds, figures moot")
    _record.add_option(parser)
    args = parser.parse_args(argv)
    if args.smoke:
        args.requests, args.rounds, args.retries, args.pause, args.clients = 24, 1, 1, 0.0, 4
    tmp = tempfile.mkdtemp(prefix="ieops-retry-")
    socket_path = os.path.join(tmp, "w.sock")
    proc = start_worker(socket_path, args)
    try:
        sides = asyncio.run(run(socket_path, args))
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        for name in os.listdir(tmp):
            os.unlink(os.path.join(tmp, name))
        os.rmdir(tmp)
    report(sides, args)


if __name__ == "__main__":
    main()
