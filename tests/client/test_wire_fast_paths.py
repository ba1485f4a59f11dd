"""The per-call shortcuts of the client's wire helpers (bench/client_bench.py) give what the
general paths gave: the same path text, the same body bytes, the same validated model."""

from __future__ import annotations

import enum
import json
from urllib.parse import quote

import pydantic
import pytest
from gmi_ieops.client._wire import decode_json, encode_body, render_path, styled
from gmi_ieops.client.errors import ResponseValidationError


class Color(enum.Enum):
    RED = "red"


class Body(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(populate_by_name=True)

    max_tokens: int = pydantic.Field(alias="maxTokens")
    prompt: str = "p"
    note: str | None = None


@pytest.mark.parametrize(
    "value",
    ["plain-name_1.2~x", "org/model", "a b", "ünï", "50%", "a,b", "", "?#&="],
)
def test_string_values_are_quoted_as_before(value: str) -> None:
    assert render_path("/v1/{a}/x", {"a": value}) == f"/v1/{quote(value, safe=',')}/x"


def test_other_values_and_styles_still_render() -> None:
    assert render_path("/{a}/{b}/{c}", {"a": 3, "b": True, "c": Color.RED}) == "/3/true/red"
    assert render_path("/{ids}", {"ids": ["a b", "c"]}) == "/a%20b,c"
    assert render_path("/{o}", {"o": styled({"k": "v"}, "simple", True)}) == "/k%3Dv"


def test_missing_and_unknown_parameters_are_still_refused() -> None:
    with pytest.raises(ValueError, match=r"missing path parameter\(s\) \['b'\]"):
        render_path("/{a}/{b}", {"a": "x", "c": "y"})
    with pytest.raises(ValueError, match=r"missing path parameter\(s\) \['a'\]"):
        render_path("/{a}", {"a": None})
    with pytest.raises(ValueError, match=r"unknown path parameter\(s\) \['c'\]"):
        render_path("/{a}", {"a": "x", "c": "y"})


def test_a_model_body_is_model_dump_json_by_alias_of_the_set_fields() -> None:
    body = Body(maxTokens=5)
    encoded = encode_body(body)
    assert isinstance(encoded, bytes)
    assert encoded == body.model_dump_json(by_alias=True, exclude_unset=True).encode()
    assert json.loads(encoded) == {"maxTokens": 5}


def test_decoding_validates_into_the_model() -> None:
    assert decode_json(Body, b'{"maxTokens": 2}', "r", None) == Body(maxTokens=2)
    with pytest.raises(ResponseValidationError, match="does not fit Body"):
        decode_json(Body, b'{"maxTokens": "many"}', "r", "t")
