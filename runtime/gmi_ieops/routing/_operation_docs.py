"""One operation of an OpenAPI document, made self-contained for another app's document.

A generated router is included in a user's FastAPI app, whose ``/openapi.json`` FastAPI
builds from the app's routes: it has no place for our document's ``components``. So each
operation is carried whole (parameters, bodies, responses, descriptions, examples) with
its local ``$ref``s replaced by what they point at. A schema that refers to itself is cut
at the second visit (``{}`` with a note): inlining it would never end.
"""

from __future__ import annotations

import copy
from typing import Any


def operation_for(document: dict[str, Any], path: str, method: str) -> dict[str, Any] | None:
    """``paths[path][method]`` of ``document`` with path-level parameters and no ``$ref``."""
    item = (document.get("paths") or {}).get(path)
    if not isinstance(item, dict):
        return None
    item = _resolve(document, item, ())
    operation = item.get(method.lower())
    if not isinstance(operation, dict):
        return None
    operation = copy.deepcopy(operation)
    shared = [p for p in item.get("parameters") or () if isinstance(p, dict)]
    if shared:
        own = {(p.get("name"), p.get("in")) for p in operation.get("parameters") or ()}
        inherited = [p for p in shared if (p.get("name"), p.get("in")) not in own]
        operation["parameters"] = [*inherited, *(operation.get("parameters") or ())]
    inlined: dict[str, Any] = inline(document, operation)
    return inlined


def inline(document: dict[str, Any], node: Any) -> Any:
    """``node`` with every local ``$ref`` (``#/...``) into ``document`` replaced."""
    return _inline(document, node, ())


def _inline(document: dict[str, Any], node: Any, stack: tuple[str, ...]) -> Any:
    if isinstance(node, list):
        return [_inline(document, item, stack) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        if ref in stack:
            return {"description": f"(recursive: {ref.rsplit('/', 1)[-1]})"}
        target = _pointer(document, ref)
        if target is None:
            return {k: _inline(document, v, stack) for k, v in node.items() if k != "$ref"}
        siblings = {k: v for k, v in node.items() if k != "$ref"}
        resolved = _inline(document, target, (*stack, ref))
        if siblings and isinstance(resolved, dict):
            resolved = {**resolved, **_inline(document, siblings, stack)}
        return resolved
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "discriminator" and isinstance(value, dict):
            # mapping values are $refs into components, which the other document lacks
            out[key] = {k: v for k, v in value.items() if k != "mapping"}
        else:
            out[key] = _inline(document, value, stack)
    return out


def _resolve(document: dict[str, Any], node: dict[str, Any], stack: tuple[str, ...]) -> Any:
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/") and ref not in stack:
        target = _pointer(document, ref)
        if isinstance(target, dict):
            return _resolve(document, target, (*stack, ref))
    return node


def _pointer(document: dict[str, Any], ref: str) -> Any:
    node: Any = document
    for token in ref[2:].split("/"):
        token = token.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            return None
    return node


__all__ = ["inline", "operation_for"]
