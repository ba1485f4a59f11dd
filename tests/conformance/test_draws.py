"""The harness draws values as the generated models read the schema (``schemas.drawable``)."""

from __future__ import annotations

import datetime
import ipaddress
import uuid
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from pydantic import AnyUrl, AwareDatetime, Base64Bytes, TypeAdapter

from .schemas import admits_nothing, drawable, strategy

# OpenAI's OpenAIFile and Model: properties and required, no ``type``; the models make an
# object of them (datamodel-code-generator reads ``properties`` so, and ``items`` as an array).
_TYPELESS = {
    "properties": {"id": {"type": "string"}, "bytes": {"type": "integer"}},
    "required": ["id"],
}
_DOC: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "t", "version": "1"},
    "paths": {},
    "components": {"schemas": {"File": _TYPELESS}},
}


def test_a_typeless_schema_with_properties_or_items_is_drawn_as_the_models_read_it() -> None:
    assert drawable(_DOC, {"$ref": "#/components/schemas/File"})["type"] == "object"
    assert drawable(_DOC, {"items": {"type": "string"}})["type"] == "array"
    assert drawable(_DOC, {"prefixItems": [{"type": "string"}]})["type"] == "array"


def test_a_schema_with_a_type_or_nothing_to_read_is_left_alone() -> None:
    typed = drawable(_DOC, {"type": ["object", "null"], "properties": {}})
    assert typed["type"] == ["object", "null"]
    assert "type" not in drawable(_DOC, {"anyOf": [{"type": "string"}], "required": ["a"]})
    assert drawable(_DOC, {}) == {}


@settings(max_examples=25, database=None, suppress_health_check=list(HealthCheck), deadline=None)
@given(st.data())
def test_typeless_objects_draw_only_objects(data: st.DataObject) -> None:
    value = data.draw(strategy(_DOC, {"$ref": "#/components/schemas/File"}))
    assert isinstance(value, dict) and isinstance(value["id"], str)


@settings(max_examples=25, database=None, suppress_health_check=list(HealthCheck), deadline=None)
@given(st.data())
def test_a_uri_is_drawn_as_a_url_the_models_accept(data: st.DataObject) -> None:
    """``format: uri`` is a ``pydantic.AnyUrl`` in the models (OpenAI's web search
    ``find_in_page.url``): any string drawn for it was refused, and the operations using it
    never driven."""
    value = data.draw(strategy(_DOC, {"type": "string", "format": "uri"}))
    AnyUrl(value)


@settings(max_examples=25, database=None, suppress_health_check=list(HealthCheck), deadline=None)
@given(st.data())
def test_a_byte_string_is_drawn_as_base64_the_models_accept(data: st.DataObject) -> None:
    """``format: byte`` is base64 bytes in the models (kubeflow's ``proto_value``)."""
    value = data.draw(strategy(_DOC, {"type": "string", "format": "byte", "maxLength": 40}))
    assert len(value) <= 40
    TypeAdapter(Base64Bytes).validate_python(value)


@pytest.mark.parametrize(
    ("fmt", "annotation"),
    [
        ("uuid", uuid.UUID),  # assemblyai's transcript ids: every answer was refused
        ("duration", datetime.timedelta),
        ("date", datetime.date),
        ("date-time", AwareDatetime),
        ("ipv4", ipaddress.IPv4Address),
        ("ipv6", ipaddress.IPv6Address),
    ],
)
@settings(max_examples=15, database=None, suppress_health_check=list(HealthCheck), deadline=None)
@given(data=st.data())
def test_a_formatted_string_is_drawn_as_the_models_type_accepts(
    fmt: str, annotation: Any, data: st.DataObject
) -> None:
    value = data.draw(strategy(_DOC, {"type": "string", "format": fmt}))
    TypeAdapter(annotation).validate_python(value)


@pytest.mark.parametrize("width", [4, 12])
def test_a_wide_answer_of_small_open_objects_is_drawn_in_a_few_tries(width: int) -> None:
    """OpenAI's RunObject (a dozen open objects, lists of them): hypothesis-jsonschema
    refused most draws of it (a declared name drawn twice, a buffer overrun), and the
    operations returning it were not driven within the harness's draw budget."""
    small = {"type": "object", "properties": {"reason": {"type": "string", "enum": ["a", "b"]}}}
    names = [f"part_{i}" for i in range(width)]
    schema = {
        "type": "object",
        "properties": {
            **{name: small for name in names},
            "parts": {"type": "array", "items": small},
        },
        "required": [*names, "parts"],
    }
    drawing = strategy(_DOC, schema)
    tries = valid = 0

    @settings(
        max_examples=20,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(st.data())
    def draw(data: st.DataObject) -> None:
        nonlocal tries, valid
        tries += 1
        jsonschema.validate(data.draw(drawing), schema)
        valid += 1

    draw()
    assert valid == 20 and tries <= 3 * valid, f"{tries} tries for {valid} values"


def _part(names: list[str]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {name: {"type": "integer"} for name in names},
        "required": names,
    }


@st.composite
def _joined_objects(draw: st.DrawFn) -> dict[str, Any]:
    """An object whose required names are split over parts the instance must satisfy
    together: ``allOf`` parts, a union beside the parent's own properties, a ``$ref``."""
    names = draw(st.lists(st.sampled_from("abcdefgh"), min_size=2, max_size=8, unique=True))
    cut = draw(st.integers(1, len(names) - 1))
    head, tail = _part(names[:cut]), _part(names[cut:])
    how = draw(st.sampled_from(["allOf", "anyOf", "oneOf", "ref"]))
    if how == "allOf":
        return {"allOf": [head, tail]}
    if how == "ref":
        return {"$ref": "#/components/schemas/Part", "properties": tail["properties"]}
    return {**head, how: [tail]}


@settings(max_examples=60, database=None, suppress_health_check=list(HealthCheck), deadline=None)
@given(_joined_objects())
def test_bounded_sizes_never_refuse_what_the_parts_require_together(schema: Any) -> None:
    """The bound on an object's size counts its own names: set on each ``allOf`` part of
    kubeflow's artifacts, it refused every value carrying both parts' required names."""
    doc = {**_DOC, "components": {"schemas": {"Part": _part(["p", "q"])}}}
    assert not admits_nothing(doc, schema), drawable(doc, schema)


@st.composite
def _overlapping_unions(draw: st.DrawFn) -> dict[str, Any]:
    """A ``oneOf`` of open objects where one member's required names are a subset of
    another's (OpenAI's transcription answer: ``{text}`` or ``{text, language, duration}``),
    at the top or one property down: a value of the bigger shape is valid under both."""
    names = draw(st.lists(st.sampled_from("abcdefgh"), min_size=2, max_size=6, unique=True))
    cut = draw(st.integers(1, len(names) - 1))
    small, big = _part(names[:cut]), _part(names)
    members = draw(st.permutations([small, big]))
    if draw(st.booleans()):
        members = [
            {"type": "object", "properties": {"inner": m}, "required": ["inner"]} for m in members
        ]
    return {"oneOf": members}


@settings(max_examples=40, database=None, suppress_health_check=list(HealthCheck), deadline=None)
@given(_overlapping_unions(), st.data())
def test_a_one_of_is_drawn_exclusive_as_the_schema_reads_it(
    schema: dict[str, Any], data: st.DataObject
) -> None:
    """The size bounds narrow each member: a value of both shapes, refused by the bounded
    smaller member, passed hypothesis-jsonschema's "exactly one" filter, and the models
    (which check ``oneOf`` as the schema does) refused the drawn answers of OpenAI's
    transcription and translation operations."""
    value = data.draw(strategy(_DOC, schema))
    jsonschema.validate(value, schema)


@pytest.mark.parametrize("keyword", ["not", "if"])
def test_nothing_under_a_not_or_an_if_is_bounded(keyword: str) -> None:
    """A bound narrows what it is set on: under ``not`` it widens what the schema admits,
    and under ``if`` it moves values from ``then`` to ``else``; drawn so, a value may break
    the schema (an array of five under ``not: {items..., maxItems: 3}`` read as 3)."""
    inner = {"type": "object", "properties": {"x": {"type": "array"}}, "required": ["x"]}
    schema = {
        "type": "object",
        keyword: inner,
        **({"then": {"required": ["y"]}} if keyword == "if" else {}),
    }
    drawn = drawable(_DOC, schema)[keyword]
    assert "maxItems" not in drawn["properties"]["x"] and "maxProperties" not in drawn, drawn
