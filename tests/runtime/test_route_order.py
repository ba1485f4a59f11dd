"""A concrete path segment is matched before a templated one, whatever the declaration order.

OpenAPI: "When matching URLs, concrete (non-templated) paths would be matched before their
templated counterparts." cortex-cpp declares ``/v1/engines/{name}/releases/{version}``
before ``/v1/engines/{name}/releases/latest``; the server used to route
``.../releases/latest`` to the first. Checked for the runtime's ``Server`` (its fast
table and its Starlette routes) and for ``api_router`` in a FastAPI app, over drawn sets
of overlapping templates declared in drawn orders.

A segment that is partly literal (huggingface-hub's ``{slug}-{id}`` beside ``{slug}``) is
more concrete than a bare variable: ``.../a-b/items`` goes to ``{slug}-{id}`` whichever
route is declared first (it used to go to the first declared).
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from fastapi import FastAPI
from gmi_ieops.handler import HTTPMethod, RouterDef, Server
from gmi_ieops.typed import api_router
from hypothesis import given, settings
from hypothesis import strategies as st

# Each template has three segments, each a literal from a small set, a parameter, or two
# parameters around a literal dash; two templates overlap when every segment pair can match
# one URL segment.
_SEGMENT = st.sampled_from(["a", "b", "latest", "{p}", "{p}-{q}"])


def _template(parts: tuple[str, ...]) -> str:
    named = [
        part.replace("{p}", f"{{p{i}}}").replace("{q}", f"{{q{i}}}") for i, part in enumerate(parts)
    ]
    return "/" + "/".join(named)


def _matches(part: str, segment: str) -> bool:
    if part == "{p}":
        return True
    if part == "{p}-{q}":
        head, _, tail = segment.partition("-")
        return bool(head and tail)
    return part == segment


def _rank(part: str) -> int:
    """Literal before partly literal before a bare variable."""
    return {"{p}": 2, "{p}-{q}": 1}.get(part, 0)


def _handler(template: str) -> Any:
    async def handler(query: dict[str, Any]) -> dict[str, Any]:
        return {"template": template}

    return handler


def _expected(url: tuple[str, ...], templates: list[tuple[str, ...]]) -> str | None:
    """The most concrete template that matches: at the first segment where two matching
    templates differ, the more literal one wins."""
    matching = [t for t in templates if all(map(_matches, t, url))]
    if not matching:
        return None
    best = min(matching, key=lambda t: tuple(map(_rank, t)))
    return _template(best)


def _routes(templates: list[tuple[str, ...]]) -> list[RouterDef]:
    return [
        RouterDef(path=_template(t)[1:], handler=_handler(_template(t)), method=HTTPMethod.GET)
        for t in templates
    ]


async def _get_all(app: Any, urls: list[tuple[str, ...]]) -> list[str | None]:
    found: list[str | None] = []
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        for url in urls:
            response = await client.get("/" + "/".join(url))
            found.append(response.json()["template"] if response.status_code == 200 else None)
    return found


def _shape(part: str) -> str:
    """A URL segment of a template's own shape."""
    return {"{p}": "x", "{p}-{q}": "x-y"}.get(part, part)


_templates = st.lists(st.tuples(_SEGMENT, _SEGMENT, _SEGMENT), min_size=1, max_size=6, unique=True)
_urls = st.lists(st.tuples(*[st.sampled_from(["a", "b", "latest", "x", "x-y"])] * 3), max_size=6)


@settings(max_examples=150, deadline=None)
@given(templates=_templates, urls=_urls)
def test_the_server_matches_concrete_segments_first(
    templates: list[tuple[str, ...]], urls: list[tuple[str, ...]]
) -> None:
    app = Server(routers={"": _routes(templates)}).app
    urls = urls + list(templates)  # every template's own literal shape too
    urls = [tuple(_shape(p) for p in u) for u in urls]
    assert asyncio.run(_get_all(app, urls)) == [_expected(u, templates) for u in urls]


@settings(max_examples=30, deadline=None)
@given(templates=_templates, urls=_urls)
def test_the_fastapi_router_matches_concrete_segments_first(
    templates: list[tuple[str, ...]], urls: list[tuple[str, ...]]
) -> None:
    app = FastAPI()
    app.include_router(api_router(_routes(templates)))
    urls = [tuple(_shape(p) for p in u) for u in urls + list(templates)]
    assert asyncio.run(_get_all(app, urls)) == [_expected(u, templates) for u in urls]


def test_cortex_releases_latest() -> None:
    templates = [("engines", "{p}", "releases", "{p}"), ("engines", "{p}", "releases", "latest")]
    routes = [
        RouterDef(path=_template(t)[1:], handler=_handler(_template(t)), method=HTTPMethod.GET)
        for t in templates
    ]
    app = Server(routers={"": routes}).app
    urls: list[tuple[str, ...]] = [
        ("engines", "llama", "releases", "latest"),
        ("engines", "llama", "releases", "v1"),
    ]
    assert asyncio.run(_get_all(app, urls)) == [_template(templates[1]), _template(templates[0])]


def test_huggingface_slug_and_id() -> None:
    templates: list[tuple[str, ...]] = [("c", "{p}", "r"), ("c", "{p}-{q}", "r")]
    app = Server(routers={"": _routes(templates)}).app
    urls: list[tuple[str, ...]] = [("c", "a-b", "r"), ("c", "ab", "r")]
    assert asyncio.run(_get_all(app, urls)) == [_template(templates[1]), _template(templates[0])]
