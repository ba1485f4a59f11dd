"""Schemas that admit no value, read by the models as the author meant, with a warning at
the pointer: a ``type`` that none of its ``oneOf``/``anyOf`` members allows (Voyage's
``input: {type: object, oneOf: [string, array]}``: the models read the members), and
``allOf`` parts closed by ``additionalProperties: false`` to what another part requires
(AssemblyAI's ``TranscriptParams``: the models read one object closed to all the parts).
Members it cannot type, or one whose type overlaps (``integer`` is a ``number``, 3.0's
``nullable`` adds ``null``), are no contradiction; nor is a closed part that declares what
the others require. The sweep names such an operation's reason ("its request body's
schema admits no JSON value", ``tests/conformance/schemas.admits_nothing``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from ieops_gen.pipeline import run


def _warnings(
    tmp_path: Path, field: dict[str, Any], version: str = "3.1.0", about: str = "allows none"
) -> list[str]:
    spec = tmp_path / "api.json"
    spec.write_text(
        json.dumps(
            {
                "openapi": version,
                "info": {"title": "t", "version": "1"},
                "paths": {},
                "components": {
                    "schemas": {
                        "Request": {"type": "object", "properties": {"input": field}},
                        "Text": {"type": "string"},
                    }
                },
            }
        )
    )
    return [w for w in run(spec, "api").warnings if about in w]


def test_a_type_no_member_allows_is_said_at_its_pointer(tmp_path: Path) -> None:
    field = {"type": "object", "oneOf": [{"$ref": "#/components/schemas/Text"}, {"type": "array"}]}
    (warning,) = _warnings(tmp_path, field)
    assert "/components/schemas/Request/properties/input: type 'object'" in warning
    assert "(array, string)" in warning and "the models read the oneOf alone" in warning


@pytest.mark.parametrize(
    "field",
    [
        {"type": "number", "anyOf": [{"type": "integer"}, {"type": "string"}]},
        {"type": "object", "oneOf": [{"type": "string"}, {"properties": {"a": {}}}]},
        {"type": "string", "oneOf": [{"type": "string", "format": "uri"}, {"type": "array"}]},
        {"type": ["object", "string"], "oneOf": [{"type": "string"}]},
    ],
)
def test_members_that_can_match_are_no_contradiction(tmp_path: Path, field: dict[str, Any]) -> None:
    assert _warnings(tmp_path, field) == []


def test_nullable_adds_null_in_30(tmp_path: Path) -> None:
    field = {"type": "object", "nullable": True, "oneOf": [{"type": "string", "nullable": True}]}
    assert _warnings(tmp_path, field, "3.0.3") == []
    assert len(_warnings(tmp_path, {"type": "object", "oneOf": [{"type": "string"}]}, "3.0.3")) == 1


_AUDIO = {"type": "object", "required": ["audio_url"], "properties": {"audio_url": {}}}
_OPTIONS = {"type": "object", "properties": {"language": {}}, "additionalProperties": False}


@pytest.mark.parametrize(
    ("field", "closed"),
    [
        ({"allOf": [_AUDIO, {**_OPTIONS, "required": ["language"]}]}, "allOf/1"),
        ({"allOf": [{**_AUDIO, "additionalProperties": False}, {"properties": {"x": {}}}]}, None),
        ({"allOf": [{**_AUDIO, "additionalProperties": False}, _OPTIONS]}, "allOf/1"),
        ({"type": "object", "additionalProperties": False, "allOf": [_AUDIO]}, "the schema"),
        ({"allOf": [_AUDIO, {**_OPTIONS, "properties": {"audio_url": {}}}]}, None),
    ],
)
def test_closed_parts_that_forbid_what_another_requires(
    tmp_path: Path, field: dict[str, Any], closed: str | None
) -> None:
    warnings = _warnings(tmp_path, field, about="is closed")
    if closed is None:
        assert warnings == []
    else:
        (warning,) = warnings
        assert f"input: {closed} is closed" in warning and "'audio_url'" in warning


def _status(tag: str) -> dict[str, Any]:
    return {"type": "object", "required": ["type"], "properties": {"type": {"const": tag}}}


@pytest.mark.parametrize(
    ("mapping", "warned"),
    [
        (None, "'locked'"),  # OpenAI's ChatKit thread status: no mapping, consts no names
        ({"locked": "#/components/schemas/Locked"}, None),
    ],
)
def test_tag_values_that_name_no_schema(
    tmp_path: Path, mapping: dict[str, str] | None, warned: str | None
) -> None:
    discriminator: dict[str, Any] = {"propertyName": "type"}
    if mapping:
        discriminator["mapping"] = mapping
    field = {"oneOf": [{"$ref": "#/components/schemas/Locked"}], "discriminator": discriminator}
    spec = tmp_path / "api.json"
    doc = {
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1"},
        "paths": {},
        "components": {
            "schemas": {
                "Thread": {"type": "object", "properties": {"status": field}},
                "Locked": _status("locked"),
            }
        },
    }
    spec.write_text(json.dumps(doc))
    warnings = [w for w in run(spec, "api").warnings if "name no schema" in w]
    if warned is None:
        assert warnings == []
    else:
        (warning,) = warnings
        assert "/components/schemas/Thread/properties/status/discriminator" in warning
        assert warned in warning
