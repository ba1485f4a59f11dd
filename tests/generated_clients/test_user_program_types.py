"""``mypy --strict`` on a user program calling every generated method (sync and async).

A second, deliberately wrong program is checked in the same run: its errors prove that the
generated signatures are really typed (not ``Any``), so a clean ``user_program.py`` means
something.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT

PROGRAM = Path(__file__).with_name("user_program.py")

MISUSE = """\
from generated.chat.client import AsyncClient
from generated.openai.client import Client
from generated.openai.models import ChatCompletionChunk, CreateChatCompletionRequest
from generated.openai.models import CreateEmbeddingRequest


async def wrong(client: Client, aclient: AsyncClient, body: CreateChatCompletionRequest) -> None:
    client.retrieve_model(model=1)
    client.create_embedding(body)
    client.list_models().nope
    with client.create_chat_completion_stream(body) as chunks:
        for chunk in chunks:
            chunk.choices[0].delta.text
    await aclient.chat_complete(body, timeout="soon")
    CreateEmbeddingRequest(model="m", input=[1.5])


def stopped(chunk: ChatCompletionChunk) -> str:
    return chunk.choices[0].finish_reason.name
"""

MISUSE_ERRORS = [
    (8, "arg-type"),  # model=1: a path parameter is a str
    (9, "call-overload"),  # another operation's body (neither the model nor its fields)
    (10, "attr-defined"),  # a field the response model lacks
    (13, "attr-defined"),  # a field the event model lacks
    (14, "call-overload"),  # the body of another service, and a call option of the wrong type
    (15, "arg-type"),  # input is texts or token ids, not floats
    (19, "union-attr"),  # a chunk's finish_reason may be null: FinishReason | None
]
"""What mypy must report on ``MISUSE`` (line, code): proof the generated API is typed."""


def _mypy() -> str:
    path = Path(sys.executable).with_name("mypy")
    found = str(path) if path.exists() else shutil.which("mypy")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("prerequisite missing on CI: mypy is not installed")
        pytest.skip("mypy is not installed")
    return found


def _generated_methods() -> set[tuple[str, str]]:
    """(service, method) for every public method of every generated client class."""
    methods = set()
    for client in sorted((ROOT / "generated").glob("*/client.py")):
        for node in ast.parse(client.read_text(encoding="utf-8")).body:
            # RawClient / AsyncRawClient repeat the JSON methods (``with_raw_response``)
            if isinstance(node, ast.ClassDef) and not node.name.endswith("RawClient"):
                for item in node.body:
                    if (
                        isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)
                        and item.name != "__init__"
                        and not item.decorator_list  # properties (with_raw_response), overloads
                    ):
                        methods.add((f"{client.parent.name}.{node.name}", item.name))
    return methods


def test_user_program_calls_every_generated_method() -> None:
    tree = ast.parse(PROGRAM.read_text(encoding="utf-8"))
    called = {
        node.func.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
    }
    methods = _generated_methods()
    assert len(methods) >= 22  # 11 operations, a sync and an async client each
    assert {name for _, name in methods} - called == set()
    # both flavours are used: the program opens every sync and every async client
    text = PROGRAM.read_text(encoding="utf-8")
    for client in {owner for owner, _ in methods}:
        service, cls = client.split(".")
        alias = f"{service.capitalize()}{cls}"
        assert f"{alias}(base_url" in text, alias


def test_mypy_strict_passes_on_the_user_program(tmp_path: Path) -> None:
    misuse = tmp_path / "misuse.py"
    misuse.write_text(MISUSE, encoding="utf-8")
    result = subprocess.run(
        [
            _mypy(),
            "--strict",
            "--python-version",
            "3.10",
            "--no-incremental",
            "--cache-dir",
            os.devnull,
            "--show-error-codes",
            "--no-pretty",
            str(PROGRAM.relative_to(ROOT)),
            str(misuse),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "MYPYPATH": os.pathsep.join([str(ROOT / "runtime"), str(ROOT)])},
        timeout=120,
    )
    output = result.stdout + result.stderr
    errors = re.findall(r"^(.+?):(\d+): error: .*\[([a-z-]+)\]$", output, re.MULTILINE)
    assert [e for e in errors if not e[0].endswith("misuse.py")] == [], output
    found = sorted((int(line), code) for path, line, code in errors if path.endswith("misuse.py"))
    assert found == MISUSE_ERRORS, output
