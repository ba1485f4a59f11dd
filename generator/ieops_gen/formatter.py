"""Lay every generated Python module out with ruff: its import sorting, then ``ruff format``.

This is the only formatter of the output. The emitters and the model layer write code in
whatever layout and import order is convenient; one pass over all the files of a run
makes them what ``ruff check`` and ``ruff format --check`` expect:

1. ``ruff check --select I --fix-only`` (isort's order; imports of one module merged) and
   ``ruff format``, over every module at once;
2. the content passes ruff does not do, on the laid-out text where a line's indentation
   is final: over-long one-line string literals split into implicit concatenations, and
   long docstring lines re-wrapped, the spaces that end docstring lines dropped
   (:mod:`.layout`);
3. ``ruff format`` again over the few modules step 2 changed.

So a run costs three ruff processes whatever the number of files. ruff runs
``--isolated`` with its whole configuration on the command line (line length 100, Python
3.10, the output package first-party) in a temporary folder of its own, so no
``pyproject.toml`` or ``ruff.toml`` of the user's, and no folder the generator is run
from, changes the output.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from .errors import GenerationError
from .layout import LINE_LENGTH, split_long_strings, strip_docstring_spaces, wrap_docstrings

TARGET = "py310"


def ruff_bin() -> str:
    """The ``ruff`` executable of the ``ruff`` package (a dependency of ``gmi-ieops[gen]``)."""
    try:
        from ruff.__main__ import find_ruff_bin  # type: ignore[import-untyped]
    except ImportError:
        raise GenerationError(
            "ieops-gen lays its output out with ruff, which is missing: "
            "pip install 'gmi-ieops[gen]'"
        ) from None
    return str(find_ruff_bin())


def _options(first_party: str) -> list[str]:
    return [
        "--isolated",
        "--no-cache",
        "--quiet",
        "--line-length",
        str(LINE_LENGTH),
        "--target-version",
        TARGET,
        "--config",
        "src = []",  # nothing is first-party for being found beside the files
        "--config",
        f"lint.isort.known-first-party = [{first_party!r}]",
    ]


def _ruff(ruff: str, command: list[str], first_party: str, paths: list[str], cwd: Path) -> None:
    """Run ruff on ``paths`` (relative to ``cwd``), in chunks that fit a command line."""
    for start in range(0, len(paths), 2000):
        done = subprocess.run(
            [ruff, *command, *_options(first_party), "--", *paths[start : start + 2000]],
            cwd=cwd,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            why = (done.stderr or done.stdout).strip().splitlines() or [f"exit {done.returncode}"]
            raise GenerationError(f"ruff {command[0]} failed on the generated code: {why[0]}")


def format_files(files: dict[str, str], package: str) -> dict[str, str]:
    """``files`` (relative path -> text) with every ``.py`` one laid out; the rest as given.

    ``package`` is the import path of the output (``generated``, ``app.generated``): its
    first part is the first-party section of the import order.
    """
    python = sorted(rel for rel in files if rel.endswith(".py"))
    if not python:
        return dict(files)
    first_party = package.split(".")[0]
    ruff = ruff_bin()
    out = dict(files)
    with tempfile.TemporaryDirectory(prefix="ieops-gen-ruff-") as tmp:
        root = Path(tmp) / "out"
        for rel in python:
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(files[rel], encoding="utf-8", newline="\n")
        _ruff(ruff, ["check", "--select", "I", "--fix-only"], first_party, python, root)
        _ruff(ruff, ["format"], first_party, python, root)
        again: list[str] = []
        for rel in python:
            path = root / rel
            text = path.read_text(encoding="utf-8")
            passed = wrap_docstrings(split_long_strings(strip_docstring_spaces(text)))
            if passed != text:
                path.write_text(passed, encoding="utf-8", newline="\n")
                again.append(rel)
            out[rel] = passed
        if again:
            _ruff(ruff, ["format"], first_party, again, root)
            for rel in again:
                out[rel] = (root / rel).read_text(encoding="utf-8")
    return out


def format_module(text: str, name: str, package: str) -> str:
    """One module laid out as :func:`format_files` would (a handler stub)."""
    return format_files({name: text}, package)[name]
