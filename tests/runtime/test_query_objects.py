"""Object parameters in the query, as a pair: the client's encoder and the server's decoder.

``style: form, explode: true`` spreads an object's keys over the query, so the server must
know which keys are its own (``docs/generator.md``, "Object parameters in the query"): a
declared object reads exactly its properties; a free-form one (``additionalProperties``, no
properties) collects every key no other declared parameter claims, and only the first such
parameter of an operation does. Nested values (arrays, objects), which OpenAPI does not
define for form style, travel as JSON text; an untyped value that is JSON text arrives as
that JSON value. Non-exploded (``pair=p,x,q,1``) and deepObject objects keep their keys.
The query string is made by httpx exactly as the client sends it.
"""

from __future__ import annotations

from typing import Any

import httpx
import pydantic
import pydantic_core
from gmi_ieops.client._wire import encode_query, styled
from gmi_ieops.client._wire import untyped as untyped_param
from gmi_ieops.routing._definitions import ParamLocation
from gmi_ieops.routing._request import parse_params
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.query_oracle import container, untyped


class Inner(pydantic.BaseModel):
    a: str | None = None


class Box(pydantic.BaseModel):
    w: int | None = None
    inner: Inner | None = None
    sizes: list[int] | None = None


class Deep(pydantic.BaseModel):
    color: str | None = None
    extra: dict[str, int] | None = None


class Pair(pydantic.BaseModel):
    p: str | None = None
    q: int | None = None


class Params(pydantic.BaseModel):
    filters: dict[str, Any] | None = None
    limit: int | None = None
    tags: list[str] | None = None
    box: Box | None = None
    deep: Deep | None = None
    pair: Pair | None = None


class Counts(pydantic.BaseModel):
    counts: dict[str, int]
    page: int | None = None


class Two(pydantic.BaseModel):
    first: dict[str, str] | None = None
    second: dict[str, str] | None = None


STYLE = {"deep": ("deepObject", True), "pair": ("form", False)}
CLAIMED = {"limit", "tags", "w", "inner", "sizes", "pair"}  # no filters key may be one


def _where(model: type[pydantic.BaseModel]) -> dict[str, ParamLocation]:
    return dict.fromkeys(model.model_fields, "query")


def _roundtrip(
    model: type[pydantic.BaseModel], query: dict[str, Any], style: dict[str, tuple[str, bool]]
) -> pydantic.BaseModel:
    sent = {k: styled(v, *style[k]) if k in style else v for k, v in query.items()}
    pairs = encode_query(sent)
    raw = str(httpx.QueryParams(pairs or [])).encode("ascii")
    scope = {"type": "http", "query_string": raw, "path_params": {}}
    return parse_params(model, _where(model), scope, {}, style)


def _dump(value: Any) -> Any:
    """A model or dict as its wire data (``None`` properties are not sent); empty: None."""
    if isinstance(value, pydantic.BaseModel):
        value = value.model_dump(mode="json", exclude_none=True)
    return value or None


_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=6)
_key = _text.filter(lambda k: k not in CLAIMED and not k.startswith("deep["))
_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | _text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_text, inner, max_size=3),
    max_leaves=6,
)
_no_comma = _text.filter(lambda t: "," not in t)


@settings(max_examples=300, deadline=None)
@given(
    filters=st.none() | st.dictionaries(_key, _json, max_size=4),
    limit=st.none() | st.integers(-(10**6), 10**6),
    tags=st.none() | st.lists(_text, min_size=1, max_size=3),
    box=st.none()
    | st.builds(
        Box,
        w=st.none() | st.integers(-(10**6), 10**6),
        inner=st.none() | st.builds(Inner, a=st.none() | _text),
        sizes=st.none() | st.lists(st.integers(-100, 100), max_size=3),
    ),
    deep=st.none()
    | st.builds(
        Deep,
        color=st.none() | _text,
        extra=st.none() | st.dictionaries(_text, st.integers(-5, 5), max_size=2),
    ),
    pair=st.none()
    | st.builds(Pair, p=st.none() | _no_comma, q=st.none() | st.integers(-(10**6), 10**6)),
)
def test_object_parameters_arrive_as_sent(
    filters: Any, limit: Any, tags: Any, box: Any, deep: Any, pair: Any
) -> None:
    got = _roundtrip(
        Params,
        {"filters": filters, "limit": limit, "tags": tags, "box": box, "deep": deep, "pair": pair},
        STYLE,
    )
    assert isinstance(got, Params)
    sent = {k: untyped(v) for k, v in (filters or {}).items() if v is not None}
    assert got.filters == (sent or None)
    assert (got.limit, got.tags) == (limit, tags)
    assert _dump(got.box) == _dump(box)
    assert _dump(got.deep) == _dump(deep)
    assert _dump(got.pair) == _dump(pair)


@settings(max_examples=200, deadline=None)
@given(
    counts=st.dictionaries(_text.filter(lambda k: k != "page"), st.integers(), min_size=1),
    page=st.none() | st.integers(0, 100),
)
def test_a_typed_free_form_object_collects_the_unclaimed_keys(counts: Any, page: Any) -> None:
    got = _roundtrip(Counts, {"counts": counts, "page": page}, {})
    assert isinstance(got, Counts)
    assert (got.counts, got.page) == (counts, page)


@settings(max_examples=100, deadline=None)
@given(
    first=st.none() | st.dictionaries(_text, _text, max_size=3),
    second=st.none() | st.dictionaries(_text, _text, max_size=3),
)
def test_only_the_first_free_form_object_collects(first: Any, second: Any) -> None:
    got = _roundtrip(Two, {"first": first, "second": second}, {})
    assert isinstance(got, Two)
    assert got.first == ({**(first or {}), **(second or {})} or None)
    assert got.second is None


def test_the_wire_of_object_parameters() -> None:
    """Nested values are JSON text; scalars are plain; other styles keep their keys."""
    box = Box(w=3, inner=Inner(a="x"), sizes=[1, 2])
    pairs = encode_query(
        {
            "filters": {"project": 5, "q": "a b", "sort": ["x", "y"]},
            "box": box,
            "deep": styled(Deep(color="red", extra={"n": 1}), "deepObject", True),
            "pair": styled(Pair(p="u", q=2), "form", False),
        }
    )
    assert pairs == [
        ("project", "5"),
        ("q", "a b"),
        ("sort", '["x","y"]'),
        ("w", "3"),
        ("inner", '{"a":"x"}'),
        ("sizes", "[1,2]"),
        ("deep[color]", "red"),
        ("deep[extra]", '{"n":1}'),
        ("pair", "p,u,q,2"),
    ]
    raw = str(httpx.QueryParams(pairs)).encode("ascii")
    scope = {"type": "http", "query_string": raw + b"&limit=7", "path_params": {}}
    got = parse_params(Params, _where(Params), scope, {}, STYLE)
    assert isinstance(got, Params)
    assert got.filters == {"project": 5, "q": "a b", "sort": ["x", "y"]}
    assert got.limit == 7
    assert got.box == box
    assert got.deep == Deep(color="red", extra={"n": 1})
    assert got.pair == Pair(p="u", q=2)


class Loose(pydantic.BaseModel):
    """A parameter whose schema gives no type (``schema: {}``; huggingface-hub has dozens)."""

    anything: Any = None
    page: int | None = None
    # a union with an untyped member takes anything: untyped too (huggingface-hub's
    # ``includeInvitees: anyOf [boolean, {}]``; an array member read it as a list of texts)
    flag: bool | Any = False
    expand: list[str] | Any | None = None


_untyped_values = _json.filter(lambda v: v is not None and v != [] and v != {})


@settings(max_examples=200, deadline=None)
@given(value=_untyped_values, flag=_untyped_values, expand=_untyped_values, page=st.integers())
def test_an_untyped_parameter_arrives_as_json_when_its_text_is_json(
    value: Any, flag: Any, expand: Any, page: int
) -> None:
    """Top-level, the same rule as an untyped value of a free-form object: a scalar goes as
    its text, an array or object as JSON text (one key, not exploded: the server could not
    tell them from repeated keys), and the server reads JSON when the text is JSON."""
    sent = {"anything": value, "flag": flag, "expand": expand}
    got = _roundtrip(Loose, {**{k: untyped_param(v) for k, v in sent.items()}, "page": page}, {})
    dumped = got.model_dump()
    for name, one in sent.items():
        assert _wire_json(dumped[name]) == _wire_json(untyped(one)), name
    assert dumped["page"] == page


def _wire_json(value: Any) -> Any:
    """Floats compared as JSON compares them (1.0 and 1 are one number on the wire)."""
    return pydantic_core.from_json(pydantic_core.to_json(value))


class Owners(pydantic.BaseModel):
    """huggingface-hub's ``owner``: ``anyOf [array of string, string, object]``."""

    owner: list[str] | str | dict[str, str] | None = None
    q: str | None = None
    name: str | dict[str, str] | None = None


_strings = st.dictionaries(_text, _text, max_size=3)


@settings(max_examples=200, deadline=None)
@given(
    owner=st.none() | _text | st.lists(_text, max_size=3) | _strings,
    q=st.none() | _text,
    name=st.none() | _text | _strings,
)
def test_a_union_of_an_object_with_scalars_or_arrays_travels_as_json_text(
    owner: Any, q: Any, name: Any
) -> None:
    """Not a free-form exploded object that collects every query key (``?owner=abc&q=x``
    read as ``{"owner": "abc", "q": "x"}``): one key, arrays and objects as JSON text, a
    scalar as its text, which arrives as sent unless it is itself an array's or object's
    JSON text."""
    sent = {"owner": untyped_param(owner), "q": q, "name": untyped_param(name)}
    got = _roundtrip(Owners, sent, {})
    assert isinstance(got, Owners)
    assert (got.owner, got.q, got.name) == (container(owner), q, container(name))
