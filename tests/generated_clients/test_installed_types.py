"""mypy sees the installed ``gmi_ieops`` from a user project in another folder.

The project is installed as ``scripts/setup.sh`` does (``pip install -e .``); a user's
worker elsewhere must type-check against it with no ``MYPYPATH`` and no ``PYTHONPATH``:
an editable install through an import-hook finder (setuptools' default for this layout)
is invisible to mypy, which then reports ``import-not-found``. A deliberate error in the
program proves that mypy really read the runtime's types.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from .test_user_program_types import _mypy

PROGRAM = """\
from fastapi import APIRouter, FastAPI
from gmi_ieops.handler import RequestContext, RouterDef, Server, ServerOptions, api_router


async def hello(*, context: RequestContext) -> None:
    context.logger.info("hello %s", context.trace_id)


options: ServerOptions = {"app_name": "mine", "enable_cors": False}
server = Server(routers={"": [RouterDef(path="/hello", handler=hello)]}, **options)
app = FastAPI()
router: APIRouter = api_router([RouterDef(path="/hello", handler=hello)])
app.include_router(router, prefix="/v1")
wrong: int = server
bad_option: ServerOptions = {"enable_cors": "yes"}
"""

EXPECTED = [(14, "assignment"), (15, "typeddict-item")]


def test_mypy_finds_the_installed_runtime_without_mypypath(tmp_path: Path) -> None:
    project = tmp_path / "user_project"
    project.mkdir()
    (project / "worker.py").write_text(PROGRAM, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("MYPYPATH", "PYTHONPATH")}
    result = subprocess.run(
        [
            _mypy(),
            "--strict",
            "--python-executable",
            sys.executable,
            "--no-incremental",
            "--cache-dir",
            os.devnull,
            "--show-error-codes",
            "--no-pretty",
            "worker.py",
        ],
        cwd=project,
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
    )
    output = result.stdout + result.stderr
    assert "import-not-found" not in output, (
        "mypy cannot see the installed gmi_ieops; an editable install made before the "
        "switch to a .pth layout needs scripts/setup.sh again\n" + output
    )
    errors = re.findall(r"^worker\.py:(\d+): error: .*\[([a-z-]+)\]$", output, re.MULTILINE)
    assert [(int(line), code) for line, code in errors] == EXPECTED, output
