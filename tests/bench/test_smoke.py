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
BENCHES = sorted(p.name for p in (ROOT / "bench").glob("[!_]*.py"))
sys.path.insert(0, str(ROOT / "bench"))

import _record  # type: ignore[import-not-found]  # noqa: E402  (bench/ on sys.path)
import _suite  # type: ignore[import-not-found]  # noqa: E402

IN_SUITE = {bench.script: family for family in _suite.FAMILIES for bench in family.benches}


def _missing_tool(bench: str) -> str | None:
    """Why ``bench`` cannot run on this machine, if it cannot (scripts/setup.sh installs all)."""
    if bench == "runtime_bench.py" and shutil.which("wrk") is None:
        return "wrk not found (apt-get install wrk; scripts/setup.sh installs it)"
    if bench == "storage_bench.py":
        return missing_prerequisite()
    return None


def test_every_bench_is_found() -> None:
    assert {"typed_route_bench.py", "runtime_bench.py", "retry_bench.py"} <= set(BENCHES)


def test_every_bench_of_the_suite_exists() -> None:
    """bench/run names only benches that exist (a renamed one would be skipped silently)."""
    assert set(IN_SUITE) <= set(BENCHES)


@pytest.mark.parametrize("bench", BENCHES)
def test_bench_runs_in_smoke_mode(bench: str, tmp_path: Path) -> None:
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
    record = tmp_path / "figures.json"
    json_option = ["--json", str(record)] if bench in IN_SUITE else []
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / bench), "--smoke", *json_option],
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
    if bench in IN_SUITE:
        # What bench/run reads back and renders: every figure named, valued and targeted.
        name, figures, _, _ = _record.read(record)
        assert name == bench.removesuffix(".py") and figures, f"{bench} wrote no figures"
        outcome = _suite.Outcome(_suite.Bench(bench), figures=figures)
        page = "\n".join(_suite.render_family(IN_SUITE[bench], [outcome], None))
        assert all(f.name in page for f in figures)
