"""A default on a union (``anyOf``/``oneOf``) is applied when a member takes it as a Python
default that type-checks, and dropped with a located warning only when none does.

It used to be dropped always ("it does not fit the schema's type"), so OpenAI-style
``tool_choice: {anyOf: [{enum: [auto, none]}, {$ref: Named}], default: auto}`` or
huggingface-hub's ``includeInvitees: {anyOf: [{type: boolean}, {}], default: false}`` lost
their defaults on both sides. Checked over drawn unions and defaults (the kept default is
the model's and valid for the schema; a scalar that fits an inline member of its type is
always kept), and once through ruff and ``mypy --strict`` with a user program.
"""

from __future__ import annotations

import json
import sys
import tempfile
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ieops_gen.pipeline import run

from .conftest import generated_package, lint

CONSTRAINED = {"type": "integer", "minimum": 1, "maximum": 1000}
"""A member that becomes a root model of its own, into which the default would be copied."""
MEMBERS: list[dict[str, Any]] = [
    {"type": "integer"},
    {"type": "string"},
    {"type": "boolean"},
    {"type": "number"},
    {"type": "null"},
    {},  # untyped: Any
    {"type": "string", "enum": ["auto", "none"]},
    {"$ref": "#/components/schemas/Mode"},
    {"$ref": "#/components/schemas/Named"},
    {"type": "object", "properties": {"name": {"type": "string"}}},
    {"type": "array", "items": {"type": "integer"}},
    {"type": "array", "items": {"type": "string"}},
    {"type": "string", "format": "date-time"},
    CONSTRAINED,
    {"type": "array", "items": {"type": "string", "enum": ["a", "b"]}},
    {"title": "Mode", "enum": ["auto", "none"]},
]
DEFAULTS: list[Any] = [5, 0, "auto", "x", True, False, 2.5, [1, 2], ["a"], {"name": "n"}, []]
ANNOTATIONS: list[dict[str, Any]] = [
    {},
    {"description": "d"},
    {"readOnly": True},
    {"writeOnly": True},
    {"$comment": "c"},
    {"deprecated": True},
]
"""What an inline member may say besides its type: none of it changes what it takes."""


@st.composite
def _member(draw: st.DrawFn) -> dict[str, Any]:
    member = draw(st.sampled_from(MEMBERS))
    return member if "$ref" in member else {**member, **draw(st.sampled_from(ANNOTATIONS))}


COMPONENTS = {
    "Mode": {"type": "string", "enum": ["auto", "none"]},
    "Named": {"type": "object", "properties": {"name": {"type": "string"}}},
}


def _models(field: dict[str, Any]) -> tuple[Any, list[str]]:
    """The models module of a document with ``field`` as a query parameter (``QParams``)
    and as a body property (``QRequest``), and the generator's warnings."""
    body = {"type": "object", "properties": {"field": field}}
    document = {
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1"},
        "paths": {
            "/q": {
                "post": {
                    "operationId": "q",
                    "parameters": [{"name": "field", "in": "query", "schema": field}],
                    "requestBody": {"content": {"application/json": {"schema": body}}},
                    "responses": {"204": {"description": "done"}},
                }
            }
        },
        "components": {"schemas": COMPONENTS},
    }
    spec = Path(tempfile.mkdtemp(prefix="union-default-")) / "api.json"
    spec.write_text(json.dumps(document))
    result = run(spec, "api")
    module = types.ModuleType("union_default_models")
    sys.modules[module.__name__] = module  # pydantic resolves annotations there
    exec(compile(result.files["api/models.py"], "models.py", "exec"), module.__dict__)
    return module, result.warnings


def _bare(member: dict[str, Any]) -> dict[str, Any]:
    """``member`` without its annotations."""
    said = set().union(*ANNOTATIONS)
    return {key: value for key, value in member.items() if key not in said}


def _plainly_takes(member: dict[str, Any], value: Any) -> bool:
    """The cases that must be kept: a scalar for an inline member of exactly its type."""
    kind = member.get("type")
    if set(_bare(member)) != {"type"} or isinstance(value, (list, dict)):
        return False
    return (kind, type(value)) in {
        ("integer", int),
        ("string", str),
        ("boolean", bool),
        ("number", float),
    }


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    members=st.lists(_member(), min_size=2, max_size=3, unique_by=json.dumps),
    keyword=st.sampled_from(["anyOf", "oneOf"]),
    default=st.sampled_from(DEFAULTS),
)
def test_a_union_default_is_kept_exactly_when_a_member_takes_it(
    members: list[dict[str, Any]], keyword: str, default: Any
) -> None:
    field = {keyword: members, "default": default}
    module, warnings = _models(field)
    dropped = [w for w in warnings if "QRequest/properties/field: default" in w]
    value = module.QRequest().model_dump(mode="json")["field"]
    schema = json.loads(
        json.dumps({**field, "$defs": COMPONENTS}).replace("#/components/schemas/", "#/$defs/")
    )
    # formats assert, as in the generated models (AwareDatetime)
    checker = jsonschema.Draft202012Validator.FORMAT_CHECKER
    valid = jsonschema.Draft202012Validator(schema, format_checker=checker).is_valid(default)
    if dropped:
        assert value is None, dropped
        plainly = any(_plainly_takes(m, default) for m in members)
        constrained = any(_bare(m) == CONSTRAINED for m in members)
        assert not valid or not plainly or constrained, dropped
    else:
        assert value == default
        assert valid, (members, keyword, default)


SPEC = """\
openapi: 3.1.0
info: {title: Union defaults, version: "1"}
paths:
  /chat:
    post:
      operationId: chat
      parameters:
        - name: includeInvitees
          in: query
          schema: {default: false, anyOf: [{type: boolean}, {}]}
      requestBody:
        content:
          application/json:
            schema:
              type: object
              properties:
                tool_choice:
                  default: auto
                  anyOf: [{$ref: "#/components/schemas/Mode"}, {$ref: "#/components/schemas/Named"}]
                limit: {default: 5, oneOf: [{type: integer}, {type: string}]}
                stop:
                  default: ["\\n"]
                  anyOf: [{type: array, items: {type: string}}, {type: string}]
                style:
                  default: plain
                  anyOf: [{type: string, enum: [plain, bold]}, {type: integer}]
                n_epochs:  # dropped, with a warning: the integer member has constraints
                  default: auto
                  oneOf: [{type: string, enum: [auto]}, {type: integer, minimum: 1, maximum: 50}]
      responses:
        "204": {description: done}
components:
  schemas:
    Mode: {type: string, enum: [auto, none]}
    Named: {type: object, properties: {name: {type: string}}}
"""

USE = """\
from g.union.models import ChatParams, ChatRequest, Mode


def check() -> None:
    request = ChatRequest()
    assert request.tool_choice is Mode.auto
    assert request.limit == 5
    assert request.stop == ["\\n"]
    assert request.model_dump(mode="json")["style"] == "plain"
    assert ChatParams().include_invitees is False
    assert request.n_epochs is None
"""


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("union-defaults")
    yield from generated_package(root, "union", SPEC, USE, "--no-cache")


def test_union_defaults_pass_ruff_and_mypy_and_apply(generated: Path) -> None:
    lint(generated / "g", generated / "use.py", cwd=generated)
    import use  # type: ignore[import-not-found]

    use.check()
    sys.modules.pop("use", None)


_BRANCHES = {
    "boolean": {"type": "boolean"},
    "integer": {"type": "integer"},
    "number": {"type": "number"},
    "string": {"type": "string"},
    "numbers": {"type": "array", "items": {"type": "number"}},
}
_VALUES: dict[str, Any] = {"boolean": False, "integer": 0, "number": 3.5, "string": "fp16"}


@settings(max_examples=12, deadline=None)
@given(
    kinds=st.lists(st.sampled_from(sorted(_BRANCHES)), min_size=1, max_size=3, unique=True),
    nullable=st.booleans(),
    value=st.sampled_from(sorted(_VALUES)),
)
def test_a_scalar_default_of_a_plain_union_is_kept(
    kinds: list[str], nullable: bool, value: str
) -> None:
    """FastAPI writes ``x: bool | None = False`` as ``anyOf: [{type: boolean}, {type:
    null}], default: false`` (invokeai's ``inplace``, ``crop_visible``): the default of a
    query parameter and of a body field alike."""
    branches = [_BRANCHES[k] for k in kinds] + ([{"type": "null"}] if nullable else [])
    if len(branches) < 2:
        branches.append({"type": "null"})
    default = _VALUES[value]
    models, warnings = _models({"anyOf": branches, "default": default})
    fits = value in kinds or (value == "integer" and "number" in kinds)
    for model in (models.QParams, models.QRequest):
        got = model.model_fields["field"].default
        assert got == (default if fits else None), (kinds, value, got)
    dropped = [w for w in warnings if "ignored" in w and "default" in w]
    assert bool(dropped) == (not fits), warnings
