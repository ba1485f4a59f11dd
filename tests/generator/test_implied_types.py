"""A schema without ``type`` is served as the type the models give it.

JSON Schema reads ``{"properties": {...}}`` as "if it is an object, then ...": ``null``,
numbers and strings are valid. The models (datamodel-code-generator, as every generator)
read ``properties`` as an object and ``items`` as an array, as their authors mean, and
refuse the rest. The served ``openapi.json`` said otherwise: schemathesis drew ``null``
and ``2.2e-16`` as valid bodies for OpenAI's ``POST /conversations/{id}/items`` (whose
body schema has ``properties`` and ``required`` and no ``type``), and counted every 400
as valid data refused. The family: a typeless schema made of any mix of keywords, and any
JSON value, alone, in an ``anyOf``, as array items or under a ``not``: the served schema
admits exactly what the models admit."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.conformance.schemas import Checker
from tests.support.generated import models_of, takes

_NUMBER = itertools.count()

_KEYWORDS: dict[str, Any] = {
    "properties": {"a": {"type": "string"}},
    "required": ["a"],
    "additionalProperties": False,
    "minProperties": 1,
    "items": {"type": "integer"},
    "minItems": 1,
    "minLength": 2,
    "minimum": 2,
    "pattern": "^a",
    "nullable": True,
}

_NULLABLE_ITEMS = {"items": {"type": "integer"}, "nullable": True}

_VALUES = st.sampled_from(
    [
        None,
        0,
        3,
        2.5,
        "",
        "ab",
        "b",
        True,
        [],
        [1],
        ["x"],
        [{"a": "x"}],
        [None],
        {},
        {"a": "x"},
        {"a": 1},
        {"b": "x"},
    ]
)


@st.composite
def _typeless(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    """An OpenAPI version and a schema of keywords of any type, none of them ``type``."""
    version = draw(st.sampled_from(["3.0.3", "3.1.0"]))
    names = draw(st.sets(st.sampled_from(sorted(_KEYWORDS)), min_size=1, max_size=4))
    if not version.startswith("3.0"):
        names.discard("nullable")
    schema = {name: _KEYWORDS[name] for name in sorted(names)}
    # under a `not` the models' JSON Schema check reads the schema as written: a `type`
    # there would admit what the check refuses
    wrap = draw(st.sampled_from(["", "not", "anyOf", "items"]))
    if wrap == "not":
        return version, {"not": schema}
    if wrap == "anyOf":
        # (a string: pydantic's lax mode takes 0 for a boolean, docs/json-schema.md)
        return version, {"anyOf": [{"type": "string"}, schema]}
    if wrap == "items":
        return version, {"type": "array", "items": schema}
    return version, schema


@settings(max_examples=40, database=None, suppress_health_check=list(HealthCheck), deadline=None)
@given(case=_typeless(), values=st.lists(_VALUES, min_size=1, max_size=8))
# a typeless member of a union lost its 3.0 `nullable` in the models (`str | list[int]`),
# which the served document admits: the models' copy now spells the type out too
@example(case=("3.0.3", {"anyOf": [{"type": "string"}, _NULLABLE_ITEMS]}), values=[None])
def test_a_typeless_schema_is_served_as_the_type_the_models_read(
    tmp_path_factory: Any, case: tuple[str, dict[str, Any]], values: list[Any]
) -> None:
    version, schema = case
    doc = {"openapi": version, "info": {"title": "t", "version": "1"}, "paths": {}}
    doc["components"] = {
        "schemas": {"Holder": {"type": "object", "properties": {"v": schema}, "required": ["v"]}}
    }
    name = f"typeless{next(_NUMBER)}"
    root: Path = tmp_path_factory.mktemp(name)
    models = models_of(root, name, doc)
    served = json.loads((root / name / name / "openapi.json").read_text())
    checker = Checker(served)
    as_written = Checker(json.loads(json.dumps(doc)))
    own = served["components"]["schemas"]["Holder"]["properties"]["v"]
    for value in values:
        taken = takes(models.Holder, {"v": value})
        valid = not checker.errors("/components/schemas/Holder", {"v": value})
        assert valid == taken, (version, schema, own, value)
        if "not" in schema:  # the check, which reads the served reading, keeps the meaning
            meant = not as_written.errors("/components/schemas/Holder", {"v": value})
            assert taken == meant, (version, schema, own, value)
