"""Time and peak memory of ``ieops-gen`` on the large inputs its limits are sized for.

Cases, each a fresh process under ``/usr/bin/time -v`` (falling back to ``getrusage``):

- ``ops``: one document with N operations (default 10,000; several counts give the
  scaling table), each with a path parameter, a body and a response referring to shared
  schemas;
- ``big``: a ~50 MB document (refused at once by the default 20 MiB size limit, then
  generated with the limit raised, to show what it would cost);
- the same ~50 MB document with ``--max-spec-size 64``.

Each case prints wall seconds, CPU seconds (user + system: on a shared machine the wall
time mostly measures the neighbours), peak RSS and the 1-minute load average before it.

Run: ``python bench/gen_limits.py [--operations N [N ...]] [--megabytes M]``, e.g.
``--operations 1000 2000 5000 10000``; ``--smoke`` uses tiny inputs (a few seconds) so the
test suite can check the bench still runs.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

IEOPS_GEN = Path(sys.executable).with_name("ieops-gen")


def _operations_doc(count: int) -> dict[str, Any]:
    item = {"$ref": "#/components/schemas/Item"}
    paths = {
        f"/things{i}/{{id}}": {
            "post": {
                "operationId": f"op{i}",
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
                "requestBody": {"content": {"application/json": {"schema": item}}},
                "responses": {
                    "200": {"description": "ok", "content": {"application/json": {"schema": item}}}
                },
            }
        }
        for i in range(count)
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "many", "version": "1"},
        "paths": paths,
        "components": {
            "schemas": {
                "Item": {
                    "type": "object",
                    "properties": {"name": {"type": "string"}, "n": {"type": "integer"}},
                }
            }
        },
    }


def _big_doc(megabytes: float) -> dict[str, Any]:
    doc = _operations_doc(10)
    schemas = doc["components"]["schemas"]
    blob = "lorem ipsum dolor sit amet " * 40
    n = 0
    while len(json.dumps(doc)) < megabytes * 2**20:
        for _ in range(50):
            schemas[f"S{n}"] = {
                "type": "object",
                "description": blob,
                "properties": {f"p{k}": {"type": "string", "description": blob} for k in range(8)},
            }
            n += 1
    return doc


def _run(args: list[str], cwd: Path) -> tuple[int, float, float, float, str]:
    """Exit code, wall seconds, CPU seconds (user + system), peak RSS in MiB, last stderr line."""
    timer = shutil.which("time") or "/usr/bin/time"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    if Path(timer).exists():
        result = subprocess.run([timer, "-v", *args], cwd=cwd, capture_output=True, text=True)
        match = re.search(r"Maximum resident set size \(kbytes\): (\d+)", result.stderr)
        peak = int(match.group(1)) / 1024 if match else float("nan")
    else:  # pragma: no cover - the time package is missing
        result = subprocess.run(args, cwd=cwd, capture_output=True, text=True)
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    lines = [
        line
        for line in result.stderr.splitlines()
        if line and not line.startswith(("\t", "Command exited"))
    ]
    return result.returncode, elapsed, cpu, peak, (lines[-1] if lines else "")[:100]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--operations", type=int, nargs="+", default=[10_000])
    parser.add_argument("--megabytes", type=float, default=50)
    parser.add_argument("--smoke", action="store_true", help="tiny inputs, a few seconds")
    args = parser.parse_args()
    if args.smoke:
        args.operations, args.megabytes = [10, 20], 0.3
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        cases = []
        for count in args.operations:
            (root / f"ops{count}").mkdir()
            (root / f"ops{count}" / "api.json").write_text(json.dumps(_operations_doc(count)))
            argv = [f"ops{count}", "-o", f"out_ops{count}", "-q", "--no-cache"]
            cases.append((f"{count} operations", argv))
        (root / "big").mkdir()
        (root / "big" / "api.json").write_text(json.dumps(_big_doc(args.megabytes)))
        size = (root / "big" / "api.json").stat().st_size / 2**20
        limit = "0.1" if args.smoke else "20"
        cases.append(
            (
                f"{size:.0f} MB document, default limit",
                ["big", "-o", "o1", "--max-spec-size", limit],
            )
        )
        cases.append(
            (f"{size:.0f} MB document, limit raised", ["big", "-o", "o2", "--max-spec-size", "64"])
        )
        print(f"{os.cpu_count()} CPUs")
        print(
            f"{'case':<36} {'exit':>4} {'wall s':>7} {'CPU s':>7} {'peak MiB':>9} {'load':>5}"
            "  last line"
        )
        for name, argv in cases:
            load = os.getloadavg()[0]
            code, seconds, cpu, peak, last = _run([str(IEOPS_GEN), *argv], root)
            print(
                f"{name:<36} {code:>4} {seconds:>7.1f} {cpu:>7.1f} {peak:>9.0f} {load:>5.1f}"
                f"  {last}"
            )


if __name__ == "__main__":
    main()
