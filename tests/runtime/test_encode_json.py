"""``encode_json`` drops unset ``None`` fields only, however deep (models in maps of lists,
lists of lists: huggingface-hub's ``dict[str, list[Tag]]`` answers sent ``null``s), and
only looks where one can be: its per-class plan must give what a walk of every value
would."""

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
    lists_by_key: dict[str, list[Leaf]] = {}  # huggingface-hub's tags by type
    rows: list[list[Leaf]] = []
    count: int | None = None


class Subclassed(Plain):
    """A handler may return a subclass with fields its declared model lacks."""

    extra: str | None = None


class Leaves(RootModel[list[Leaf]]):
    pass


class LeavesByKey(RootModel[dict[str, list[Leaf]]]):
    pass


def _expected(model: BaseModel) -> Any:
    """The reference, built without ``exclude``: pydantic's full dump, with every ``null``
    of an unset field removed, found by walking the model and the dump side by side
    through every model, list and map, however nested."""
    return _prune(model, model.model_dump(mode="json", by_alias=True))


def _prune(value: Any, dumped: Any) -> Any:
    if isinstance(value, RootModel):
        return _prune(value.root, dumped)
    if isinstance(value, BaseModel):
        kept = {}
        for name, field in type(value).model_fields.items():
            key, item = field.alias or name, getattr(value, name)
            if key in dumped and not (item is None and name not in value.model_fields_set):
                kept[key] = _prune(item, dumped[key])
        return kept
    if isinstance(value, (list, tuple)):
        return [_prune(item, out) for item, out in zip(value, dumped, strict=True)]
    if isinstance(value, dict):
        return {key: _prune(value[key], out) for key, out in dumped.items()}
    return dumped


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
        ("lists_by_key", st.dictionaries(st.sampled_from("ab"), st.lists(leaves(), max_size=2))),
        ("rows", st.lists(st.lists(leaves(), max_size=2), max_size=2)),
        ("count", st.one_of(st.none(), st.integers())),
    ):
        if draw(st.booleans()):
            values[name] = draw(strategy)
    return Branch(**values)


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        branches(),
        plains(),
        st.lists(leaves(), max_size=3).map(Leaves),
        st.dictionaries(st.sampled_from("ab"), st.lists(leaves(), max_size=2)).map(LeavesByKey),
    )
)
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
        "lists_by_key": {},
        "rows": [],
        "plain": {"vector": [], "index": 0, "kind": "plain"},
        "count": None,
    }


def test_unset_nones_inside_a_map_of_models_are_left_out() -> None:
    branch = Branch(by_key={"x": Leaf(name="a"), "y": Leaf(name="b", note=None)})
    assert json.loads(encode_json(branch))["by_key"] == {
        "x": {"name": "a"},
        "y": {"name": "b", "note": None},
    }
