"""``gmi_ieops.schema``: the JSON Schema checks generated models call, on both validators."""

from __future__ import annotations

import enum
import json
from typing import Any

import pytest
from gmi_ieops import schema
from pydantic import BaseModel, ValidationError, model_validator

DOCUMENT = json.dumps(
    {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$defs": {
            "Pair": {
                "type": "object",
                "properties": {"kind": {"type": "string"}, "items": {"type": "array"}},
                "dependentRequired": {"kind": ["items"]},
                "not": {"properties": {"kind": {"const": "bad"}}, "required": ["kind"]},
            },
            "Holder": {
                "type": "object",
                "properties": {"pair": {"$ref": "#/$defs/Pair"}},
                "propertyNames": {"maxLength": 4},
            },
        },
    }
)


class Kind(str, enum.Enum):
    good = "good"
    bad = "bad"


@pytest.fixture(params=["jsonschema_rs", "jsonschema"])
def check(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Any:
    compile_ = schema._compile_rs if request.param == "jsonschema_rs" else schema._compile_py
    monkeypatch.setattr(schema, "_compiler", lambda: compile_)
    return schema.JsonSchemaCheck(DOCUMENT)


def _models(check: Any) -> tuple[Any, Any]:  # classes built here: their fields are dynamic
    class Pair(BaseModel):
        kind: Kind | None = None
        items: list[int] | None = None

        @model_validator(mode="before")
        @classmethod
        def _check_json_schema(cls, data: Any) -> Any:
            return check.check(cls, "/$defs/Pair", data)

    class Holder(BaseModel):  # as generated models bind it
        pair: Pair | None = None

        _check_json_schema = check.before("/$defs/Holder")

    return Pair, Holder


def test_violations_are_validation_errors(check: Any) -> None:
    pair, holder = _models(check)
    assert pair.model_validate_json('{"kind": "good", "items": [1]}').items == [1]
    with pytest.raises(ValidationError) as caught:
        pair.model_validate_json('{"kind": "good"}')  # dependentRequired
    (error,) = caught.value.errors()
    assert error["type"] == "json_schema" and "items" in error["msg"]
    with pytest.raises(ValidationError):
        pair.model_validate_json('{"kind": "bad", "items": []}')  # not
    with pytest.raises(ValidationError) as nested:
        holder.model_validate_json('{"pair": {"kind": "bad", "items": []}}')
    assert "/pair" in nested.value.errors()[0]["msg"]  # where, in the instance
    with pytest.raises(ValidationError):
        holder.model_validate_json('{"toolong": 1}')  # propertyNames


def test_models_built_in_python(check: Any) -> None:
    pair, holder = _models(check)
    built = holder(pair=pair(kind=Kind.good, items=[1]))  # a model and an enum inside
    assert built.pair is not None and built.pair.kind is Kind.good
    with pytest.raises(ValidationError):
        holder(pair=pair.model_construct(kind=Kind.bad, items=[]))
    assert holder.model_validate(built) is built  # an instance passed its checks


def test_no_validator_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(schema, "_available", lambda: False)
    with pytest.raises(ImportError, match=r"gmi-ieops\[schema\]"):
        schema.JsonSchemaCheck(DOCUMENT)


@pytest.mark.parametrize("compile_", [schema._compile_rs, schema._compile_py])
def test_remote_refs_are_never_fetched(compile_: Any) -> None:
    with pytest.raises(Exception, match="localhost"):
        compile_({"$ref": "http://localhost:9/x.json"})({})
