"""Uploading and downloading a big file: the generated client and route beside Starlette.

- generated: the example worker (``examples/worker/openai_impl.py``, hash embedder) serving
  ``POST /v1/files`` (``UploadFile`` spooled, ``save_to("gmifs://files/...")``, local
  storage) and ``GET /v1/files/{id}/content`` (a ``StoredFile`` streamed from storage);
  called with the generated ``Client`` (``create_file(file=Path)``, streamed from disk;
  ``download_file_stream(...).save_to(path)``).
- starlette: ``bench/apps/files_baseline.py``, a hand-written Starlette route with
  python-multipart (``request.form()``) and a ``FileResponse``, called with httpx
  (``files={"file": open(...)}``, ``client.stream``).

Both run as uvicorn processes on Unix sockets; rounds alternate and the best counts. The
figures: MiB/s per direction and their ratio (generated / starlette, target >= 0.9), and
each server's peak RSS above its idle RSS (``VmHWM``, target <= 64 MiB).

Run: ``python bench/files_bench.py [--mib 256] [--rounds 3]``; ``--smoke``: 8 MiB, one round.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from generated.openai.client import Client  # noqa: E402
from generated.openai.models import Purpose  # noqa: E402

MiB = 1024 * 1024


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MODEL_", "IEOPS_"))}
    path = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    env.update(PYTHONPATH=path, REGISTER_ENABLED="false", LOG_LEVEL="WARNING", **extra)
    return env


def _wait(sock: Path, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited: {proc.returncode}")
        if sock.exists():
            try:
                transport = httpx.HTTPTransport(uds=str(sock))
                with httpx.Client(transport=transport, base_url="http://w") as c:
                    c.get("/health")
                return
            except httpx.TransportError:
                pass
        time.sleep(0.1)
    raise SystemExit("server did not start")


def _peak_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--mib", type=int, default=256)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--smoke", action="store_true", help="8 MiB, one round: seconds")
    args = ap.parse_args()
    if args.smoke:
        args.mib, args.rounds = 8, 1
    with tempfile.TemporaryDirectory(prefix="files-bench-") as tmp:
        work = Path(tmp)
        source = work / "upload.bin"
        with open(source, "wb") as f:
            block = os.urandom(MiB)
            for _ in range(args.mib):
                f.write(block)
        ours_sock, base_sock = work / "ours.sock", work / "base.sock"
        ours = subprocess.Popen(
            [sys.executable, str(ROOT / "examples" / "worker" / "openai_impl.py")],
            env=_env(
                MODEL_SERVER_SOCKET=str(ours_sock),
                EXAMPLE_EMBEDDER="hash",
                IEOPS_STORAGE_LOCAL_ROOT=str(work / "store"),
                TMPDIR=str(work),
            ),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "bench.apps.files_baseline:app",
             "--uds", str(base_sock), "--log-level", "warning", "--no-access-log"],
            env=_env(FILES_DIR=str(work / "baseline"), TMPDIR=str(work)),
            cwd=str(ROOT),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            _wait(ours_sock, ours)
            base_ready = base_sock
            deadline = time.monotonic() + 30
            while not base_ready.exists() and time.monotonic() < deadline:
                time.sleep(0.1)
            idle = {"ours": _rss_kib(ours.pid), "base": _rss_kib(base.pid)}
            best: dict[str, float] = {}
            client = Client(f"unix://{ours_sock}", timeout=600)
            http = httpx.Client(
                transport=httpx.HTTPTransport(uds=str(base_sock)),
                base_url="http://w",
                timeout=600,
            )
            for _ in range(args.rounds):
                t = time.perf_counter()
                stored = client.create_file(file=source, purpose=Purpose.batch)
                _best(best, "ours up", args.mib / (time.perf_counter() - t))
                assert stored.bytes == args.mib * MiB
                t = time.perf_counter()
                with client.download_file_stream(file_id=stored.id) as stream:
                    got = stream.save_to(work / "ours.down")
                _best(best, "ours down", args.mib / (time.perf_counter() - t))
                assert got == args.mib * MiB
                client.delete_file(file_id=stored.id)

                t = time.perf_counter()
                with open(source, "rb") as f:
                    r = http.post("/v1/files", files={"file": f}, data={"purpose": "batch"})
                _best(best, "base up", args.mib / (time.perf_counter() - t))
                r.raise_for_status()
                file_id = r.json()["id"]
                t = time.perf_counter()
                with (
                    http.stream("GET", f"/v1/files/{file_id}/content") as s,
                    open(work / "base.down", "wb") as out,
                ):
                    for chunk in s.iter_bytes(MiB):
                        out.write(chunk)
                _best(best, "base down", args.mib / (time.perf_counter() - t))
                os.remove(work / "baseline" / file_id)
            grown = {
                "ours": (_peak_kib(ours.pid) - idle["ours"]) / 1024,
                "base": (_peak_kib(base.pid) - idle["base"]) / 1024,
            }
            client.close()
            http.close()
        finally:
            for proc in (ours, base):
                proc.terminate()
                proc.wait(20)
    print(f"files bench: {args.mib} MiB, best of {args.rounds} round(s)")
    print(f"{'':10}{'generated':>12}{'starlette':>12}{'ratio':>8}")
    for way in ("up", "down"):
        o, b = best[f"ours {way}"], best[f"base {way}"]
        print(f"{way + ' MiB/s':10}{o:12.1f}{b:12.1f}{o / b:8.2f}")
    print(
        f"peak RSS above idle: generated {grown['ours']:.1f} MiB, "
        f"starlette {grown['base']:.1f} MiB (target: generated <= 64)"
    )
    return 0


def _best(best: dict[str, float], key: str, value: float) -> None:
    best[key] = max(best.get(key, 0.0), value)


if __name__ == "__main__":
    raise SystemExit(main())
