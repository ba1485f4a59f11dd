"""Lenient mode: each unambiguous defect is an error when strict and one warning when lenient."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from ieops_gen.errors import SpecError
from ieops_gen.pipeline import run


def _doc(**changes: Any) -> dict[str, Any]:
    op = {
        "operationId": "get_item",
        "parameters": [
            {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
        ],
        "responses": {
            "200": {
                "description": "ok",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Item"}}},
            }
        },
    }
    doc: dict[str, Any] = {
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1"},
        "paths": {"/items/{id}": {"get": op}},
        "components": {
            "schemas": {"Item": {"type": "object", "properties": {"n": {"type": "integer"}}}}
        },
    }
    for path, value in changes.items():
        *head, last = path.split(".")
        node = doc
        for key in head:
            node = node[int(key)] if isinstance(node, list) else node[key]
        if value is None:
            del node[last]
        elif isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value
    return doc


OP = "paths./items/{id}.get"
ITEM = "components.schemas.Item"
DEFECTS: dict[str, tuple[dict[str, Any], str]] = {
    "type spelled String": ({f"{ITEM}.properties.n": {"type": "String"}}, "read as 'string'"),
    "type bytes": ({f"{ITEM}.properties.n": {"type": "bytes"}}, "read as 'string'"),
    "missing info.version": ({"info.version": None}, "read as '0'"),
    "numeric info.version": ({"info.version": 2}, "read as '2'"),
    "path parameter not required": ({f"{OP}.parameters.0.required": False}, "set to true"),
    "template variable undeclared": ({f"{OP}.parameters": []}, "string path parameter"),
    "dangling $ref": (
        {f"{ITEM}.properties.n": {"$ref": "#/components/schemas/Nope"}},
        "treated as any value",
    ),
    "bad response key": (
        {f"{OP}.responses": {"200": {"description": "ok"}, "x-200:err": {"description": "e"}}},
        "ignored",
    ),
    "required as a boolean": ({f"{ITEM}.required": True}, "ignored"),
    "unrepairable operation": ({f"{OP}.requestBody": {"content": []}}, "operation skipped"),
    "path parameter not in the template": (  # cortex-cpp's PATCH /v1/assistants
        {
            f"{OP}.parameters": [
                {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}},
                {"name": "other", "in": "path", "required": True, "schema": {"type": "string"}},
            ]
        },
        "parameter removed",
    ),
    "path template naming a variable twice": (  # huggingface-hub: .../{slug}/items/{slug}
        {
            "paths./items/{id}/parts/{id}": {
                "get": {
                    "parameters": [
                        {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
                    ],
                    "responses": {"204": {"description": "none"}},
                }
            }
        },
        "operation skipped",
    ),
    "path-level parameter not in the template": (  # one warning, however many operations
        {
            "paths./items/{id}.parameters": [
                {"name": "other", "in": "path", "required": True, "schema": {"type": "string"}}
            ],
            "paths./items/{id}.delete": {
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
                "responses": {"204": {"description": "gone"}},
            },
        },
        "parameter removed",
    ),
}


@pytest.mark.parametrize("name", sorted(DEFECTS))
def test_strict_refuses_lenient_repairs(name: str, tmp_path: Path) -> None:
    changes, repaired = DEFECTS[name]
    path = tmp_path / "api.json"
    path.write_text(json.dumps(_doc(**changes)))
    with pytest.raises(SpecError):
        run(path, "out")
    result = run(path, "out", lenient=True)
    lenient = [w for w in result.warnings if w.startswith("lenient: ")]
    assert len(lenient) == 1, result.warnings
    assert repaired in lenient[0] and "api.json:" in lenient[0]


def test_duplicate_operation_ids_are_suffixed(tmp_path: Path) -> None:
    doc = _doc()
    doc["paths"]["/other"] = {
        "get": {"operationId": "get_item", "responses": {"204": {"description": "none"}}}
    }
    path = tmp_path / "api.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(SpecError, match="duplicate operationId"):
        run(path, "out")
    result = run(path, "out", lenient=True)
    assert [op.method_name for op in result.services[0].operations] == ["get_item", "get_item_2"]


def test_swagger_two_stays_an_error(tmp_path: Path) -> None:
    path = tmp_path / "api.json"
    path.write_text(json.dumps({"swagger": "2.0", "info": {"title": "t", "version": "1"}}))
    with pytest.raises(SpecError, match=r"Swagger 2\.0"):
        run(path, "out", lenient=True)


DISCRIMINATED = {
    "Pet": {
        "oneOf": [{"$ref": "#/components/schemas/Cat"}, {"$ref": "#/components/schemas/Dog"}],
        "discriminator": {"propertyName": "kind"},
    },
    "Cat": {"type": "object", "properties": {"kind": {"const": "cat"}}},
    "Dog": {"type": "object", "properties": {"knd": {"const": "dog"}}},
}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({}, "discriminator property 'kind' is not a property of #/components/schemas/Dog"),
        (
            {"mapping": {"cat": "#/components/schemas/Cat", "cow": "Cow"}},
            "discriminator mapping target not found: Cow",
        ),
    ],
)
def test_discriminator_typos_are_spec_errors(
    change: dict[str, Any], message: str, tmp_path: Path
) -> None:
    doc = _doc()
    schemas = json.loads(json.dumps(DISCRIMINATED))
    if change:
        schemas["Dog"]["properties"] = {"kind": {"const": "dog"}}
        schemas["Pet"]["discriminator"].update(change)
    doc["components"]["schemas"].update(schemas)
    doc["components"]["schemas"]["Item"]["properties"]["pet"] = {"$ref": "#/components/schemas/Pet"}
    path = tmp_path / "api.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(SpecError, match=re.escape(message)):
        run(path, "out")
    result = run(path, "out", lenient=True)
    assert any("discriminator" in w and "ignored" in w for w in result.warnings), result.warnings
