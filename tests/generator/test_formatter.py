"""The one formatter of the output (``ieops_gen.formatter``): ruff, isolated, once per run."""

from __future__ import annotations

import ast
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from ieops_gen import formatter

from .conftest import ROOT, run_gen, tool


def test_a_users_ruff_config_does_not_change_the_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plain, configured = tmp_path / "plain", tmp_path / "configured"
    for project in (plain, configured):
        shutil.copytree(ROOT / "schemas", project / "schemas")
    # Everything here would change the layout if ruff read it: the project's config, a
    # user-level one, and one above the temporary folder ruff works in.
    settings = (
        "line-length = 60\n\n[format]\nquote-style = 'single'\n\n"
        "[lint.isort]\nforce-single-line = true\nknown-first-party = ['pydantic']\n"
    )
    (configured / "ruff.toml").write_text(settings)
    (configured / "xdg" / "ruff").mkdir(parents=True)
    (configured / "xdg" / "ruff" / "ruff.toml").write_text(settings)
    (configured / "tmp").mkdir()
    (configured / "pydantic").mkdir()  # a first-party folder of the same name
    for project in (plain, configured):
        if project == configured:
            monkeypatch.setenv("XDG_CONFIG_HOME", str(configured / "xdg"))
            monkeypatch.setenv("TMPDIR", str(configured / "tmp"))
        done = run_gen("schemas", "-o", "generated", "--no-cache", "-q", cwd=project)
        assert done.returncode == 0, done.stderr
    for path in sorted((plain / "generated").rglob("*.py")):
        rel = path.relative_to(plain)
        assert (configured / rel).read_text() == path.read_text(), rel


def test_the_output_passes_ruff_check_and_ruff_format(tmp_path: Path) -> None:
    done = run_gen(ROOT / "schemas", "-o", tmp_path / "generated", "--no-cache", "-q")
    assert done.returncode == 0, done.stderr
    config = str(ROOT / "pyproject.toml")
    for command in (["check"], ["format", "--check"]):
        ruff = subprocess.run(
            [tool("ruff"), *command, "--config", config, "--no-cache", "generated"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
        )
        assert ruff.returncode == 0, ruff.stdout + ruff.stderr


def test_imports_in_any_order_come_out_sorted_and_merged() -> None:
    text = (
        "from .models import B\nfrom generated.x import y\nimport json\n"
        "from pydantic import Field\nfrom typing import Any\nfrom .models import A\n"
        "from typing import Annotated\n\nz: Any = [A, B, y, json, Field, Annotated]\n"
    )
    assert formatter.format_files({"m.py": text}, "generated")["m.py"] == (
        "import json\nfrom typing import Annotated, Any\n\nfrom pydantic import Field\n\n"
        "from generated.x import y\n\nfrom .models import A, B\n\n"
        "z: Any = [A, B, y, json, Field, Annotated]\n"
    )


def test_one_run_is_three_ruff_processes_whatever_the_number_of_files(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[list[str]] = []
    real = subprocess.run

    def counting(args: list[str], **kwargs: Any) -> Any:
        calls.append(args)
        return real(args, **kwargs)

    monkeypatch.setattr(subprocess, "run", counting)
    long = "x" * 150
    files = {f"p{n}/m.py": f'A = "{long}"\n' if n == 0 else "A  =  1\n" for n in range(30)}
    files["openapi.json"] = "{}\n"
    out = formatter.format_files(files, "generated")
    assert len(calls) == 3  # isort fix, format, and format again for the one string split
    assert calls[2][-1] == "p0/m.py"
    assert out["p1/m.py"] == "A = 1\n"
    assert out["openapi.json"] == "{}\n"
    assert max(len(line) for line in out["p0/m.py"].splitlines()) <= 100
    assert ast.literal_eval(out["p0/m.py"].partition("=")[2].strip()) == long
