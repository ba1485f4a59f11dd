"""``encode_json`` drops unset ``None`` fields only, however deep, and only looks where one
can be: its per-class plan must exclude exactly what a walk of every field would."""

from __future__ import annotations

import json
from typing import Annotated, Any

from gmi_ieops.routing._responses import encode_json
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, Field, RootModel


class Leaf(BaseModel):
    name: str
    note: str | None = None


class Plain(BaseModel):
    """Nothing here can be excluded: the plan is empty."""

    vector: list[float]
    index: int
    kind: str = "plain"


class Branch(BaseModel):
    leaf: Leaf | None = None
    leaves: list[Leaf] = []
    annotated: Annotated[Leaf | None, Field(description="through Annotated")] = None
    plain: Plain | None = None
    anything: Any = None
    payload: Any = 0
    bag: list = []  # type: ignore[type-arg]  # a bare container may hold models
    by_key: dict[str, Leaf] = {}  # a map of models (additionalProperties: a $ref)
    maybe_map: dict[str, Leaf] | None = None
    count: int | None = None


class Subclassed(Plain):
    """A handler may return a subclass with fields its declared model lacks."""

    extra: str | None = None


class Leaves(RootModel[list[Leaf]]):
    pass


def _full_walk(model: BaseModel) -> dict[Any, Any] | None:
    """The reference: every field of every model looked at."""
    if isinstance(model, RootModel):
        root = model.root
        if isinstance(root, BaseModel):
            return _full_walk(root)
        if isinstance(root, list):
            return _list_walk(root) or None
        return None
    exclude: dict[Any, Any] = {}
    for name in type(model).model_fields:
        value = getattr(model, name)
        if value is None:
            if name not in model.model_fields_set:
                exclude[name] = True
        elif isinstance(value, BaseModel):
            inner = _full_walk(value)
            if inner:
                exclude[name] = inner
        elif isinstance(value, list) and value and isinstance(value[0], BaseModel):
            items = _list_walk(value)
            if items:
                exclude[name] = items
        elif isinstance(value, dict):
            entries = {
                key: inner
                for key, item in value.items()
                if isinstance(item, BaseModel) and (inner := _full_walk(item))
            }
            if entries:
                exclude[name] = entries
    return exclude or None


def _list_walk(values: list[Any]) -> dict[int, Any]:
    return {
        i: inner
        for i, item in enumerate(values)
        if isinstance(item, BaseModel) and (inner := _full_walk(item))
    }


def _expected(model: BaseModel) -> Any:
    return json.loads(model.model_dump_json(by_alias=True, exclude=_full_walk(model)))


notes = st.one_of(st.none(), st.text(max_size=3))


@st.composite
def leaves(draw: st.DrawFn) -> Leaf:
    if draw(st.booleans()):
        return Leaf(name="x", note=draw(notes))  # note set, maybe to an explicit None
    return Leaf(name="x")


@st.composite
def plains(draw: st.DrawFn) -> Plain:
    if draw(st.booleans()):
        if draw(st.booleans()):
            return Subclassed(vector=[0.5], index=1, extra=None)  # set: stays null
        return Subclassed(vector=[0.5], index=1)
    return Plain(vector=[0.5], index=1)


@st.composite
def branches(draw: st.DrawFn) -> Branch:
    values: dict[str, Any] = {}
    for name, strategy in (
        ("leaf", st.one_of(st.none(), leaves())),
        ("leaves", st.lists(leaves(), max_size=3)),
        ("annotated", st.one_of(st.none(), leaves())),
        ("plain", st.one_of(st.none(), plains())),
        ("anything", st.one_of(st.none(), leaves(), st.integers())),
        ("payload", st.one_of(leaves(), st.integers())),
        ("bag", st.lists(leaves(), max_size=2)),
        ("by_key", st.dictionaries(st.sampled_from(["a", "b", "c"]), leaves(), max_size=3)),
        ("maybe_map", st.one_of(st.none(), st.dictionaries(st.just("k"), leaves(), max_size=1))),
        ("count", st.one_of(st.none(), st.integers())),
    ):
        if draw(st.booleans()):
            values[name] = draw(strategy)
    return Branch(**values)


@settings(max_examples=300, deadline=None)
@given(st.one_of(branches(), plains(), st.lists(leaves(), max_size=3).map(Leaves)))
def test_encode_json_excludes_what_a_full_walk_excludes(model: BaseModel) -> None:
    assert json.loads(encode_json(model)) == _expected(model)


def test_unset_nones_are_left_out_and_set_ones_stay() -> None:
    branch = Branch(leaf=Leaf(name="a"), count=None, plain=Subclassed(vector=[], index=0))
    assert json.loads(encode_json(branch)) == {
        "leaf": {"name": "a"},
        "leaves": [],
        "payload": 0,
        "bag": [],
        "by_key": {},
        "plain": {"vector": [], "index": 0, "kind": "plain"},
        "count": None,
    }


def test_unset_nones_inside_a_map_of_models_are_left_out() -> None:
    branch = Branch(by_key={"x": Leaf(name="a"), "y": Leaf(name="b", note=None)})
    assert json.loads(encode_json(branch))["by_key"] == {
        "x": {"name": "a"},
        "y": {"name": "b", "note": None},
    }
