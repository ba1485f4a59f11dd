"""Fixtures for the generator tests: the repository root and a runner for ``ieops-gen``."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.worker import WorkerProcess, running_worker

ROOT = Path(__file__).resolve().parents[2]
SPECS = ROOT.parent / "shared" / "specs"
IEOPS_GEN = Path(sys.executable).with_name("ieops-gen")
# One mypy cache for the session's lint() runs: each checks a small generated package, and
# without a cache each re-analysed pydantic, FastAPI and gmi_ieops first (3.6 s of CPU for
# schemas/, 0.2 s warm). mypy re-checks any module whose file or path changed.
_MYPY_CACHE = tempfile.TemporaryDirectory(prefix="ieops-tests-mypy-")


def run_gen(*args: str | Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """Run the installed ``ieops-gen`` console script."""
    return subprocess.run(
        [str(IEOPS_GEN), *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=300
    )


def generated_package(root: Path, name: str, spec: str, use: str, *options: str) -> Iterator[Path]:
    """Generate ``spec`` (as ``schemas/<name>.yaml``) into the package ``g`` under ``root``,
    with a user program ``use.py`` beside it, importable while the caller holds it (the
    body of a module-scoped fixture: ``yield from generated_package(...)``)."""
    (root / "schemas").mkdir()
    (root / "schemas" / f"{name}.yaml").write_text(spec)
    done = run_gen(root / "schemas", "-o", root / "g", "-q", *options)
    assert done.returncode == 0, done.stdout + done.stderr
    (root / "use.py").write_text(use)
    sys.path.insert(0, str(root))
    try:
        yield root
    finally:
        sys.path.remove(str(root))
        for module in [m for m in sys.modules if m == "g" or m.startswith("g.")]:
            del sys.modules[module]


def require(condition: bool, why: str) -> None:
    """Skip when a prerequisite is missing, but fail on CI (CI=true)."""
    if not condition:
        if os.environ.get("CI") == "true":
            pytest.fail(f"prerequisite missing on CI: {why}")
        pytest.skip(why)


def tool(name: str) -> str:
    """A tool from the venv (ruff, mypy)."""
    path = Path(sys.executable).with_name(name)
    found = str(path) if path.exists() else shutil.which(name)
    require(found is not None, f"{name} is not installed")
    assert found is not None
    return found


def lint(*paths: Path, cwd: Path = ROOT) -> None:
    """``ruff check`` and ``mypy --strict`` with the project's settings; fail with output."""
    config = str(ROOT / "pyproject.toml")
    ruff = subprocess.run(
        [tool("ruff"), "check", "--config", config, "--no-cache", *map(str, paths)],
        cwd=cwd,
        capture_output=True,
        text=True,
    )
    assert ruff.returncode == 0, ruff.stdout + ruff.stderr
    env = {**os.environ, "MYPYPATH": str(ROOT / "runtime")}
    mypy = subprocess.run(
        [
            tool("mypy"),
            "--strict",
            "--python-version",
            "3.10",
            "--cache-dir",
            _MYPY_CACHE.name,
            *map(str, paths),
        ],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
    )
    assert mypy.returncode == 0, mypy.stdout + mypy.stderr


def _worker(name: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WorkerProcess]:
    sockets = tmp_path_factory.mktemp(name)
    with running_worker(
        ROOT / "examples" / "worker" / f"{name}_impl.py",
        ROOT,
        PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "runtime")]),  # this checkout's runtime
        EXAMPLE_EMBEDDER="hash",  # the real model has its own test (tests/example)
        APP_NAME=name,
        MODEL_SERVER_SOCKET_DIR=str(sockets),
    ) as worker:
        yield worker


@pytest.fixture(scope="session")
def openai_worker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WorkerProcess]:
    yield from _worker("openai", tmp_path_factory)


@pytest.fixture(scope="session")
def chat_worker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WorkerProcess]:
    yield from _worker("chat", tmp_path_factory)


@pytest.fixture(scope="session")
def images_worker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WorkerProcess]:
    yield from _worker("images", tmp_path_factory)
