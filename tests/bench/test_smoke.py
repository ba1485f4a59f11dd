"""Every benchmark in ``bench/`` still runs: each in its ``--smoke`` mode (tiny counts).

A bench that no longer runs (an API it uses changed, an app answering 500) fails here.
Figures are printed by the benches and never asserted. A new ``bench/*.py`` is picked up
by itself, and must have a ``--smoke`` mode to pass.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.storage.conftest import missing_prerequisite, on_ci

ROOT = Path(__file__).resolve().parents[2]
BENCHES = sorted(p.name for p in (ROOT / "bench").glob("*.py"))


def _missing_tool(bench: str) -> str | None:
    """Why ``bench`` cannot run on this machine, if it cannot (scripts/setup.sh installs all)."""
    if bench == "runtime_bench.py" and shutil.which("wrk") is None:
        return "wrk not found (apt-get install wrk; scripts/setup.sh installs it)"
    if bench == "storage_bench.py":
        return missing_prerequisite()
    return None


def test_every_bench_is_found() -> None:
    assert {"typed_route_bench.py", "runtime_bench.py", "retry_bench.py"} <= set(BENCHES)


@pytest.mark.parametrize("bench", BENCHES)
def test_bench_runs_in_smoke_mode(bench: str) -> None:
    problem = _missing_tool(bench)
    if problem is not None:
        if on_ci():
            pytest.fail(f"CI=true and {bench} cannot run: {problem}", pytrace=False)
        print(f"skipping {bench}: {problem}")
        pytest.skip(problem)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(
            [str(ROOT / "runtime"), str(ROOT / "generator"), os.environ.get("PYTHONPATH", "")]
        ),
    }
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / bench), "--smoke"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=100,
    )
    print(result.stdout[-3000:])
    assert result.returncode == 0, (
        f"{bench} --smoke failed:\n{result.stdout[-2000:]}\n{result.stderr[-4000:]}"
    )
