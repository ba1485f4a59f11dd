"""The served ``openapi.json`` is written in its own version's JSON Schema draft.

Exclusive bounds in either spelling (3.0's ``minimum: n, exclusiveMinimum: true``,
3.1's ``exclusiveMinimum: n``), in a 3.0 or a 3.1 document, beside any inclusive bound:
the served ``openapi.json`` is a valid schema of its own version and admits exactly the
numbers the models admit. TGI's 3.0.3 document writes ``minimum: 0, exclusiveMinimum: 0``
(utoipa's 3.1 spelling): the served copy kept it, no 3.0 validator could read it, and
schemathesis drew no request at all for nine of TGI's operations. LoRAX writes
``exclusiveMinimum: true`` with no ``minimum``, which draft 4 refuses too."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conformance.schemas import Checker
from tests.support.generated import models_of, takes

_NUMBER = itertools.count()
_LIMITS = st.integers(-3, 3)


@st.composite
def _bounded(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    """An OpenAPI version and a number schema with bounds spelled either way."""
    version = draw(st.sampled_from(["3.0.3", "3.1.0"]))
    schema: dict[str, Any] = {"type": draw(st.sampled_from(["integer", "number"]))}
    for exclusive, inclusive in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        spelling = draw(
            st.sampled_from(["none", "inclusive", "number", "boolean", "both", "lone boolean"])
        )
        if spelling in ("inclusive", "boolean", "both"):
            schema[inclusive] = draw(_LIMITS)
        if spelling in ("number", "both"):
            schema[exclusive] = draw(_LIMITS)
        if spelling in ("boolean", "lone boolean"):
            schema[exclusive] = draw(st.booleans())
    return version, schema


@settings(max_examples=25, database=None, suppress_health_check=list(HealthCheck), deadline=None)
@given(case=_bounded(), numbers=st.lists(st.integers(-5, 5), min_size=1, max_size=11))
def test_the_served_bounds_are_valid_and_admit_what_the_models_admit(
    tmp_path_factory: Any, case: tuple[str, dict[str, Any]], numbers: list[int]
) -> None:
    version, schema = case
    doc = {"openapi": version, "info": {"title": "b", "version": "1"}, "paths": {}}
    doc["components"] = {
        "schemas": {"Value": {"type": "object", "properties": {"n": schema}, "required": ["n"]}}
    }
    name = f"bounds{next(_NUMBER)}"
    root: Path = tmp_path_factory.mktemp(name)
    models = models_of(root, name, doc)
    served = json.loads((root / name / name / "openapi.json").read_text())
    own = served["components"]["schemas"]["Value"]["properties"]["n"]
    meta = (
        jsonschema.Draft4Validator if version.startswith("3.0") else jsonschema.Draft202012Validator
    )
    meta.check_schema(own)  # a 3.0 schema is draft 4's exclusive bounds: booleans
    checker = Checker(served)
    for number in numbers:
        taken = takes(models.Value, {"n": number})
        valid = not checker.errors("/components/schemas/Value", {"n": number})
        assert valid == taken, (version, schema, own, number)


@pytest.mark.parametrize("version", ["3.0.3", "3.1.0"])
def test_repeated_names_and_values_and_recursive_anchors_are_served_in_the_own_draft(
    tmp_path: Path, version: str
) -> None:
    """invokeai repeats ``type`` in ``required`` of 112 schemas, Portkey a value of an
    ``enum``, OpenAI's ``CompoundFilter`` carries draft 2019-09's ``$recursiveAnchor:
    true``: the meta-schemas refuse all three."""
    value: dict[str, Any] = {
        "type": "object",
        "required": ["type", "name", "type"],
        "properties": {
            "type": {"type": "string", "enum": ["a", "t", "a"]},
            "name": {"type": "string"},
        },
    }
    if not version.startswith("3.0"):
        value["$recursiveAnchor"] = True
    doc = {"openapi": version, "info": {"title": "d", "version": "1"}, "paths": {}}
    doc["components"] = {"schemas": {"Value": value}}
    models = models_of(tmp_path, "dialect", doc)
    served = json.loads((tmp_path / "dialect" / "dialect" / "openapi.json").read_text())
    own = served["components"]["schemas"]["Value"]
    meta = (
        jsonschema.Draft4Validator if version.startswith("3.0") else jsonschema.Draft202012Validator
    )
    meta.check_schema(own)
    assert own["required"] == ["type", "name"]
    assert own["properties"]["type"]["enum"] == ["a", "t"]
    checker = Checker(served)
    for instance in ({"type": "t", "name": "n"}, {"type": "t"}, {"type": "b", "name": "n"}):
        taken = takes(models.Value, instance)
        assert taken == (not checker.errors("/components/schemas/Value", instance)), instance
