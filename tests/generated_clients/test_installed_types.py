"""mypy sees the installed ``gmi_ieops`` from a user project in another folder.

The project is installed as ``scripts/setup.sh`` does (``pip install -e .``); a user's
worker elsewhere must type-check against it with no ``MYPYPATH`` and no ``PYTHONPATH``:
an editable install through an import-hook finder (setuptools' default for this layout)
is invisible to mypy, which then reports ``import-not-found``. A deliberate error in the
program proves that mypy really read the runtime's types. A second program checks that
the generated ``serve``/``create_server``/``create_app`` take only ``Server``'s options,
with their types (``ServerOptions``), and that ``create_app`` returns a ``FastAPI``.
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
from gmi_ieops.handler import RequestContext, RouterDef, Server, ServerOptions
from gmi_ieops.typed import api_router


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

EXPECTED = [(15, "assignment"), (16, "typeddict-item")]


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


OPTIONS = """\
from fastapi import FastAPI
from generated.chat.routes import create_app, create_server, router, serve
from generated.chat.service import NativeChatService


def run(service: NativeChatService) -> None:
    app: FastAPI = create_app(service, app_name="chat", on_startup=lambda: None)
    app.include_router(router(service), prefix="/v1")
    create_server(service, prefix="/x", enable_cors=True).app.openapi()
    serve(service, enable_cors="yes")
    serve(service, port=8000)
    bad: int = create_app(service)
"""

OPTION_ERRORS = [(10, "arg-type"), (11, "call-arg"), (12, "assignment")]


def test_generated_serve_and_create_app_are_typed(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[2]
    program = tmp_path / "options.py"
    program.write_text(OPTIONS, encoding="utf-8")
    result = subprocess.run(
        [
            _mypy(),
            "--strict",
            "--no-incremental",
            "--cache-dir",
            os.devnull,
            "--show-error-codes",
            "--no-pretty",
            str(program),
        ],
        cwd=root,
        capture_output=True,
        text=True,
        env={**os.environ, "MYPYPATH": os.pathsep.join([str(root / "runtime"), str(root)])},
        timeout=180,
    )
    output = result.stdout + result.stderr
    errors = re.findall(r"options\.py:(\d+): error: .*\[([a-z-]+)\]$", output, re.MULTILINE)
    assert [(int(line), code) for line, code in errors] == OPTION_ERRORS, output
