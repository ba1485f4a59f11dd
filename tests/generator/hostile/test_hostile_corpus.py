"""Every hostile case: nothing runs, nothing outside is read or touched, a clear outcome.

The generator runs in process (``cli.main``), so an exception escaping it fails the case
as a traceback would. Cases that generate code are then linted (ruff, mypy --strict) and
imported together, in one interpreter whose working directory is where every payload
would leave its marker file.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from ieops_gen import cli

from ..conftest import lint
from .cases import MARKER, SECRET, Case, all_cases

CASES = all_cases()
PROBLEM = re.compile(r"^[^\n]*:\d+: [^\n]*: [^\n]+$")
SUMMARY = re.compile(r"^ieops-gen: .+$")
NON_PRINTING = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e]")


def snapshot(root: Path, skip: Path | None = None) -> dict[str, tuple[object, ...]]:
    """Type, mode, content hash and link target of every entry under ``root``."""
    seen: dict[str, tuple[object, ...]] = {}
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        for name in [*dirnames, *filenames]:
            path = Path(dirpath, name)
            if skip is not None and (path == skip or skip in path.parents):
                continue
            if "__pycache__" in path.parts:
                continue
            info = path.lstat()
            kind = stat.S_IFMT(info.st_mode)
            extra: object = None
            if stat.S_ISLNK(info.st_mode):
                extra = os.readlink(path)
            elif stat.S_ISREG(info.st_mode):
                extra = hashlib.sha256(path.read_bytes()).hexdigest()
            seen[path.relative_to(root).as_posix()] = (kind, stat.S_IMODE(info.st_mode), extra)
    return seen


def run_case(case: Case, root: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    root.mkdir(parents=True)
    case.build(root)
    out = root / "out"
    before_outside = snapshot(root, skip=out)
    before_out = snapshot(out) if out.is_dir() and not out.is_symlink() else None
    cwd = os.getcwd()
    os.chdir(root)
    try:
        status = cli.main(["schemas", "-o", "out", "-q", *case.args])
    finally:
        os.chdir(cwd)
    captured = capsys.readouterr()
    output = captured.out + captured.err
    assert not (root / MARKER).exists(), "a payload ran during generation"
    assert SECRET not in output, "a file outside the schemas folder was read"
    assert not NON_PRINTING.search(output), f"raw control characters in the output: {output!r}"
    assert "Traceback" not in output
    after_outside = snapshot(root, skip=out)
    changed = {
        k
        for k in before_outside.keys() | after_outside.keys()
        if before_outside.get(k) != after_outside.get(k)
    }
    if "--stubs" in case.args:  # the stub is the one file written outside the output
        changed.discard("stubs/api_impl.py")
    assert not changed, f"paths outside the output folder changed: {sorted(changed)}"
    if case.out_must_survive and before_out is not None:
        after_out = snapshot(out)
        lost = {
            k: v
            for k, v in before_out.items()
            if after_out.get(k) != v and k != ".ieops-gen-manifest"
        }
        assert not lost, f"foreign entries of the output folder changed: {lost}"
    return status, captured.err


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_case(case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "case"
    status, err = run_case(case, root, capsys)
    out = root / "out"
    if case.expect == "error":
        assert status != 0, "a hostile input was accepted"
        lines = [line for line in err.splitlines() if line]
        assert lines and all(PROBLEM.match(line) or SUMMARY.match(line) for line in lines), err
        assert case.message in err, err
        if case.name == "two-unreadable-files":
            assert "b.yaml:5: #: invalid YAML" in err, "every unreadable file is reported"
        assert not (out / "api").exists() or case.out_must_survive, "output written on error"
        return
    assert status == 0, err
    for path in out.rglob("*"):
        if path.is_file() and not path.is_symlink():
            assert SECRET not in path.read_text(encoding="utf-8", errors="replace"), path
    _generated.append((case.name, out))


_generated: list[tuple[str, Path]] = []


def test_generated_code_is_clean_and_imports_run_nothing(tmp_path: Path) -> None:
    """Runs after the cases (same module): lint and import everything they generated."""
    if not _generated:
        pytest.skip("no hostile case generated code in this run (run the whole module)")
    packages = tmp_path / "packages"
    packages.mkdir()
    names = []
    for index, (_, out) in enumerate(_generated):
        name = f"case_{index:03d}"
        shutil.copytree(
            out,
            packages / name,
            symlinks=True,
            ignore=shutil.ignore_patterns("__pycache__", "fifo"),
        )
        names.append(name)
    lint(*(packages / n for n in names), cwd=packages)
    probe = (
        "import importlib, pkgutil, sys\n"
        "sys.path.insert(0, '.')\n"
        f"for name in {names!r}:\n"
        "    package = importlib.import_module(name)\n"
        "    for info in pkgutil.walk_packages(package.__path__, name + '.'):\n"
        "        importlib.import_module(info.name)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=packages, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert not (packages / MARKER).exists(), "a payload ran when the generated code was imported"
