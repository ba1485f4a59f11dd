"""``requestBody.required: false``: the IR, the generated signatures, and a served round trip.

The rule (docs/generator.md): only an explicit ``required: false`` makes a body optional;
a body that leaves the flag out stays required. The document is the wire-class spec
``tests/conformance/specs/optbody.yaml`` (also swept by the conformance harness).
"""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from ieops_gen.pipeline import run

from tests.conformance.serving import serving

from .conftest import generated_package, lint

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "tests" / "conformance" / "specs" / "optbody.yaml"


def _ops() -> dict[str, Any]:
    (service,) = run(SPEC, "optbody").services
    assert service.skipped == []
    return {op.method_name: op for op in service.operations}


def test_only_an_explicit_false_makes_a_body_optional() -> None:
    ops = _ops()
    assert ops["cancel_job"].body_required is False
    assert ops["generate"].body_required is False
    assert ops["ping"].body_required is False  # through components/requestBodies
    assert ops["add_note"].body_required is True  # the flag left out
    assert ops["put_note"].body_required is True  # required: true


def test_generated_signatures() -> None:
    files = run(SPEC, "optbody").files
    service = files["optbody/service.py"]
    assert "body: CancelRequest | None," in service
    assert "body: Note," in service  # required bodies keep their type
    routes = files["optbody/routes.py"]
    assert routes.count("body_required=False,") == 3
    client = files["optbody/client.py"]
    # the model overload takes None too; a required body's does not
    assert "body: CancelRequest | None = None,\n        *,\n        job_id: str,\n" in client
    assert "        body: Note,\n        **options" in client
    assert "body: PingRequest | None = None," in client
    assert "body_from_fields(CancelRequest, body, fields, required=False)" in client
    # the bundled document keeps what the spec says
    assert '"required": false' in files["optbody/openapi.json"]


USE = '''\
"""A program using the optional bodies: type-checked with the generated package."""

from __future__ import annotations

from gmi_ieops.client import APIResponse, EventStream

from g.optbody.client import AsyncClient, Client
from g.optbody.models import CancelRequest, Outcome, PingRequest, Token


def calls(client: Client) -> list[Outcome | None]:
    no_body: Outcome = client.cancel_job(job_id="j")
    none: Outcome = client.cancel_job(None, job_id="j")
    model = client.cancel_job(CancelRequest(reason="r"), job_id="j")
    fields = client.cancel_job(job_id="j", reason="r", force=True)
    raw: APIResponse[Outcome] = client.with_raw_response.cancel_job(job_id="j")
    client.ping()
    client.ping(PingRequest(timeout=1.5))
    empty: APIResponse[None] = client.with_raw_response.ping()
    assert raw.data and empty.status_code
    return [no_body, none, model, fields, client.generate(), client.generate(prompt="p")]


def streams(client: Client) -> tuple[EventStream[Token], EventStream[Token]]:
    return client.generate_stream(), client.generate(stream=True)


async def acalls(client: AsyncClient) -> list[Token]:
    outcome: Outcome = await client.cancel_job(job_id="j")
    assert outcome.ok
    await client.ping()
    assert (await client.with_raw_response.generate()).data.ok
    async with client.generate_stream() as stream:
        return [token async for token in stream]
'''


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("optbody")
    yield from generated_package(root, "optbody", SPEC.read_text(), USE, "--no-cache")


def test_generated_code_and_a_user_program_pass_ruff_and_mypy(generated: Path) -> None:
    lint(generated / "g", generated / "use.py", cwd=generated)


def _module(name: str) -> Any:  # a generated module: its classes are known at run time
    return importlib.import_module(f"g.optbody.{name}")


def _service(seen: list[tuple[str, Any, str | None]]) -> Any:
    """An implementation recording each call's body and request Content-Type."""
    service = _module("service")
    models = _module("models")

    def note(name: str, body: Any, context: Any) -> None:
        seen.append((name, body, context.headers.get("content-type")))

    class Impl(service.OptionalBodiesService):  # type: ignore[misc,name-defined]
        async def cancel_job(self, *, job_id: str, body: Any, context: Any) -> Any:
            note("cancel_job", body, context)
            return models.Outcome(ok=body is None, detail=job_id)

        async def add_note(self, *, body: Any, context: Any) -> Any:
            note("add_note", body, context)
            return models.Outcome(ok=True)

        async def put_note(self, *, body: Any, context: Any) -> Any:
            note("put_note", body, context)
            return models.Outcome(ok=True)

        async def generate(self, *, body: Any, context: Any) -> Any:
            note("generate", body, context)
            return models.Outcome(ok=True, detail=body.prompt if body else None)

        async def generate_stream(self, *, body: Any, context: Any) -> AsyncIterator[Any]:
            note("generate_stream", body, context)
            yield models.Token(text=body.prompt if body and body.prompt else "-")

        async def ping(self, *, body: Any, context: Any) -> None:
            note("ping", body, context)

    return Impl()


@pytest.fixture
def served(generated: Path, tmp_path: Path) -> Iterator[tuple[str, list[Any]]]:
    seen: list[tuple[str, Any, str | None]] = []
    sock = tmp_path / "w.sock"
    with serving(_module("routes").create_app(_service(seen)), uds=sock):
        yield str(sock), seen


def test_served_round_trip_with_and_without_a_body(served: tuple[str, list[Any]]) -> None:
    sock, seen = served
    client_mod, models = _module("client"), _module("models")
    with client_mod.Client(f"unix://{sock}", retries=0) as client:
        assert client.cancel_job(job_id="j") == models.Outcome(ok=True, detail="j")
        assert seen.pop() == ("cancel_job", None, None)  # no body, no Content-Type
        assert not client.cancel_job(models.CancelRequest(reason="r"), job_id="j").ok
        assert seen.pop() == ("cancel_job", models.CancelRequest(reason="r"), "application/json")
        assert not client.cancel_job(job_id="j", reason="r", force=True).ok
        assert seen.pop()[1] == models.CancelRequest(reason="r", force=True)
        raw = client.with_raw_response.cancel_job(job_id="k")
        assert (raw.status_code, raw.data.detail) == (200, "k")
        assert seen.pop() == ("cancel_job", None, None)

        assert client.generate().detail is None
        assert seen.pop() == ("generate", None, None)
        assert client.generate(prompt="p").detail == "p"
        with client.generate_stream() as stream:
            assert [t.text for t in stream] == ["-"]
        assert seen[-1] == ("generate_stream", None, None)
        with client.generate(stream=True) as stream:  # the flag with no other field
            assert [t.text for t in stream] == ["-"]
        with client.generate(prompt="q", stream=True) as stream:
            assert [t.text for t in stream] == ["q"]
        seen.clear()

        assert client.ping() is None
        assert client.with_raw_response.ping().status_code == 204
        client.ping(models.PingRequest(timeout=1.5))
        assert [s[1] for s in seen] == [None, None, models.PingRequest(timeout=1.5)]


def test_async_client_without_a_body(served: tuple[str, list[Any]]) -> None:
    sock, seen = served
    client_mod = _module("client")

    async def main() -> list[str]:
        async with client_mod.AsyncClient(f"unix://{sock}", retries=0) as client:
            assert (await client.cancel_job(job_id="a")).ok
            assert (await client.with_raw_response.generate()).data.ok
            await client.ping()
            async with client.generate_stream() as stream:
                return [token.text async for token in stream]

    assert asyncio.run(main()) == ["-"]
    assert [(name, body) for name, body, _ in seen] == [
        ("cancel_job", None),
        ("generate", None),
        ("ping", None),
        ("generate_stream", None),
    ]


def test_the_server_reads_an_absent_or_empty_optional_body_as_none(
    served: tuple[str, list[Any]],
) -> None:
    sock, seen = served
    transport = httpx.HTTPTransport(uds=sock)
    with httpx.Client(transport=transport, base_url="http://w") as http:
        assert http.post("/jobs/j/cancel").json() == {"ok": True, "detail": "j"}
        empty = http.post("/jobs/j/cancel", content=b"", headers={"Content-Length": "0"})
        assert empty.json()["ok"] is True
        assert http.post("/jobs/j/cancel", json={"reason": "r"}).json()["ok"] is False
        assert [s[1] is None for s in seen] == [True, True, False]
        # a present body is validated as before
        bad = http.post("/jobs/j/cancel", json={"force": True})
        assert (bad.status_code, bad.json()["type"]) == (422, "validation_error")
        # a stream asked for by Accept, with no body to carry the flag
        streamed = http.post("/generate", headers={"Accept": "text/event-stream"})
        assert streamed.headers["content-type"].startswith("text/event-stream")
        assert streamed.text.endswith("data: [DONE]\n\n")
        # a required body (the flag left out) is still required
        seen.clear()
        missing = http.post("/notes")
        assert missing.status_code in (400, 422), missing.text
        assert seen == []
        # the app's documentation keeps the spec's flag
        doc = http.get("/openapi.json").json()
        assert doc["paths"]["/jobs/{job_id}/cancel"]["post"]["requestBody"]["required"] is False
