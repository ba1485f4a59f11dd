"""Cold start: what importing the runtime costs, and process start to ``/ready``.

Each figure is timed in a fresh interpreter, rounds alternating with a baseline of the same
kind (an import of ``json``; a Starlette app under uvicorn on the same socket), median of
the rounds. Torch must not be imported by the runtime (a worker without a model stays light):
the bench fails when it is.

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
t = time.perf_counter()
import {module}
print(time.perf_counter() - t, "torch" in sys.modules)
"""

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


def import_seconds(module: str) -> tuple[float, bool]:
    out = subprocess.run(
        [sys.executable, "-c", IMPORT.format(module=module)],
        capture_output=True,
        text=True,
        check=True,
        env=_env(),
    ).stdout.split()
    return float(out[0]), out[1] == "True"


def ready_seconds(script: str, tmp: str, worker: bool) -> float:
    """Seconds from spawning the process to the first 200 from ``/ready`` on its socket."""
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
                        return time.perf_counter() - started
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
    imports: dict[str, list[float]] = {"gmi_ieops": [], "gmi_ieops.handler": [], "json": []}
    ready: dict[str, list[float]] = {"worker": [], "starlette": []}
    with tempfile.TemporaryDirectory(prefix="ieops-coldstart-") as tmp:
        scripts = {"worker": os.path.join(tmp, "worker.py"), "starlette": os.path.join(tmp, "b.py")}
        Path(scripts["worker"]).write_text(WORKER, encoding="utf-8")
        Path(scripts["starlette"]).write_text(BASELINE, encoding="utf-8")
        for round_no in range(args.rounds):
            names = list(imports)
            for module in names[round_no % 3 :] + names[: round_no % 3]:
                seconds, torch = import_seconds(module)
                if torch and module != "json":
                    raise SystemExit(f"import {module} imported torch: a worker without a model")
                imports[module].append(seconds)
            for name in ("worker", "starlette")[:: 1 if round_no % 2 else -1]:
                ready[name].append(ready_seconds(scripts[name], tmp, name == "worker"))
    median = {k: statistics.median(v) for k, v in {**imports, **ready}.items()}
    print(
        f"cold start, median of {args.rounds} fresh interpreters (python {sys.version.split()[0]})"
    )
    for name, value in median.items():
        label = f"import {name}" if name in imports else f"spawn to /ready: {name}"
        print(f"  {label:<32} {value * 1000:8.0f} ms")
    figures = [
        _record.Figure(
            f"import {module} (torch not imported)",
            median[module],
            unit="s",
            target=_record.at_most(0.3),
            rounds=imports[module],
        )
        for module in ("gmi_ieops", "gmi_ieops.handler")
    ]
    figures.append(
        _record.Figure(
            "process start to /ready, worker without a model",
            median["worker"],
            unit="s",
            target=_record.at_most(1.0),
            rounds=ready["worker"],
            note=f"bare Starlette under uvicorn: {median['starlette']:.2f} s",
        )
    )
    for figure in figures:
        assert figure.target is not None
        print(f"target {figure.name} {figure.target} s: {'met' if figure.met else 'NOT met'}")
    _record.write(args.json, "coldstart_bench", figures)


if __name__ == "__main__":
    main()
