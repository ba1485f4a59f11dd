"""Cookie parameters: the client writes them into one ``Cookie`` header, the server reads
them back, whatever the printable ASCII text (invokeai's ``invokeai_media_token``).

The client used to leave cookie parameters out (the service got ``None``). Values are
written as ``http.cookies`` quotes them (``;``, ``"``, ``\\``, spaces and commas inside a
quoted string, as octal escapes) and read back by the server's ``SimpleCookie``; arrays go
comma-joined (``style: form``), as a header's ``simple`` style. Property test over the
pure pair: ``client/_wire.cookie_header`` writes, ``routing/_request.parse_params`` reads.
"""

from __future__ import annotations

from typing import Any

import pydantic
import pytest
from gmi_ieops.client._wire import build_headers, cookie_header
from gmi_ieops.routing._definitions import ParamLocation
from gmi_ieops.routing._request import parse_params
from hypothesis import given, settings
from hypothesis import strategies as st


class Params(pydantic.BaseModel):
    token: str | None = None
    session_id: str | None = pydantic.Field(default=None, alias="session-id")
    n: int | None = None
    tags: list[str] | None = None


WHERE: dict[str, ParamLocation] = {n: "cookie" for n in ("token", "session_id", "n", "tags")}

_ascii = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=12)
_item = _ascii.filter(lambda t: "," not in t and t == t.strip())


def _read(header: str | None) -> Params:
    sent = build_headers({}, {"Cookie": header}, "t", None, False)
    headers = {k.lower().encode(): v.encode("latin-1") for k, v in sent.items()}
    got = parse_params(Params, WHERE, {"type": "http", "path_params": {}}, headers, {})
    assert isinstance(got, Params)
    return got


@settings(max_examples=300, deadline=None)
@given(
    token=st.none() | _ascii,
    session=st.none() | _ascii,
    n=st.none() | st.integers(),
    # items as a header's simple style carries them: no commas, no spaces around an item
    # (items are stripped), not one empty item (``tags=`` is the empty array)
    tags=st.none() | st.lists(_item, min_size=1, max_size=3).filter(lambda v: v != [""]),
)
def test_cookie_parameters_arrive_as_sent(
    token: str | None, session: str | None, n: int | None, tags: list[str] | None
) -> None:
    header = cookie_header({"token": token, "session-id": session, "n": n, "tags": tags})
    sent: dict[str, Any] = {"token": token, "session-id": session, "n": n, "tags": tags}
    if all(v is None for v in sent.values()):
        assert header is None  # no cookie to send: no header
    assert _read(header) == Params.model_validate({k: v for k, v in sent.items() if v is not None})


def test_text_a_cookie_cannot_carry_is_refused() -> None:
    with pytest.raises(ValueError, match="token"):
        cookie_header({"token": "café"})
