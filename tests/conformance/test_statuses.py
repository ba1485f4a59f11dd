"""Which answer statuses the harness counts as declared by an operation."""

from __future__ import annotations

from typing import Any

import pytest

from .roundtrip import declared


@pytest.mark.parametrize(
    ("responses", "status", "ok"),
    [
        ({"200": {}}, 200, True),
        ({"200": {}}, 204, False),
        ({"2XX": {}}, 201, True),
        ({"default": {}}, 200, True),
        ({}, 200, True),  # no responses at all: any success will do
        ({"200": {}, "404": {}}, 404, True),
        # langgraph-agent-server's GET /mcp/ declares only 405 and DELETE /mcp/ only 404: no
        # success is described, so a normal return (200, no body) contradicts nothing
        ({"405": {"description": "not allowed"}}, 200, True),
        ({"404": {}}, 204, True),
        ({"404": {}}, 500, False),
        ({"302": {}}, 200, False),  # a redirect is a declared success
    ],
)
def test_declared(responses: dict[str, Any], status: int, ok: bool) -> None:
    assert declared(responses, status) is ok
