"""A nullable map or array inside an array or a map (LoRAX's ``top_logprobs``: items
``{type: object, nullable: true, additionalProperties: number}``) keeps its ``null``:
datamodel-code-generator dropped it there (``list[dict[str, float]]``), and the models
refused schema-valid answers with a null item. Checked for every container kind, position
and dialect against the schema read by a real validator."""

from __future__ import annotations

from typing import Any

import jsonschema
import pydantic
import pytest

from tests.support.generated import models_of

_KINDS: dict[str, dict[str, Any]] = {
    "map": {"type": "object", "additionalProperties": {"type": "number"}},
    "array": {"type": "array", "items": {"type": "string"}},
    "object": {"type": "object", "properties": {"x": {"type": "number"}}},
    "string": {"type": "string"},
}
_VALUES = {"map": {"k": 1.5}, "array": ["a"], "object": {"x": 1.0}, "string": "s"}


def _nullable(version: str, schema: dict[str, Any]) -> dict[str, Any]:
    if version.startswith("3.0"):
        return {**schema, "nullable": True}
    return {**schema, "type": [schema["type"], "null"]}


def _doc(version: str) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    for kind, schema in _KINDS.items():
        inner = _nullable(version, schema)
        properties[f"{kind}_items"] = {"type": "array", "items": inner}
        properties[f"{kind}_values"] = {"type": "object", "additionalProperties": inner}
    return {
        "openapi": version,
        "info": {"title": "t", "version": "1"},
        "paths": {},
        "components": {"schemas": {"Holder": {"type": "object", "properties": properties}}},
    }


@pytest.mark.parametrize("version", ["3.0.3", "3.1.0"])
def test_null_inside_containers_is_kept(tmp_path: Any, version: str) -> None:
    models = models_of(tmp_path, "nullable_" + version.replace(".", "_"), _doc(version))
    for kind in _KINDS:
        for value in (
            {f"{kind}_items": [None, _VALUES[kind]]},
            {f"{kind}_values": {"a": None, "b": _VALUES[kind]}},
        ):
            try:
                holder = models.Holder.model_validate(value)
            except pydantic.ValidationError as exc:
                raise AssertionError(f"{version} {value} refused: {exc}") from None
            assert holder.model_dump(mode="json", exclude_unset=True) == value
    # and what is not valid for the schema is still refused
    schema = _doc(version)["components"]["schemas"]["Holder"]
    bad = {"map_items": [{"k": "not a number"}]}
    if version.startswith("3.1"):
        assert not jsonschema.Draft202012Validator(schema).is_valid(bad)
    with pytest.raises(pydantic.ValidationError):
        models.Holder.model_validate(bad)
