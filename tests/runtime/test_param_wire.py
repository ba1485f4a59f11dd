"""The client's parameter encoder and the server's decoder, as a pair: what goes in comes out.

Property tests over the pure functions (``client/_wire.py`` writes, ``routing/_request.py``
reads), with the query string made by httpx exactly as the client sends it. Where the wire
cannot tell two values apart (an empty array and no parameter; a one-item array and its
item, for a parameter that may be either), the value that arrives is the documented one
(``docs/spec-language.md``).
"""

from __future__ import annotations

from typing import Any

import httpx
import pydantic
from gmi_ieops.client._wire import build_headers, encode_query, styled
from gmi_ieops.routing._definitions import ParamLocation
from gmi_ieops.routing._request import parse_params
from hypothesis import given, settings
from hypothesis import strategies as st


class Params(pydantic.BaseModel):
    """``anyOf: [array, string]`` and ``anyOf: [array, integer]`` (FastAPI's ``str | list``)."""

    tag: list[str] | str | None = None
    n: list[int] | int | None = None
    ids: list[int] | int | None = None  # explode: false
    tags: list[str] | None = None
    x_tag: list[str] | str | None = pydantic.Field(default=None, alias="X-Tag")


WHERE: dict[str, ParamLocation] = {
    "tag": "query",
    "n": "query",
    "ids": "query",
    "tags": "query",
    "x_tag": "header",
}
STYLE = {"ids": ("form", False)}

_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=6)
_header_text = st.from_regex(r"[!-+\--~]([ -+\--~]*[!-+\--~])?", fullmatch=True)


def _either(item: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | item | st.lists(item, max_size=4)


def _roundtrip(values: dict[str, Any]) -> Params:
    query = {k: v for k, v in values.items() if WHERE[k] == "query"}
    if "ids" in query:
        query["ids"] = styled(query["ids"], "form", False)
    pairs = encode_query(query)
    raw = str(httpx.QueryParams(pairs or [])).encode("ascii")
    sent = build_headers({}, {"X-Tag": values.get("x_tag")}, "t", None, False)
    headers = {k.lower().encode(): v.encode() for k, v in sent.items()}
    scope = {"type": "http", "query_string": raw, "path_params": {}}
    got = parse_params(Params, WHERE, scope, headers, STYLE)
    assert isinstance(got, Params)
    return got


def _arrives(value: Any, exploded: bool = True) -> Any:
    """What the wire can say about a scalar-or-array value (``exploded``: query ``form``
    exploded, where an empty array puts nothing on the wire; else ``ids=``)."""
    if isinstance(value, list):
        if not value:
            return None if exploded else []
        if len(value) == 1:
            return value[0]  # ``tag=x``: the same bytes as the scalar
    return value


@settings(max_examples=300, deadline=None)
@given(
    tag=_either(_text),
    n=_either(st.integers(-(10**6), 10**6)),
    ids=_either(st.integers(0, 10**6)),
    tags=st.none() | st.lists(_text, max_size=3),
    x_tag=st.none() | _header_text | st.lists(_header_text, min_size=1, max_size=3),
)
def test_scalar_or_array_parameters_arrive_as_sent(
    tag: Any, n: Any, ids: Any, tags: Any, x_tag: Any
) -> None:
    got = _roundtrip({"tag": tag, "n": n, "ids": ids, "tags": tags, "x_tag": x_tag})
    assert got.tag == _arrives(tag)
    assert got.n == _arrives(n)
    assert got.ids == _arrives(ids, exploded=False)
    assert got.tags == (tags or None)
    assert got.x_tag == _arrives(x_tag)


def test_a_scalar_stays_a_scalar_and_several_values_a_list() -> None:
    got = _roundtrip({"tag": "x", "n": 5, "ids": [1, 2], "x_tag": "a"})
    assert (got.tag, got.n, got.ids, got.x_tag) == ("x", 5, [1, 2], "a")
    got = _roundtrip({"tag": ["x", "y"], "n": [1, 2], "ids": 3, "x_tag": ["a", "b"]})
    assert (got.tag, got.n, got.ids, got.x_tag) == (["x", "y"], [1, 2], 3, ["a", "b"])
    got = _roundtrip({"tag": "", "n": None})
    assert (got.tag, got.n) == ("", None)
