"""The harness's schema checker reads a 3.0 document as the generated models do."""

from __future__ import annotations

from typing import Any

import pytest

from .schemas import Checker


def _doc(schema: dict[str, Any]) -> dict[str, Any]:
    return {"openapi": "3.0.0", "info": {}, "paths": {}, "components": {"schemas": {"S": schema}}}


@pytest.mark.parametrize(
    ("value", "ok"), [("a", True), (3, True), (None, True), (1.5, False), ([], False)]
)
def test_a_type_list_in_a_30_document_is_a_union(value: Any, ok: bool) -> None:
    """cortex-cpp (3.0.0) writes ``type: [string, integer, "null"]``; the 3.0 validator
    raised TypeError on it."""
    checker = Checker(_doc({"type": ["string", "integer", "null"]}))
    assert (checker.errors("/components/schemas/S", value) == []) is ok


_READ_ONLY = {
    "oneOf": [
        {
            "type": "object",
            "properties": {"id": {"type": "integer", "readOnly": True}, "x": {"type": "string"}},
            "required": ["id", "x"],
        },
        {"type": "object", "properties": {"x": {"type": "string"}}, "required": ["x"]},
    ]
}


def test_a_required_read_only_property_is_required_in_a_30_response() -> None:
    """label-studio's RoleBasedTask is a oneOf of task shapes whose required properties are
    readOnly: the neutral 3.0 validator skips those requirements, so a value of the small
    shape also matched the big one and "is valid under each" was reported on every answer.
    OAS 3.0: "the required will take effect on the response only"."""
    checker = Checker(_doc(_READ_ONLY))
    assert checker.errors("/components/schemas/S", {"x": "a"}) == []
    assert checker.errors("/components/schemas/S/oneOf/0", {"x": "a"}) != []


def test_a_required_read_only_property_is_not_required_in_a_30_request() -> None:
    checker = Checker(_doc(_READ_ONLY))
    assert checker.errors("/components/schemas/S/oneOf/0", {"x": "a"}, request=True) == []


def test_a_required_write_only_property_is_not_required_in_a_30_response() -> None:
    schema = {
        "type": "object",
        "properties": {"secret": {"type": "string", "writeOnly": True}},
        "required": ["secret"],
    }
    checker = Checker(_doc(schema))
    assert checker.errors("/components/schemas/S", {}) == []
    assert checker.errors("/components/schemas/S", {}, request=True) != []


def test_a_nullable_enum_in_a_30_document_takes_null() -> None:
    """portkey: ``{type: string, nullable: true, enum: [monthly, weekly]}`` ("Set to null to
    remove periodic reset"); the models and the draws read it as "or null"."""
    checker = Checker(_doc({"type": "string", "nullable": True, "enum": ["monthly", "weekly"]}))
    assert checker.errors("/components/schemas/S", None) == []
    assert checker.errors("/components/schemas/S", "daily") != []


def test_a_30_discriminator_whose_values_name_no_schema_is_an_annotation() -> None:
    """portkey's ``OutputItem``: ``discriminator: {propertyName: type}`` with no mapping over
    ``FunctionToolCall`` (``type: [function_call]``): the implicit mapping names the missing
    ``#/components/schemas/function_call``, so every value "could not be resolved"."""
    doc = _doc(
        {"oneOf": [{"$ref": "#/components/schemas/F"}], "discriminator": {"propertyName": "type"}}
    )
    doc["components"]["schemas"]["F"] = {
        "type": "object",
        "properties": {"type": {"type": "string", "enum": ["function_call"]}},
        "required": ["type"],
    }
    checker = Checker(doc)
    assert checker.errors("/components/schemas/S", {"type": "function_call"}) == []
    assert checker.errors("/components/schemas/S", {"type": "other"}) != []
