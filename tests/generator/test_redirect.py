"""Operations whose only declared success is a redirect (3xx with ``Location``).

The rule (docs/generator.md, "Redirects"): the service method returns the target URL
(``str``); the server answers the declared status (the lowest 3xx redirect code) with
``Location`` and no body; the generated client does not follow it and returns the target.
An operation that also declares a 2xx keeps it. The document is the wire-class spec
``tests/conformance/specs/redirect.yaml`` (also swept by the conformance harness).
"""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
from ieops_gen.pipeline import run

from tests.conformance.serving import serving

from .conftest import generated_package, lint

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "tests" / "conformance" / "specs" / "redirect.yaml"


def test_the_ir_answers_the_declared_redirect() -> None:
    (service,) = run(SPEC, "redirect").services
    ops = {op.method_name: op for op in service.operations}
    assert (ops["file_content"].status_code, ops["file_content"].redirect) == (302, True)
    assert (ops["job_result"].status_code, ops["job_result"].redirect) == (303, True)
    assert (ops["get_model"].status_code, ops["get_model"].redirect) == (200, False)


def test_generated_signatures() -> None:
    files = run(SPEC, "redirect").files
    service = files["redirect/service.py"]
    assert "context: RequestContext,\n    ) -> str:" in service
    routes = files["redirect/routes.py"]
    assert routes.count("redirect=True,") == 2
    assert "status_code=302," in routes and "status_code=303," in routes
    client = files["redirect/client.py"]
    # two operations: the method and its raw form, on Client and AsyncClient
    assert client.count("redirect=True,") == 8


USE = '''\
"""A program using the redirects: type-checked with the generated package."""

from __future__ import annotations

from gmi_ieops.client import APIResponse

from g.redirect.client import AsyncClient, Client


def calls(client: Client) -> list[str]:
    target: str = client.file_content(file_id="f")
    raw: APIResponse[str] = client.with_raw_response.job_result(job_id=1, wait=True)
    return [target, raw.data, client.get_model(name="m").name]


async def acalls(client: AsyncClient) -> str:
    return await client.file_content(file_id="f")
'''


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("redirect")
    yield from generated_package(root, "redirect", SPEC.read_text(), USE, "--no-cache")


def test_generated_code_and_a_user_program_pass_ruff_and_mypy(generated: Path) -> None:
    lint(generated / "g", generated / "use.py", cwd=generated)


def _module(name: str) -> ModuleType:
    return importlib.import_module(f"g.redirect.{name}")


TARGET = "https://storage.example/bucket/f?sig=a%2Fb&x=1"


def _service() -> Any:
    service = _module("service")
    models = _module("models")

    class Impl(service.RedirectsService):  # type: ignore[misc, name-defined]
        async def file_content(self, *, file_id: str, context: Any) -> str:
            return TARGET if file_id == "f" else f"/files/{file_id}/raw"

        async def job_result(self, *, job_id: int, wait: bool | None, context: Any) -> str:
            return f"/jobs/{job_id}?wait={wait}"

        async def get_model(self, *, name: str, context: Any) -> Any:
            return models.GetModelResponse(name=name)

    return Impl()


@pytest.fixture
def sock(generated: Path, tmp_path: Path) -> Iterator[str]:
    path = tmp_path / "w.sock"
    with serving(_module("routes").create_app(_service()), uds=path):
        yield str(path)


def test_the_server_answers_the_declared_status_with_location(sock: str) -> None:
    transport = httpx.HTTPTransport(uds=sock)
    with httpx.Client(transport=transport, base_url="http://w") as http:
        got = http.get("/files/f/content")
        assert got.status_code == 302
        assert got.headers["location"] == TARGET
        assert got.content == b"" and got.headers["content-length"] == "0"
        got = http.post("/jobs/3/result?wait=true")
        assert (got.status_code, got.headers["location"]) == (303, "/jobs/3?wait=True")
        got = http.get("/models/m")  # a 2xx declared too: unchanged
        assert (got.status_code, got.json()) == (200, {"name": "m"})


def test_the_client_returns_the_target_without_following(sock: str) -> None:
    client_mod = _module("client")
    # even an httpx client that follows redirects must not follow this one
    http = httpx.Client(transport=httpx.HTTPTransport(uds=sock), follow_redirects=True)
    with client_mod.Client(f"unix://{sock}", http_client=http, retries=0) as client:
        assert client.file_content(file_id="f") == TARGET
        assert client.file_content(file_id="g") == "/files/g/raw"
        raw = client.with_raw_response.job_result(job_id=4, wait=False)
        assert (raw.status_code, raw.data) == (303, "/jobs/4?wait=False")
        assert raw.headers["location"] == raw.data
        assert client.get_model(name="m").name == "m"

    async def main() -> tuple[str, str]:
        async with client_mod.AsyncClient(f"unix://{sock}", retries=0) as client:
            first = await client.file_content(file_id="f")
            raw = await client.with_raw_response.job_result(job_id=5)
            return first, raw.data

    assert asyncio.run(main()) == (TARGET, "/jobs/5?wait=None")
    http.close()
