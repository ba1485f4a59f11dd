"""``application/x-www-form-urlencoded`` request bodies, as OpenAPI 3.x serialises them.

The mirror of the server's reading (``routing/_forms.py``, docs/files.md): the model's set
fields by wire name; a list repeats its name (``scopes=a&scopes=b``), an object is JSON
text, a property whose ``encoding`` gives ``style``/``explode`` is written like a query
parameter of that style (``ids=1,2``, ``filter[color]=red``). ``None`` is left out (a
form cannot say ``null``). The pairs are encoded by ``urllib.parse.urlencode``, as httpx's
``data=`` does.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlencode

import pydantic

from ._wire import Styled, encode_query
from .files import RequestContent, _text

URLENCODED = "application/x-www-form-urlencoded"


def urlencoded_body(
    body: pydantic.BaseModel | Mapping[str, object],
    styles: Mapping[str, tuple[str, bool]] | None = None,
) -> RequestContent:
    """A form body of ``body`` (a model: its set fields by alias); ``styles`` by wire name."""
    if isinstance(body, pydantic.BaseModel):
        data = body.model_dump(mode="json", by_alias=True, exclude_unset=True)
    else:
        data = dict(body)
    pairs: list[tuple[str, str]] = []
    for key, value in data.items():
        if value is None:
            continue
        if styles and key in styles:
            style, explode = styles[key]
            for name, text in encode_query({key: Styled(value, style, explode)}) or []:
                pairs.append((name, str(text)))
            continue
        for item in value if isinstance(value, (list, tuple)) else [value]:
            if item is not None:
                pairs.append((key, _text(item)))
    return RequestContent(URLENCODED, [urlencode(pairs).encode("ascii")])


__all__ = ["URLENCODED", "urlencoded_body"]
