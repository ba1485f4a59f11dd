"""A path template variable that is not a Python identifier (``{sub-type}``) is routed.

Starlette reads only ``{identifier}`` as a variable: portkey's ``POST
/api-keys/{type}/{sub-type}`` compiled to a literal ``{sub-type}`` and every call was a 404.
Both matchers (the fast table and the Starlette route behind user middleware) read it, and
the value arrives under the spec's name.
"""

from __future__ import annotations

from typing import Any

from gmi_ieops.routing._dispatch import EndpointRoute, RouteTable
from starlette.routing import Match

PATH = "/api-keys/{type}/{sub-type}"


async def _app(scope: Any, receive: Any, send: Any) -> None:  # pragma: no cover
    return None


def test_the_fast_table_reads_the_variable() -> None:
    table = RouteTable()
    table.add("POST", PATH, _app)
    found = table.match("POST", "/api-keys/org/a%2Fb", b"/api-keys/org/a%2Fb")
    assert found is not None
    assert found[1] == {"type": "org", "sub-type": "a/b"}
    assert table.template(_app) == PATH


def test_the_starlette_route_reads_the_variable() -> None:
    route = EndpointRoute(PATH, _app, methods=["POST"])
    assert route.path == PATH
    for raw in (b"/api-keys/org/x", None):
        scope: dict[str, Any] = {
            "type": "http",
            "method": "POST",
            "path": "/api-keys/org/x",
            "path_params": {},
        }
        if raw is not None:
            scope["raw_path"] = raw
        match, child = route.matches(scope)
        assert match is Match.FULL
        assert child["path_params"] == {"type": "org", "sub-type": "x"}
