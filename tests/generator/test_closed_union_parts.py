"""``allOf`` parts closed to one another through a union part are read as the models read
them.

Hugging Face's ``GET /api/{repoType}/{namespace}/{repo}/discussions/{num}`` answers
``allOf: [anyOf: [closed discussion, closed pull request], closed {diffUrl}]``: JSON Schema
closes each part to its own ``properties``, so no value is valid. The models
(datamodel-code-generator) read the ``allOf`` over each member, one object per member
closed to its properties and the other parts', as the author meant; the served document
and the models' JSON Schema check read it as written, and refused every answer the
service gave. The family: an ``allOf`` of a union (``anyOf``/``oneOf``, inline or by
``$ref``) of closed or open members and a closed or open part, in either order, and
objects carrying any mix of the names they declare: the served schema admits exactly
what the models admit (3.1; a 3.0 document cannot close the whole and serves it open, so
there it admits at least as much), and a closed part that refuses what another declares
is said at its pointer."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ieops_gen.pipeline import run

from tests.conformance.schemas import Checker
from tests.support.generated import models_of, takes
from tests.support.objects import object_schemas

_NUMBER = itertools.count()
_NAMES = ("a", "b", "c", "d")


@st.composite
def _case(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    """An OpenAPI version and its component schemas: ``Holder.v`` is the ``allOf``, inline
    or a ``$ref`` to the component ``Whole`` (a union at a component's root is a type
    alias, with no class to carry what the parts say)."""
    version = draw(st.sampled_from(["3.0.3", "3.1.0"]))
    members = draw(st.lists(object_schemas(_NAMES), min_size=2, max_size=2))
    schemas: dict[str, Any] = {}
    if draw(st.booleans()):  # members by $ref
        schemas.update({f"Member{i}": m for i, m in enumerate(members)})
        members = [{"$ref": f"#/components/schemas/Member{i}"} for i in range(len(members))]
    union: dict[str, Any] = {draw(st.sampled_from(["anyOf", "oneOf"])): members}
    if draw(st.booleans()):  # the union by $ref
        schemas["Union"] = union
        union = {"$ref": "#/components/schemas/Union"}
    parts = [union, draw(object_schemas(_NAMES))]
    if draw(st.booleans()):
        parts.reverse()
    whole: dict[str, Any] = {"allOf": parts}
    if draw(st.booleans()):
        schemas["Whole"] = whole
        whole = {"$ref": "#/components/schemas/Whole"}
    holder = {"type": "object", "properties": {"v": whole}, "required": ["v"]}
    schemas["Holder"] = holder
    return version, schemas


_VALUES = st.lists(
    st.dictionaries(st.sampled_from(_NAMES), st.just("x"), max_size=4), min_size=1, max_size=12
)


@settings(max_examples=40, database=None, suppress_health_check=list(HealthCheck), deadline=None)
@given(case=_case(), values=_VALUES)
def test_the_served_document_admits_what_the_models_admit(
    tmp_path_factory: Any, case: tuple[str, dict[str, Any]], values: list[dict[str, str]]
) -> None:
    version, schemas = case
    doc = {"openapi": version, "info": {"title": "t", "version": "1"}, "paths": {}}
    doc["components"] = {"schemas": schemas}
    name = f"closedunion{next(_NUMBER)}"
    root: Path = tmp_path_factory.mktemp(name)
    models = models_of(root, name, doc)
    served = json.loads((root / name / name / "openapi.json").read_text())
    checker = Checker(served)
    for value in values:
        taken = takes(models.Holder, {"v": value})
        valid = not checker.errors("/components/schemas/Holder", {"v": value})
        if version.startswith("3.0"):
            assert valid or not taken, (schemas, value)
        else:
            assert valid == taken, (schemas, served["components"]["schemas"], value)


_CLOSED = {"type": "object", "properties": {"diffUrl": {"type": "string"}}}
_DISCUSSION = {
    "type": "object",
    "properties": {"title": {"type": "string"}, "isReport": {"type": "boolean"}},
    "required": ["title"],
    "additionalProperties": False,
}
_PULL = {
    "type": "object",
    "properties": {"title": {"type": "string"}, "changes": {"type": "string"}},
    "required": ["title", "changes"],
    "additionalProperties": False,
}


def test_a_closed_member_is_said_at_its_pointer(tmp_path: Path) -> None:
    """Hugging Face's discussion: each member is closed to the other part's ``diffUrl``
    and the other part to the members' names; said once, at the first that refuses a
    required name."""
    field = {"allOf": [{"anyOf": [_DISCUSSION, _PULL]}, {**_CLOSED, "additionalProperties": False}]}
    holder = {"type": "object", "properties": {"v": field}}
    doc = {
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1"},
        "paths": {},
        "components": {"schemas": {"Holder": holder}},
    }
    spec = tmp_path / "api.json"
    spec.write_text(json.dumps(doc))
    warnings = [w for w in run(spec, "api").warnings if "is closed" in w]
    (warning,) = warnings
    assert "/components/schemas/Holder/properties/v: allOf/1 is closed" in warning
    assert "'title'" in warning and "no value is valid" in warning


def test_a_union_component_keeps_what_another_part_requires(tmp_path: Path) -> None:
    """The part redeclares ``a``, which each member declares: the redeclaration yields to
    the member's, and the part keeps its ``required`` (emptied of ``a``, the part required a
    name it did not declare, and datamodel-code-generator dropped it: ``Whole`` was
    ``Member0 | Member1`` and took ``{}``)."""
    member = {"type": "object", "properties": {"a": {"type": "string"}}}
    union = {
        "anyOf": [
            {"$ref": "#/components/schemas/Member0"},
            {"$ref": "#/components/schemas/Member1"},
        ]
    }
    whole = {"allOf": [union, {**member, "required": ["a"]}]}
    doc = {"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {}}
    doc["components"] = {"schemas": {"Member0": member, "Member1": dict(member), "Whole": whole}}
    models = models_of(tmp_path, "rootunion", doc)
    assert not takes(models.Whole, {})


def test_a_closed_part_redeclaring_a_members_property_stays_closed(tmp_path: Path) -> None:
    """The closed part's only property is the member's too: emptied of it, the part (its
    ``additionalProperties: false`` with it) vanished from the models, which took ``c``."""
    ref = "#/components/schemas/Member"
    member = {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "string"}}}
    closed = {"type": "object", "properties": {"a": {"type": "string"}}}
    whole = {"allOf": [{"anyOf": [{"$ref": ref}]}, {**closed, "additionalProperties": False}]}
    holder = {"type": "object", "properties": {"v": whole}, "required": ["v"]}
    doc = {"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {}}
    doc["components"] = {"schemas": {"Member": member, "Holder": holder}}
    models = models_of(tmp_path, "closedredeclared", doc)
    assert not takes(models.Holder, {"v": {"c": "x"}})


def test_a_part_beside_the_union_is_said_once(tmp_path: Path) -> None:
    """The part is read once per member: what it redeclares is said once, not per member."""
    member = {"type": "object", "properties": {"a": {"type": "string"}}}
    union = {"anyOf": [{"$ref": "#/components/schemas/M0"}, {"$ref": "#/components/schemas/M1"}]}
    holder = {"type": "object", "properties": {"v": {"allOf": [union, member]}}}
    doc = {"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {}}
    doc["components"] = {"schemas": {"M0": member, "M1": dict(member), "Holder": holder}}
    spec = tmp_path / "api.json"
    spec.write_text(json.dumps(doc))
    warnings = [w for w in run(spec, "api").warnings if "redeclares" in w]
    assert warnings == [
        "api.json: /components/schemas/Holder/properties/v/allOf/1/properties/a: redeclares an "
        "inherited property; the parent's declaration is used"
    ]
