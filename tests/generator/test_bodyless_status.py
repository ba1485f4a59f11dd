"""Content declared on a 204 or 205 (letta and huggingface-hub do) is not content: those
statuses carry none (RFC 9110), so the service returns ``None``, the client expects no
body, and the generator says, at the response's pointer, that the content is ignored. The
document is the wire-class spec ``tests/conformance/specs/nocontent.yaml``."""

from __future__ import annotations

from pathlib import Path

from ieops_gen.pipeline import run

SPEC = Path(__file__).resolve().parents[2] / "tests" / "conformance" / "specs" / "nocontent.yaml"


def test_content_on_a_204_is_ignored_with_a_located_warning() -> None:
    result = run(SPEC, "nocontent")
    (service,) = result.services
    touch = next(op for op in service.operations if op.method_name == "touch_item")
    assert (touch.status_code, touch.response_model) == (204, None)
    warnings = [w for w in result.warnings if "touch" in w]
    assert len(warnings) == 1, result.warnings
    assert "/paths/~1items~1{id}~1touch/put/responses/204/content" in warnings[0]
    assert "carries no content" in warnings[0]
    service_py = result.files["nocontent/service.py"]
    touch_def = service_py[service_py.index("def touch_item") :]
    assert "-> None:" in touch_def[: touch_def.index(":\n") + 2]
