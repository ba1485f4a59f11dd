"""Header parameters named ``Accept``, ``Content-Type`` or ``Authorization`` (any case)
are ignored, as OpenAPI says: neither the client's method nor the server's route has
them, and the generator says so once per name, at the first use. The round trip of the
same document is the wire spec ``tests/conformance/specs/reserved-headers.yaml``."""

from __future__ import annotations

from pathlib import Path

from ieops_gen.pipeline import run

SPEC = (
    Path(__file__).resolve().parents[2]
    / "tests"
    / "conformance"
    / "specs"
    / "reserved-headers.yaml"
)


def test_reserved_header_parameters_are_ignored_with_one_warning_per_name() -> None:
    result = run(SPEC, "reserved")
    (service,) = result.services
    kept = {op.method_name: [p.name for p in op.parameters] for op in service.operations}
    assert kept == {"resolve_file": ["path", "Range"], "commit": []}
    warnings = [w for w in result.warnings if "reserves" in w]
    assert len(warnings) == 3, result.warnings
    by_name = sorted(warnings, key=lambda w: w.lower().split("parameter ")[1])
    accept, authorization, content_type = by_name
    assert "/paths/~1resolve~1{path}/get/parameters/1: header parameter 'Accept'" in accept
    assert "/paths/~1commit/parameters/0: header parameter 'authorization'" in authorization
    assert "securitySchemes" in authorization
    assert "/paths/~1commit/post/parameters/0: header parameter 'Content-Type'" in content_type


def test_uses_of_one_reserved_name_are_counted_in_its_warning(tmp_path: Path) -> None:
    paths = "\n".join(
        f"""  /r{i}:
    get:
      operationId: r{i}
      parameters:
        - {{name: Authorization, in: header, schema: {{type: string}}}}
      responses:
        "204": {{description: done}}"""
        for i in range(3)
    )
    spec = tmp_path / "api.yaml"
    spec.write_text(f"openapi: 3.1.0\ninfo: {{title: t, version: '1'}}\npaths:\n{paths}\n")
    warnings = [w for w in run(spec, "api").warnings if "reserves" in w]
    assert len(warnings) == 1, warnings
    assert "/paths/~1r0/get/parameters/0" in warnings[0]
    assert "(and 2 more like it)" in warnings[0]
