"""Cold start: what importing the runtime costs, and process start to ``/ready``.

Each figure is timed in a fresh interpreter, rounds alternating with a baseline of the same
kind (an import of ``json``; a Starlette app under uvicorn on the same socket), median of
the rounds. Beside each wall time it reports the CPU time (user + system) the fresh process
spent, which a busy shared machine disturbs far less. ``import gmi_ieops.handler`` loads its
names lazily, so the seed's ``from gmi_ieops.handler import Handler, RouterDef, Server`` (what
a worker pays before it serves) is timed too. Torch must not be imported by the runtime (a
worker without a model stays light): the bench fails when it is.

    python bench/coldstart_bench.py [--rounds 7]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import _record
import httpx

ROOT = Path(__file__).resolve().parents[1]

IMPORT = """
import sys, time
t, c = time.perf_counter(), time.process_time()
{statement}
print(time.perf_counter() - t, time.process_time() - c, "torch" in sys.modules)
"""

SEED = "from gmi_ieops.handler import Handler, RouterDef, Server"
STATEMENTS = {
    "gmi_ieops": "import gmi_ieops",
    "gmi_ieops.handler": "import gmi_ieops.handler",
    "seed names": SEED,
    "json": "import json",
}

WORKER = """
from gmi_ieops.handler import Handler, RouterDef, Server

async def echo(query: dict) -> dict:
    return query

Handler(server=Server(routers={"": [RouterDef(path="echo", handler=echo)]})).serve()
"""

BASELINE = """
import sys, uvicorn
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

async def ready(request):
    return PlainTextResponse("ok")

uvicorn.run(Starlette(routes=[Route("/ready", ready)]), uds=sys.argv[1], log_level="warning")
"""


def _env() -> dict[str, str]:
    path = [str(ROOT / "runtime"), str(ROOT / "generator"), os.environ.get("PYTHONPATH", "")]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in path if p)}


def import_seconds(statement: str) -> tuple[float, float, bool]:
    """(wall seconds, CPU seconds, whether torch was imported) of ``statement``."""
    out = subprocess.run(
        [sys.executable, "-c", IMPORT.format(statement=statement)],
        capture_output=True,
        text=True,
        check=True,
        env=_env(),
    ).stdout.split()
    return float(out[0]), float(out[1]), out[2] == "True"


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a running process (``/proc``; 0 where there is none)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def ready_seconds(script: str, tmp: str, worker: bool) -> tuple[float, float]:
    """Seconds from spawning the process to the first 200 from ``/ready`` on its socket,
    and the CPU seconds the process had used by then."""
    sock = os.path.join(tmp, "w.sock")
    if os.path.exists(sock):
        os.unlink(sock)
    env = _env() | {"MODEL_SERVER_SOCKET": sock, "REGISTER_ENABLED": "false"}
    env |= {"LOG_LEVEL": "WARNING", "APP_NAME": "coldstart"}
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, script, sock],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        transport = httpx.HTTPTransport(uds=sock)
        with httpx.Client(transport=transport, base_url="http://w", timeout=1) as client:
            while time.perf_counter() - started < 30:
                if proc.poll() is not None:
                    raise SystemExit(f"{'worker' if worker else 'baseline'} exited early")
                try:
                    if client.get("/ready").status_code == 200:
                        return time.perf_counter() - started, _cpu_seconds(proc.pid)
                except httpx.TransportError:
                    pass
                time.sleep(0.005)
        raise SystemExit("no /ready within 30 s")
    finally:
        proc.terminate()
        proc.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--smoke", action="store_true", help="one round: seconds, figures moot")
    _record.add_option(parser)
    args = parser.parse_args()
    if args.smoke:
        args.rounds = 1
    imports: dict[str, list[float]] = {name: [] for name in STATEMENTS}
    imports_cpu: dict[str, list[float]] = {name: [] for name in STATEMENTS}
    ready: dict[str, list[float]] = {"worker": [], "starlette": []}
    ready_cpu: dict[str, list[float]] = {"worker": [], "starlette": []}
    with tempfile.TemporaryDirectory(prefix="ieops-coldstart-") as tmp:
        scripts = {"worker": os.path.join(tmp, "worker.py"), "starlette": os.path.join(tmp, "b.py")}
        Path(scripts["worker"]).write_text(WORKER, encoding="utf-8")
        Path(scripts["starlette"]).write_text(BASELINE, encoding="utf-8")
        for round_no in range(args.rounds):
            names = list(imports)
            shift = round_no % len(names)
            for name in names[shift:] + names[:shift]:
                seconds, used, torch = import_seconds(STATEMENTS[name])
                if torch and name != "json":
                    raise SystemExit(f"{STATEMENTS[name]} imported torch: a worker without a model")
                imports[name].append(seconds)
                imports_cpu[name].append(used)
            for name in ("worker", "starlette")[:: 1 if round_no % 2 else -1]:
                seconds, used = ready_seconds(scripts[name], tmp, name == "worker")
                ready[name].append(seconds)
                ready_cpu[name].append(used)
    median = {k: statistics.median(v) for k, v in {**imports, **ready}.items()}
    cpu = {k: statistics.median(v) for k, v in {**imports_cpu, **ready_cpu}.items()}
    print(
        f"cold start, median of {args.rounds} fresh interpreters (python {sys.version.split()[0]})"
    )
    for name, value in median.items():
        label = STATEMENTS[name] if name in imports else f"spawn to /ready: {name}"
        print(f"  {label:<58} {value * 1000:8.0f} ms  (CPU {cpu[name] * 1000:6.0f} ms)")
    figures = [
        _record.Figure(
            f"import {module} (torch not imported)",
            median[module],
            unit="s",
            target=_record.at_most(0.3),
            rounds=imports[module],
            note=f"CPU {cpu[module]:.3f} s",
        )
        for module in ("gmi_ieops", "gmi_ieops.handler")
    ]
    figures.append(
        _record.Figure(
            f"`{SEED}`",
            median["seed names"],
            unit="s",
            rounds=imports["seed names"],
            note=f"CPU {cpu['seed names']:.3f} s; the names load FastAPI and uvicorn",
        )
    )
    figures.append(
        _record.Figure(
            "process start to /ready, worker without a model",
            median["worker"],
            unit="s",
            target=_record.at_most(1.0),
            rounds=ready["worker"],
            note=(
                f"CPU {cpu['worker']:.2f} s; bare Starlette under uvicorn: "
                f"{median['starlette']:.2f} s (CPU {cpu['starlette']:.2f} s)"
            ),
        )
    )
    for figure in figures:
        if figure.target is not None:
            print(f"target {figure.name} {figure.target} s: {'met' if figure.met else 'NOT met'}")
    _record.write(args.json, "coldstart_bench", figures)


if __name__ == "__main__":
    main()
