"""Discriminated unions of every tag shape: each branch's tag a ``const``, a one-value
``enum`` or an ``enum`` of several values, with the discriminator's ``mapping`` naming
all, some or none of them. Whatever the shape, every tag value a branch declares is read
by the models as that branch, written back as sent, and valid for the served document.
Found on OpenAI's ``WebSearchPreviewTool`` (``type: enum [web_search_preview,
web_search_preview_2025_03_11]``, no mapping): the models typed the tag as
``Literal["WebSearchPreviewTool"]``, the schema's name, and refused both values, so every
``POST /responses`` with a web search tool was a 422. And where a branch does not require
its tag (OpenAI's ``InputItem``), the models' JSON Schema check held each branch to its
schema's name, and refused every item that carried its own ``type``."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import jsonschema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ieops_gen.names import class_name
from pydantic import TypeAdapter

from tests.support.generated import models_of

_VALUES = st.text("abcdefgh_-. 0123456789", min_size=1, max_size=8)
_NUMBER = itertools.count()


@st.composite
def _unions(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Components ``Branch<i>`` and the union ``Tool`` of them, and each branch's values."""
    count = draw(st.integers(1, 3))
    values = draw(
        st.lists(
            st.lists(_VALUES, min_size=1, max_size=3, unique=True), min_size=count, max_size=count
        ).filter(lambda groups: len({v for g in groups for v in g}) == sum(map(len, groups)))
    )
    schemas: dict[str, Any] = {}
    mapping: dict[str, str] = {}
    tags: dict[str, list[str]] = {}
    for index, own in enumerate(values):
        # a component name the models rename (letta's ``letta__schemas__letta_message__
        # ToolReturn``): the mapping, by ``$ref`` or by bare name, still names it
        name = draw(st.sampled_from(["Branch", "pkg__mod__Branch", "branch-", "v1.Branch"]))
        name += str(index)
        tags[name] = own
        shape = draw(st.sampled_from(["const", "enum"])) if len(own) == 1 else "enum"
        tag: dict[str, Any] = {"type": "string"}
        tag |= {"const": own[0]} if shape == "const" else {"enum": own}
        # a branch that does not require its tag drops the discriminator (a value without
        # it is valid): the union is tried branch by branch, the tag still told apart
        schemas[name] = {
            "type": "object",
            "required": ["kind"] if draw(st.booleans()) else [],
            "properties": {"kind": tag, f"only{index}": {"type": "integer"}},
        }
        for value in own:
            if draw(st.booleans()):
                mapping[value] = draw(st.sampled_from([f"#/components/schemas/{name}", name]))
    discriminator: dict[str, Any] = {"propertyName": "kind"}
    if mapping:
        discriminator["mapping"] = mapping
    schemas["Tool"] = {
        "oneOf": [{"$ref": f"#/components/schemas/{name}"} for name in tags],
        "discriminator": discriminator,
    }
    # a model whose own tree the model types cannot express carries a JSON Schema check
    # of its whole tree (checks.py), the union's branches included
    schemas["Box"] = {
        "type": "object",
        "properties": {"tool": {"$ref": "#/components/schemas/Tool"}},
        "required": ["tool"],
        "minProperties": 1,
    }
    return schemas, tags


@settings(max_examples=25, database=None, suppress_health_check=list(HealthCheck), deadline=None)
@given(shape=_unions())
def test_every_tag_value_of_a_branch_is_read_as_that_branch(
    tmp_path_factory: Any, shape: tuple[dict[str, Any], dict[str, list[str]]]
) -> None:
    schemas, tags = shape
    doc = {"openapi": "3.1.0", "info": {"title": "u", "version": "1"}, "paths": {}}
    doc["components"] = {"schemas": schemas}
    name = f"unions{next(_NUMBER)}"
    root: Path = tmp_path_factory.mktemp(name)
    models = models_of(root, name, doc)
    served = json.loads((root / name / name / "openapi.json").read_text())
    validator = jsonschema.Draft202012Validator(
        {"$ref": "#/components/schemas/Tool", "components": served["components"]}
    )
    tool: TypeAdapter[Any] = TypeAdapter(models.Tool)
    for branch, values in tags.items():
        for value in values:
            sent = {"kind": value}
            assert validator.is_valid(sent), (branch, sent)
            read = tool.validate_json(json.dumps(sent))
            member = getattr(read, "root", read)  # a union of one is a root model
            cls = getattr(models, class_name(branch))
            assert isinstance(member, cls), (sent, type(member).__name__)
            assert json.loads(tool.dump_json(read, by_alias=True, exclude_unset=True)) == sent
            models.Box.model_validate({"tool": sent})


def test_a_tag_enum_of_values_no_discriminator_can_name_keeps_the_schema_name(
    tmp_path: Path,
) -> None:
    """A branch's tag ``enum`` holding an object or a number (a spec error a vendor may
    ship) is no set of tag values: the check holds the branch to its name, and generation
    never fails on the unhashable value."""
    schemas: dict[str, Any] = {
        "Odd": {
            "type": "object",
            "properties": {"kind": {"enum": [{"a": 1}, 2]}, "x": {"type": "integer"}},
        },
        "Plain": {
            "type": "object",
            "required": ["kind"],
            "properties": {"kind": {"const": "plain"}},
        },
        "Tool": {
            "oneOf": [{"$ref": "#/components/schemas/Odd"}, {"$ref": "#/components/schemas/Plain"}],
            "discriminator": {"propertyName": "kind"},
        },
        "Box": {
            "type": "object",
            "properties": {"tool": {"$ref": "#/components/schemas/Tool"}},
            "minProperties": 1,
        },
    }
    doc = {"openapi": "3.1.0", "info": {"title": "u", "version": "1"}, "paths": {}}
    models = models_of(tmp_path, "odd_tags", {**doc, "components": {"schemas": schemas}})
    models.Box.model_validate({"tool": {"kind": "plain"}})
