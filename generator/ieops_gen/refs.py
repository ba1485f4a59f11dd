"""Where a document's ``$ref``s are, and how to follow them: one walk that knows
references from data, one :func:`deref`, and the keywords whose values are schemas.

``$ref`` is a reference only where the OpenAPI and JSON Schema grammars put objects.
Inside instance data (``example``, ``examples`` of a schema, ``default``, ``const``,
``enum``) and vendor extensions (``x-*``) it is data, to be kept as written and never
followed. Under maps whose keys are names (``properties``, ``paths``, ``responses``, ...)
a key such as ``default`` is a name, not a keyword.
"""

from __future__ import annotations

import re
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


SCHEMA_KEYS = (
    "items",
    "additionalProperties",
    "not",
    "if",
    "then",
    "else",
    "contains",
    "propertyNames",
    "unevaluatedItems",
    "unevaluatedProperties",
    "additionalItems",
)
"""Keywords whose value is one schema."""
SCHEMA_LIST_KEYS = ("allOf", "anyOf", "oneOf", "prefixItems")
"""Keywords whose value is a list of schemas."""
SCHEMA_MAP_KEYS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
"""Keywords whose value maps names to schemas."""

SCHEMA_REF = re.compile(r"^#/components/schemas/([^/]+)(/.*)?$")
"""A ``$ref`` to a component schema (group 1, escaped) or to a pointer inside one (group 2)."""


def deref(doc: dict[str, Any], node: Any) -> Any:
    """``node`` with its local ``$ref`` chain followed (up to 32 hops); ``None`` when a
    target is missing, ``node`` itself when it is not a local reference."""
    for _ in range(32):
        if not (isinstance(node, dict) and isinstance(node.get("$ref"), str)):
            return node
        ref = node["$ref"]
        if not ref.startswith("#"):
            return node
        try:
            node = jp.resolve(doc, jp.split(ref[1:]))
        except (KeyError, ValueError):
            return None
    return node


def declared_properties(doc: dict[str, Any], schema: Any) -> Iterator[tuple[str, Any]]:
    """Every ``(name, schema)`` a schema declares as a property: itself, through ``$ref``s
    and in every ``allOf`` / ``anyOf`` / ``oneOf`` branch (16 levels deep at most)."""
    yield from _declared(doc, schema, 0)


def _declared(doc: dict[str, Any], schema: Any, depth: int) -> Iterator[tuple[str, Any]]:
    schema = deref(doc, schema)
    if not isinstance(schema, dict) or depth > 16:
        return
    if isinstance(schema.get("properties"), dict):
        yield from schema["properties"].items()
    for key in ("allOf", "anyOf", "oneOf"):
        for sub in schema.get(key, []) if isinstance(schema.get(key), list) else []:
            yield from _declared(doc, sub, depth + 1)


def references(node: Any, at: str = "") -> Iterator[tuple[dict[str, Any], str]]:
    """Every mapping that holds a reference ``$ref``, with its pointer, in document order."""
    yield from _walk(node, at, names=False, every=False)


def objects(node: Any, at: str = "") -> Iterator[tuple[dict[str, Any], str]]:
    """Every mapping of the grammar (schemas, operations, ...), outside instance data and
    extensions, with its pointer, in document order."""
    yield from _walk(node, at, names=False, every=True)


def _walk(value: Any, where: str, names: bool, every: bool) -> Iterator[tuple[dict[str, Any], str]]:
    if isinstance(value, list):
        for index, sub in enumerate(value):
            yield from _walk(sub, jp.join(where, index), False, every)
        return
    if not isinstance(value, dict):
        return
    if names:
        for key, sub in value.items():
            yield from _walk(sub, jp.join(where, key), False, every)
        return
    if every or isinstance(value.get("$ref"), str):
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
        yield from _walk(sub, jp.join(where, key), key in NAME_MAPS, every)
