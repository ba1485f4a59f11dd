"""Declared error bodies (``ieops_gen.declared_errors``, ``gmi_ieops.typed.DeclaredErrors``).

The property test draws error-body schemas from the corpus' vocabulary (names, types,
enums, nesting, nulls, a bare string, unions) and checks the family: whatever the generator
fits, the runtime writes the same body, and that body is valid for the schema under an
independent validator (``jsonschema``, not the jsonschema-rs the generator fits with); a key
the envelope is kept for is one the envelope fits; a key nothing fits is a warning naming it.
The served side is ``tests/conformance/specs/errors.yaml`` (``test_wire``) and the sweep's
malformed-body probe over every document (``roundtrip.probe_errors``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
from gmi_ieops.routing._errors import ErrorInfo
from gmi_ieops.routing._responses import FORMATS, SEED
from gmi_ieops.typed import DeclaredErrors, ErrorField, ErrorType
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ieops_gen import declared_errors
from ieops_gen.emit import _shape_source
from ieops_gen.pipeline import run

from tests.conformance.schemas import Checker

_NAMES = (
    "message", "error", "detail", "msg", "code", "status", "type", "error_type", "id",
    "trace_id", "details", "errors", "success", "metadata", "reason", "name", "param",
)  # fmt: skip
_TRACE = "0af7651916cd43dd8448eb211c80319c"


def _leaf() -> st.SearchStrategy[dict[str, Any]]:
    return st.one_of(
        st.just({"type": "string"}),
        st.just({"type": "integer"}),
        st.just({"type": "boolean"}),
        st.just({"type": ["string", "null"]}),
        st.just({"anyOf": [{"type": "string"}, {"type": "null"}]}),
        st.just({"const": "error"}),
        st.lists(st.sampled_from(["Validation", "NOT_FOUND", "internal", "x"]), min_size=1,
                 max_size=3, unique=True).map(lambda e: {"type": "string", "enum": e}),
        st.just({"type": "array", "items": {"type": "object", "required": ["loc", "msg"]}}),
        st.just({"type": "array", "items": {"type": "string"}}),
    )  # fmt: skip


def _object(inner: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        names = draw(st.lists(st.sampled_from(_NAMES), min_size=1, max_size=4, unique=True))
        properties = {name: draw(inner) for name in names}
        required = draw(st.lists(st.sampled_from(names), unique=True))
        schema: dict[str, Any] = {"type": "object", "properties": properties}
        if required:
            schema["required"] = required
        if draw(st.booleans()):
            schema["additionalProperties"] = False
        return schema

    return build()


_SCHEMAS = (
    st.recursive(_leaf(), _object, max_leaves=8).filter(lambda s: s.get("type") == "object")
    | st.just({"type": "string"})
    | st.builds(lambda a, b: {"oneOf": [a, b]}, _object(_leaf()), _object(_leaf()))
)
_KEYS = st.lists(st.sampled_from(["400", "404", "422", "424", "4XX", "5XX", "default"]),
                 min_size=1, max_size=3, unique=True)  # fmt: skip


def _runtime(source: str) -> Any:
    """The runtime's shape from the generated source of one (what routes.py holds)."""
    return eval(source, {"ErrorField": ErrorField, "ErrorType": ErrorType})


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(schema=_SCHEMAS, keys=_KEYS)
def test_what_is_fitted_the_runtime_writes_and_the_schema_accepts(
    schema: dict[str, Any], keys: list[str]
) -> None:
    responses: dict[str, Any] = {"200": {"description": "ok"}}
    for key in keys:
        responses[key] = {"description": key, "content": {"application/json": {"schema": schema}}}
    operation: dict[str, Any] = {"responses": responses}
    doc: dict[str, Any] = {"openapi": "3.1.0", "paths": {"/x": {"post": operation}}}
    fitted = declared_errors.fit(doc, operation, "/paths/~1x/post")
    if fitted.openai:
        return  # OpenAI's format, the runtime's own (tests/runtime)
    runtime = DeclaredErrors(
        {k: None if s is None else _runtime(_shape_source(s)) for k, s in fitted.shapes.items()}
    )
    validator = jsonschema.Draft202012Validator(schema)
    problems = {at.rsplit("/", 1)[1] for at, _ in fitted.problems}
    for key in keys:
        errors = declared_errors._errors_at(key, keys)
        if key in problems:
            assert key not in fitted.shapes
            continue
        for status, kind in errors:
            details = [{"loc": ["body", "x"], "msg": "Field required"}] if status == 422 else None
            info = ErrorInfo(status, kind, "what went wrong", details)
            shape = fitted.shapes.get(key)
            if shape is None:  # the envelope is kept: it fits
                body = SEED.body(info, _TRACE)
            else:
                body = runtime.body(info, _TRACE)
                assert body == declared_errors.render(
                    shape, status, kind, "what went wrong", _TRACE, details or []
                )
            assert validator.is_valid(body), (key, body, list(validator.iter_errors(body)))


def _spec(tmp_path: Path, responses: str, *, root: str = "") -> Path:
    spec = tmp_path / "api.yaml"
    paths = "\n".join(
        f"""  /r{i}:
    post:
      operationId: r{i}
      responses:
        "200": {{description: ok}}
{responses}"""
        for i in range(3)
    )
    spec.write_text(f"openapi: 3.1.0\ninfo: {{title: t, version: '1'}}\n{root}paths:\n{paths}\n")
    return spec


_OPENAI = """        "400":
          description: OpenAI's
          content:
            application/json:
              schema:
                type: object
                required: [error]
                properties:
                  error:
                    type: object
                    required: [message, type, param, code]
                    properties:
                      message: {type: string}
                      type: {type: string}
                      param: {type: [string, "null"]}
                      code: {type: [string, "null"]}"""


def test_openai_error_bodies_make_the_service_speak_openai(tmp_path: Path) -> None:
    (service,) = run(_spec(tmp_path, _OPENAI), "api").services
    assert service.error_format == "openai"
    assert all(op.error_format is None and not op.error_shapes for op in service.operations)


def test_the_authors_error_format_is_kept(tmp_path: Path) -> None:
    spec = _spec(tmp_path, _OPENAI, root="x-ieops-error-format: ieops\n")
    (service,) = run(spec, "api").services
    assert service.error_format == "ieops"
    assert all(op.error_format is None and not op.error_shapes for op in service.operations)


def test_a_body_nothing_fits_is_one_warning_for_all_its_uses(tmp_path: Path) -> None:
    unfit = """        "422":
          description: needs what an error does not have
          content:
            application/json:
              schema:
                type: object
                required: [metadata]
                properties: {metadata: {type: object, required: [request_uuid]}}"""
    result = run(_spec(tmp_path, unfit), "api")
    warnings = [w for w in result.warnings if "error body" in w]
    assert len(warnings) == 1, result.warnings
    assert "/paths/~1r0/post/responses/422" in warnings[0]
    assert "'metadata'" in warnings[0] and "(and 2 more like it)" in warnings[0]
    assert all(not op.error_shapes for op in result.services[0].operations)


def test_a_default_without_a_success_is_not_an_error_body(tmp_path: Path) -> None:
    spec = tmp_path / "api.yaml"
    spec.write_text(
        """openapi: 3.1.0
info: {title: t, version: '1'}
paths:
  /r:
    post:
      operationId: r
      responses:
        default:
          description: the answer
          content:
            application/json:
              schema: {type: object, required: [answer], properties: {answer: {type: string}}}
"""
    )
    (service,) = run(spec, "api").services
    assert not service.operations[0].error_shapes


_TGI = {
    "type": "object",
    "required": ["error", "error_type"],
    "properties": {"error": {"type": "string"}, "error_type": {"type": "string"}},
}
_UNFIT = {"type": "object", "required": ["metadata"], "properties": {"metadata": {}}}
_BODIES = st.tuples(
    st.sampled_from([None, {"type": "object"}, _TGI, _UNFIT, "openai"]),
    st.sampled_from(["application/json", "text/event-stream"]),  # TGI's generate_stream
)
_ANY_KEYS = st.lists(
    st.sampled_from(["400", "404", "422", "4XX", "5XX", "500", "503", "default"]),
    max_size=3,
    unique=True,
)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    version=st.sampled_from(["3.0.3", "3.1.0"]),
    declared=st.lists(st.tuples(_ANY_KEYS, _BODIES), min_size=1, max_size=2),
)
def test_every_error_the_runtime_answers_is_declared_by_the_served_document(
    tmp_path_factory: Any, version: str, declared: list[tuple[list[str], tuple[Any, str]]]
) -> None:
    """Whatever the operations declare, each of the runtime's own errors lands under a key
    of the served document, as JSON, and the body the runtime writes is valid for it (a key
    whose body nothing fits is a warning, and skipped); schemathesis found Ollama's and
    LoRAX's 400s undeclared, and TGI's stream errors declared as an event stream alone."""
    v30 = version.startswith("3.0")
    openai = FORMATS["openai"].schema(v30)
    paths: dict[str, Any] = {}
    for index, (keys, (body, media)) in enumerate(declared):
        responses: dict[str, Any] = {"200": {"description": "ok"}}
        for key in keys:
            responses[key] = {"description": key}
            if body is not None:
                schema = openai if body == "openai" else body
                responses[key]["content"] = {media: {"schema": schema}}
        request = {"content": {"application/json": {"schema": {"type": "object"}}}}
        operation = {"operationId": f"r{index}", "requestBody": request, "responses": responses}
        paths[f"/r{index}"] = {"post": operation}
    doc: dict[str, Any] = {"openapi": version, "info": {"title": "t", "version": "1"}}
    doc["paths"] = paths
    spec = tmp_path_factory.mktemp("errors") / "api.json"
    spec.write_text(json.dumps(doc))
    result = run(spec, "api")
    served = json.loads(result.files["api/openapi.json"])
    checker = Checker(served)
    (service,) = result.services
    for op in service.operations:
        fitted = declared_errors.fit(doc, doc["paths"][op.path]["post"], op.pointer)
        unfit = {problem.rsplit("/", 1)[1] for problem, _ in fitted.problems}
        writer = FORMATS[op.error_format or service.error_format]
        if op.error_shapes:
            writer = DeclaredErrors(
                {
                    k: None if s is None else _runtime(_shape_source(s))
                    for k, s in op.error_shapes.items()
                }
            )
        responses = served["paths"][op.path]["post"]["responses"]
        for status, kind in declared_errors.RUNTIME_ERRORS:
            details = [{"loc": ["body", "x"], "msg": "Field required"}] if status == 422 else None
            info = ErrorInfo(status, kind, "what went wrong", details)
            answered = writer.status(info)
            landing = declared_errors._picks(answered, list(responses))
            assert landing is not None, (answered, responses)
            if landing in unfit:
                continue
            response = responses[landing]
            at = f"{op.pointer}/responses/{landing}"
            if "$ref" in response:
                at = response["$ref"][1:]
                response = served["components"]["responses"][at.rsplit("/", 1)[1]]
            if "content" not in response:
                continue
            assert "application/json" in response["content"], (landing, response)
            body = writer.body(info, _TRACE)
            errors = checker.errors(at + "/content/application~1json/schema", body)
            assert not errors, (landing, body, errors, response)
