"""Cookie parameters are keywords of the generated client and go in one ``Cookie`` header
(they used to be left out, so a service got ``None``: invokeai's ``invokeai_media_token``).
The document is the wire-class spec ``tests/conformance/specs/cookies.yaml`` (also swept by
the conformance harness, which checks what the service receives)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from .conftest import generated_package, lint

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "tests" / "conformance" / "specs" / "cookies.yaml"

USE = '''\
"""A program passing cookie parameters: type-checked with the generated package."""

from __future__ import annotations

from g.cookies.client import Client


def call(client: Client) -> bool | None:
    got = client.get_media(name="a", session_id="s", invokeai_media_token="t", tags=["x"])
    return got.ok
'''


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("cookies")
    yield from generated_package(root, "cookies", SPEC.read_text(), USE, "--no-cache")


def test_generated_code_and_a_user_program_pass_ruff_and_mypy(generated: Path) -> None:
    lint(generated / "g", generated / "use.py", cwd=generated)


def test_the_client_sends_cookie_parameters_in_one_header(generated: Path) -> None:
    import importlib

    client_mod: Any = importlib.import_module("g.cookies.client")
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"ok": True})

    http = httpx.Client(transport=httpx.MockTransport(answer))
    with client_mod.Client("http://w", http_client=http, retries=0) as client:
        client.get_media(name="a", session_id="s;1", n=3, tags=["x", "y"])
        client.get_media(name="a", session_id="s")
    assert seen[0].headers["cookie"] == 'session-id="s\\0731"; n=3; tags="x\\054y"'
    assert seen[1].headers["cookie"] == "session-id=s"
