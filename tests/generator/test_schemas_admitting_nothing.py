"""Schemas that admit no value, read by the models as the author meant, with a warning at
the pointer: a ``type`` that none of its ``oneOf``/``anyOf`` members allows (Voyage's
``input: {type: object, oneOf: [string, array]}``: the models read the members), and
``allOf`` parts closed by ``additionalProperties: false`` to what another part declares
(AssemblyAI's ``TranscriptParams``: the models read one object closed to all the parts).
Members it cannot type, or one whose type overlaps (``integer`` is a ``number``, 3.0's
``nullable`` adds ``null``), are no contradiction; nor is a closed part that declares what
the others require. The sweep names such an operation's reason ("its request body's
schema admits no JSON value", ``tests/conformance/schemas.admits_nothing``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pydantic
import pytest
from ieops_gen.pipeline import run

from tests.conformance.schemas import overlaps_where_kept
from tests.support.generated import models_of


def _document(schemas: dict[str, Any], version: str = "3.1.0") -> dict[str, Any]:
    """An OpenAPI document with no paths and these component ``schemas``."""
    info = {"title": "t", "version": "1"}
    return {"openapi": version, "info": info, "paths": {}, "components": {"schemas": schemas}}


def _run(tmp_path: Path, doc: dict[str, Any]) -> Any:
    spec = tmp_path / "api.json"
    spec.write_text(json.dumps(doc))
    return run(spec, "api")


def _warnings(
    tmp_path: Path, field: dict[str, Any], version: str = "3.1.0", about: str = "allows none"
) -> list[str]:
    request = {"type": "object", "properties": {"input": field}}
    doc = _document({"Request": request, "Text": {"type": "string"}}, version)
    return [w for w in _run(tmp_path, doc).warnings if about in w]


def test_a_type_no_member_allows_is_said_at_its_pointer(tmp_path: Path) -> None:
    field = {"type": "object", "oneOf": [{"$ref": "#/components/schemas/Text"}, {"type": "array"}]}
    (warning,) = _warnings(tmp_path, field)
    assert "/components/schemas/Request/properties/input: type 'object'" in warning
    assert "(array, string)" in warning and "read the oneOf alone" in warning


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


_CLOSED_AUDIO = {**_AUDIO, "additionalProperties": False}


@pytest.mark.parametrize(
    ("field", "closed", "refused"),
    [
        ({"allOf": [_AUDIO, {**_OPTIONS, "required": ["language"]}]}, "allOf/1", "'audio_url'"),
        # an optional property the closed part does not declare: only values without it
        ({"allOf": [_CLOSED_AUDIO, {"properties": {"x": {}}}]}, "allOf/0", "'x'"),
        ({"allOf": [_CLOSED_AUDIO, _OPTIONS]}, "allOf/1", "'audio_url'"),
        (
            {"type": "object", "additionalProperties": False, "allOf": [_AUDIO]},
            "the schema",
            "'audio_url'",
        ),
        ({"allOf": [_AUDIO, {**_OPTIONS, "properties": {"audio_url": {}}}]}, None, None),
    ],
)
def test_closed_parts_that_forbid_what_another_declares(
    tmp_path: Path, field: dict[str, Any], closed: str | None, refused: str | None
) -> None:
    warnings = _warnings(tmp_path, field, about="is closed")
    if closed is None:
        assert warnings == []
    else:
        (warning,) = warnings
        assert f"input: {closed} is closed" in warning and f"{refused}" in warning
        effect = "a value carrying them" if refused == "'x'" else "no value is valid"
        assert effect in warning


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
    doc = _document(
        {"Thread": {"type": "object", "properties": {"status": field}}, "Locked": _status("locked")}
    )
    warnings = [w for w in _run(tmp_path, doc).warnings if "name no schema" in w]
    if warned is None:
        assert warnings == []
    else:
        (warning,) = warnings
        assert "/components/schemas/Thread/properties/status/discriminator" in warning
        assert warned in warning


def _served(tmp_path: Path, schemas: dict[str, Any], version: str = "3.1.0") -> dict[str, Any]:
    """The bundled ``openapi.json`` the generated server serves for ``schemas``."""
    files = _run(tmp_path, _document(schemas, version)).files
    served: dict[str, Any] = json.loads(files["api/openapi.json"])
    return served


def _valid(doc: dict[str, Any], name: str, value: Any) -> bool:
    """Whether ``value`` is valid for component ``name`` (JSON Schema 2020-12, as 3.1)."""
    root = {**doc["components"], "$ref": f"#/schemas/{name}"}
    text = json.dumps(root).replace('"#/components/', '"#/')
    return bool(jsonschema.Draft202012Validator(json.loads(text)).is_valid(value))


def test_the_served_document_reads_a_contradicting_type_as_the_models_do(tmp_path: Path) -> None:
    """Clients and validators read the served document: it must admit what the server
    takes (Voyage's ``input``: a string or a list, the ``type: object`` beside dropped)."""
    field = {"type": "object", "oneOf": [{"$ref": "#/components/schemas/Text"}, {"type": "array"}]}
    request = {"type": "object", "properties": {"input": field}}
    served = _served(tmp_path, {"Request": request, "Text": {"type": "string"}})
    assert _valid(served, "Request", {"input": "a"}) and _valid(served, "Request", {"input": []})
    assert not _valid(served, "Request", {"input": {}})


@pytest.mark.parametrize("by_ref", [True, False])
def test_the_served_document_closes_allof_parts_as_one_object(tmp_path: Path, by_ref: bool) -> None:
    """AssemblyAI's ``TranscriptParams``: the closed part opened, the whole closed to every
    part's properties (``unevaluatedProperties``); the part itself, used alone, stays closed."""
    options = {"$ref": "#/components/schemas/Options"} if by_ref else _OPTIONS
    schemas = {"Params": {"allOf": [options, _AUDIO]}, "Options": _OPTIONS}
    served = _served(tmp_path, schemas)
    assert _valid(served, "Params", {"audio_url": "u", "language": "en"})
    assert not _valid(served, "Params", {"audio_url": "u", "other": 1})
    assert not _valid(served, "Params", {"language": "en"})
    assert not _valid(served, "Options", {"audio_url": "u"})  # shared: still closed


def test_the_served_document_maps_tag_values_that_name_no_schema(tmp_path: Path) -> None:
    """OpenAI's ChatKit statuses: each branch's own tag value is mapped to the branch, so a
    validator that reads the discriminator finds the branch the models pick."""
    field = {
        "oneOf": [{"$ref": "#/components/schemas/Locked"}, {"$ref": "#/components/schemas/Open"}],
        "discriminator": {"propertyName": "type", "mapping": {"open": "#/components/schemas/Open"}},
    }
    schemas = {
        "Thread": {"type": "object", "properties": {"status": field}},
        "Locked": _status("locked"),
        "Open": _status("open"),
    }
    served = _served(tmp_path, schemas)
    discriminator = served["components"]["schemas"]["Thread"]["properties"]["status"]
    assert discriminator["discriminator"]["mapping"] == {
        "open": "#/components/schemas/Open",
        "locked": "#/components/schemas/Locked",
    }


@pytest.mark.parametrize("version", ["3.0.3", "3.1.0"])
def test_models_with_a_json_schema_check_read_them_as_meant(tmp_path: Path, version: str) -> None:
    """A model whose tree needs the JSON Schema check (``uniqueItems`` here) validates with
    the same reading: the check refused every ``TranscriptParams`` (its closed part) and
    every status whose tag names no schema (held to the class name)."""
    tags = {"type": "array", "items": {"type": "string"}, "uniqueItems": True}
    options = {**_OPTIONS, "properties": {"language": {}, "tags": tags}}
    status = {
        "oneOf": [{"$ref": "#/components/schemas/Locked"}],
        "discriminator": {"propertyName": "type"},
    }
    field = {"type": "object", "oneOf": [{"type": "string"}, tags]}
    schemas = {
        "Params": {"allOf": [{"$ref": "#/components/schemas/Options"}, _AUDIO]},
        "Options": options,
        "Thread": {"type": "object", "properties": {"status": status, "tags": tags}},
        "Locked": _status("locked"),
        "Embed": {"type": "object", "properties": {"input": field}},
    }
    models = models_of(tmp_path, "api", _document(schemas, version))
    models.Params.model_validate({"audio_url": "u", "language": "en", "tags": ["a"]})
    with pytest.raises(pydantic.ValidationError):
        models.Params.model_validate({"audio_url": "u", "other": 1})
    with pytest.raises(pydantic.ValidationError):
        models.Params.model_validate({"audio_url": "u", "tags": ["a", "a"]})
    models.Thread.model_validate({"status": {"type": "locked"}, "tags": ["a"]})
    models.Embed.model_validate({"input": ["a", "b"]})
    models.Embed.model_validate({"input": "a"})


@pytest.mark.parametrize("typed", [True, False])
def test_a_closed_object_requiring_a_name_it_does_not_declare_is_said(
    tmp_path: Path, typed: bool
) -> None:
    """Hugging Face's resource groups require ``repos``, declare no such property and close
    the object: no answer is valid. The generator said nothing (it warns where the object
    is open, and declares the name); the sweep called it a model gap."""
    field: dict[str, Any] = {
        "properties": {"a": {"type": "string"}},
        "required": ["a", "repos"],
        "additionalProperties": False,
    }
    if typed:
        field["type"] = "object"
    (warning,) = _warnings(tmp_path, field, about="admits no value")
    assert "/components/schemas/Request/properties/input/required: 'repos'" in warning
    assert "additionalProperties: false" in warning
    from tests.conformance.schemas import admits_nothing

    assert admits_nothing(_document({}), field)
    assert not admits_nothing(_document({}), {**field, "required": ["a"]})


def _shape(**properties: Any) -> dict[str, Any]:
    return {"type": "object", "properties": {n: {"type": t} for n, t in properties.items()}}


@pytest.mark.parametrize(
    ("members", "said"),
    [
        # Deepgram's model object: two all-optional shapes sharing some properties
        ([_shape(name="string", batch="boolean"), _shape(name="string", meta="object")], True),
        ([_shape(batch="boolean"), _shape(meta="object")], True),
        # a member requiring its own property: a value of the other lacks it
        (
            [
                _shape(name="string", batch="boolean"),
                {**_shape(name="string", meta="object"), "required": ["meta"]},
            ],
            False,
        ),
        # closed: a value carrying the other's property is refused
        (
            [
                {**_shape(batch="boolean"), "additionalProperties": False},
                {**_shape(meta="object"), "additionalProperties": False},
            ],
            False,
        ),
        # a shared property declared otherwise: values of one break the other
        ([_shape(name="string"), _shape(name="integer")], False),
        ([_shape(name="string"), {"type": "string"}], False),
    ],
)
def test_one_of_members_that_overlap_on_every_kept_value_are_said(
    tmp_path: Path, members: list[dict[str, Any]], said: bool
) -> None:
    """Only a property one member does not declare tells such members apart, and the models
    drop what a member does not declare: no value they send is valid for the ``oneOf``."""
    field = {"oneOf": [{"$ref": "#/components/schemas/First"}, members[1]]}
    doc = _document({"Answer": {"type": "object", "properties": {"v": field}}, "First": members[0]})
    result = _run(tmp_path, doc)
    warnings = [w for w in result.warnings if "every value member" in w]
    assert len(warnings) == said
    # the sweep's own reading names the form's reason (not "a model gap")
    served = json.loads(result.files["api/openapi.json"])
    answer = served["components"]["schemas"]["Answer"]["properties"]["v"]
    assert overlaps_where_kept(served, answer) == said
    if said:
        assert "/components/schemas/Answer/properties/v/oneOf: every value member" in warnings[0]
