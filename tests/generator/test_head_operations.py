"""A ``HEAD`` response carries no content (RFC 9110: the server sends the headers ``GET``
would, and no body), whatever the document declares for it (invokeai's file operations
declare ``image/png`` on ``HEAD``): the service returns ``None``, the client expects no
body, and the generator says, at the response's pointer, that the content is ignored. The
document is the wire-class spec ``tests/conformance/specs/head.yaml``."""

from __future__ import annotations

from pathlib import Path

from ieops_gen.pipeline import run

SPEC = Path(__file__).resolve().parents[2] / "tests" / "conformance" / "specs" / "head.yaml"


def test_content_on_a_head_response_is_ignored_with_a_located_warning() -> None:
    result = run(SPEC, "head")
    (service,) = result.services
    ops = {op.method_name: op for op in service.operations}
    for name in ("get_image_head", "status_head"):
        assert (ops[name].response_model, ops[name].response_media) == (None, None), name
    assert ops["get_image"].response_media == "image/png"
    assert ops["status"].response_model is not None
    warnings = [w for w in result.warnings if "head/responses/200/content" in w]
    assert len(warnings) == 2, result.warnings
    assert all("HEAD" in w and "no content" in w for w in warnings)
    service_py = result.files["head/service.py"]
    for name in ("get_image_head", "status_head"):
        method = service_py[service_py.index(f"def {name}(") :]
        assert "-> None:" in method[: method.index(":\n") + 2], name
