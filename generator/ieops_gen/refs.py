"""Where a document's ``$ref``s are: one walk that knows references from data.

``$ref`` is a reference only where the OpenAPI and JSON Schema grammars put objects.
Inside instance data (``example``, ``examples`` of a schema, ``default``, ``const``,
``enum``) and vendor extensions (``x-*``) it is data, to be kept as written and never
followed. Under maps whose keys are names (``properties``, ``paths``, ``responses``, ...)
a key such as ``default`` is a name, not a keyword.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from . import pointer as jp

DATA_KEYWORDS = frozenset({"example", "default", "const", "enum"})
SCHEMA_EXTENSIONS = frozenset({"x-ieops-websocket"})
"""Our own extensions whose values hold schemas, so their ``$ref``s are references."""

NAME_MAPS = frozenset(
    {
        "properties",
        "patternProperties",
        "$defs",
        "definitions",
        "dependentSchemas",
        "paths",
        "webhooks",
        "schemas",
        "responses",
        "parameters",
        "requestBodies",
        "headers",
        "securitySchemes",
        "links",
        "callbacks",
        "pathItems",
        "mediaTypes",
        "content",
        "encoding",
        "variables",
    }
)


def references(node: Any, at: str = "") -> Iterator[tuple[dict[str, Any], str]]:
    """Every mapping that holds a reference ``$ref``, with its pointer, in document order."""
    yield from _walk(node, at, names=False)


def _walk(value: Any, where: str, names: bool) -> Iterator[tuple[dict[str, Any], str]]:
    if isinstance(value, list):
        for index, sub in enumerate(value):
            yield from _walk(sub, jp.join(where, index), False)
        return
    if not isinstance(value, dict):
        return
    if names:
        for key, sub in value.items():
            yield from _walk(sub, jp.join(where, key), False)
        return
    if isinstance(value.get("$ref"), str):
        yield value, where
    for key, sub in value.items():
        if key == "$ref" or key in DATA_KEYWORDS:
            continue
        if key.startswith("x-") and key not in SCHEMA_EXTENSIONS:
            continue
        if key == "examples":
            if isinstance(sub, dict):  # a map of Example Objects: only their own $ref
                for name, example in sub.items():
                    if isinstance(example, dict) and isinstance(example.get("$ref"), str):
                        yield example, jp.join(where, key, name)
            continue  # a schema's examples: a list of instances
        yield from _walk(sub, jp.join(where, key), key in NAME_MAPS)
