"""Lenient mode: repair the unambiguous defects of vendor specs, skip what cannot be repaired.

Users bring documents they cannot edit. Strict is the default for their own specs; with
``--lenient`` each problem :mod:`.validate` finds is either repaired in the bundled
document (a type spelled ``String``, a duplicate operationId, a path parameter without
``required: true``, a ``$ref`` to nothing) or, inside an operation, the operation is
skipped. Every repair and skip is one warning ``file:line: pointer: message``; problems
that are neither (a Swagger 2.0 document) stay errors.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from . import pointer as jp
from . import refs

Repair = Callable[[dict[str, Any], str, str], "str | None"]

_TYPE_SPELLINGS = {
    "int": "integer",
    "long": "integer",
    "float": "number",
    "double": "number",
    "bool": "boolean",
    "dict": "object",
    "map": "object",
    "list": "array",
}
_BINARY_TYPES = {"bytes", "binary", "file"}
_TEMPLATE_VARIABLE = re.compile(r"path template variable \{(.+)\} has no")
_PATH_PARAMETER = re.compile(r"path parameter (.+) is not in the path ")


def _node(doc: dict[str, Any], pointer: str) -> Any:
    try:
        return jp.resolve(doc, jp.split(pointer))
    except (KeyError, ValueError):
        return None


def _parent(pointer: str) -> tuple[str, str]:
    head, _, last = pointer.rpartition("/")
    return head, jp.unescape(last)


def _duplicate_id(doc: dict[str, Any], pointer: str, message: str) -> str | None:
    op = _node(doc, _parent(pointer)[0])
    if not isinstance(op, dict) or not isinstance(op.get("operationId"), str):
        return None
    taken = {
        o.get("operationId")
        for item in (doc.get("paths") or {}).values()
        if isinstance(item, dict)
        for o in item.values()
        if isinstance(o, dict)
    }
    base, n = op["operationId"], 2
    while f"{base}_{n}" in taken:
        n += 1
    op["operationId"] = f"{base}_{n}"
    return f"{message}: renamed {op['operationId']!r}"


def _path_required(doc: dict[str, Any], pointer: str, message: str) -> str | None:
    param = refs.deref(doc, _node(doc, _parent(pointer)[0]))
    if not isinstance(param, dict):
        return None
    param["required"] = True
    return f"{message}: set to true"


def _template_variable(doc: dict[str, Any], pointer: str, message: str) -> str | None:
    match = _TEMPLATE_VARIABLE.match(message)
    op = _node(doc, pointer)
    if match is None or not isinstance(op, dict):
        return None
    params = op.setdefault("parameters", [])
    if not isinstance(params, list):
        return None
    name = match.group(1)
    params.append({"name": name, "in": "path", "required": True, "schema": {"type": "string"}})
    return f"{message}: declared {name!r} as a string path parameter"


def _drop_path_parameter(doc: dict[str, Any], pointer: str, message: str) -> str | None:
    """A path parameter the template does not name: removed (by name, so a second report of
    a path-level one, from another operation, finds it gone and says the same)."""
    head, _ = _parent(pointer)
    holder = _node(doc, head)
    match = _PATH_PARAMETER.match(message)
    if not isinstance(holder, list) or match is None:
        return None

    def named(param: Any) -> bool:
        param = refs.deref(doc, param)
        return (
            isinstance(param, dict)
            and param.get("in") == "path"
            and repr(param.get("name")) == match.group(1)
        )

    holder[:] = [p for p in holder if not named(p)]
    return f"{message}: parameter removed"


def _delete(doc: dict[str, Any], pointer: str, message: str) -> str | None:
    head, key = _parent(pointer)
    holder = _node(doc, head)
    if not isinstance(holder, dict) or key not in holder:
        return None
    del holder[key]
    return f"{message}: ignored"


def _dangling_ref(doc: dict[str, Any], pointer: str, message: str) -> str | None:
    holder = _node(doc, _parent(pointer)[0])
    if not isinstance(holder, dict) or "$ref" not in holder:
        return None
    del holder["$ref"]
    return f"{message}: treated as any value"


def _delete_discriminator(doc: dict[str, Any], pointer: str, message: str) -> str | None:
    while pointer and not pointer.endswith("/discriminator"):
        pointer = _parent(pointer)[0]
    if not pointer:
        return None
    return _delete(doc, pointer, message)


def _schema_type(doc: dict[str, Any], pointer: str, message: str) -> str | None:
    schema = _node(doc, _parent(pointer)[0])
    if not isinstance(schema, dict):
        return None
    kinds = schema.get("type")
    listed = kinds if isinstance(kinds, list) else [kinds]
    fixed: list[Any] = []
    for kind in listed:
        spelled = str(kind).lower()
        if spelled in _BINARY_TYPES:
            fixed.append("string")
            schema.setdefault("format", "binary")
        elif spelled in _TYPE_SPELLINGS or spelled in _KNOWN:
            fixed.append(_TYPE_SPELLINGS.get(spelled, spelled))
        else:
            del schema["type"]
            return f"{message}: type ignored"
    schema["type"] = fixed if isinstance(kinds, list) else fixed[0]
    return f"{message}: read as {schema['type']!r}"


_KNOWN = {"string", "number", "integer", "boolean", "array", "object", "null"}


def _info_field(doc: dict[str, Any], pointer: str, message: str) -> str | None:
    info = doc.get("info")
    if not isinstance(info, dict):
        info = doc["info"] = {}
    key = _parent(pointer)[1]
    value = info.get(key)
    info[key] = (
        str(value) if isinstance(value, (int, float)) else "0" if key == "version" else "API"
    )
    return f"{message}: read as {info[key]!r}"


REPAIRS: tuple[tuple[str, Repair], ...] = (
    ("duplicate operationId", _duplicate_id),
    ("a path parameter must have", _path_required),
    ("path template variable", _template_variable),
    ("path parameter ", _drop_path_parameter),
    ("response key must be", _delete),
    ("'required' must be a list", _delete),
    ("$ref target not found", _dangling_ref),
    ("$ref target is not a schema", _dangling_ref),
    ("unknown schema type", _schema_type),
    ("discriminator", _delete_discriminator),
    ("'info.", _info_field),
)


def _skip_operation(doc: dict[str, Any], pointer: str, message: str) -> str | None:
    tokens = jp.split(pointer)
    if len(tokens) < 2 or tokens[0] != "paths":
        return None
    item = _node(doc, jp.join("/paths", tokens[1]))
    if len(tokens) >= 3 and isinstance(item, dict) and isinstance(item.get(tokens[2]), dict):
        del item[tokens[2]]
        return f"{message}: operation skipped"
    paths = doc.get("paths")
    if isinstance(paths, dict) and tokens[1] in paths:
        del paths[tokens[1]]
        return f"{message}: path skipped"
    return None


def repair(
    doc: dict[str, Any], problems: list[tuple[str, str]]
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Repair what can be repaired; ``(problems left, (pointer, warning) per repair)``."""
    left: list[tuple[str, str]] = []
    done: list[tuple[str, str]] = []
    for pointer, message in dict.fromkeys(problems):  # a path-level one, once
        fix = next((f for prefix, f in REPAIRS if message.startswith(prefix)), None)
        warning = fix(doc, pointer, message) if fix is not None else None
        if warning is None:
            warning = _skip_operation(doc, pointer, message)
        if warning is None:
            left.append((pointer, message))
        else:
            done.append((pointer, warning))
    return left, done
