"""Check a bundled document before anything is generated from it.

Every problem is collected (not just the first), each located as ``file:line: pointer``.
The checks are those the generator relies on; full OpenAPI meta-validation is not the goal.
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter
from collections.abc import Iterator
from typing import Any

from . import lenient as lenient_mode
from . import pointer as jp
from . import refs
from .errors import Problem, SpecError
from .load import Bundle

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace", "query")
PARAM_LOCATIONS = ("path", "query", "header", "cookie", "querystring")
SCHEMA_TYPES = {"string", "number", "integer", "boolean", "array", "object", "null"}
_VERSION = re.compile(r"^3\.[012]\.\d+(-.+)?$")
_TEMPLATE = re.compile(r"\{([^{}]+)\}")
MAX_SCHEMA_DEPTH = 40
ERROR_FORMATS = ("ieops", "openai")
"""Values of the root ``x-ieops-error-format`` (the runtime's ``routing.error_format``)."""
MAX_TIMEOUT = 7 * 24 * 3600
"""A week: longer is a typo (or an attack on the worker's timer), not a job."""


def validate(bundle: Bundle, lenient: bool = False) -> list[Problem]:
    """Raise :class:`SpecError` listing every problem found in ``bundle``.

    With ``lenient``, repairable problems are repaired in ``bundle.document`` first (see
    :mod:`.lenient`); the repairs are returned as warnings.
    """
    found = list(_check(bundle.document))
    warnings: list[Problem] = []
    for _ in range(4 if lenient else 0):
        if not found:
            break
        _, repaired = lenient_mode.repair(bundle.document, found)
        warnings.extend(bundle.problem(ptr, msg) for ptr, msg in repaired)
        if not repaired:
            break
        found = list(_check(bundle.document))
    if found:
        raise SpecError([bundle.problem(ptr, msg) for ptr, msg in found])
    return warnings


def _check(doc: dict[str, Any]) -> Iterator[tuple[str, str]]:
    version = doc.get("openapi")
    if "swagger" in doc:
        yield "/swagger", "Swagger 2.0 is not supported: convert the document to OpenAPI 3"
        return
    if not isinstance(version, str) or not _VERSION.match(version):
        yield "/openapi", f"expected an OpenAPI 3.0, 3.1 or 3.2 version string, got {version!r}"
        return
    info = doc.get("info")
    if not isinstance(info, dict):
        yield "/info", "'info' must be a mapping with 'title' and 'version'"
    else:
        for key in ("title", "version"):
            if not isinstance(info.get(key), str):
                yield jp.join("/info", key), f"'info.{key}' must be a string"
    yield from _check_refs(doc, doc, "")
    error_format = doc.get("x-ieops-error-format")
    if error_format is not None and error_format not in ERROR_FORMATS:
        yield (
            "/x-ieops-error-format",
            f"x-ieops-error-format must be one of {', '.join(ERROR_FORMATS)}, got {error_format!r}",
        )
    paths = doc.get("paths", {})
    if not isinstance(paths, dict):
        yield "/paths", "'paths' must be a mapping"
        paths = {}
    components = doc.get("components", {})
    if not isinstance(components, dict):
        yield "/components", "'components' must be a mapping"
    elif isinstance(components.get("schemas", {}), dict):
        for name, schema in components.get("schemas", {}).items():
            yield from _check_schema(doc, schema, jp.join("/components/schemas", name))
    seen_ids: dict[str, str] = {}
    for path, item in paths.items():
        at = jp.join("/paths", path)
        if not path.startswith("/"):
            yield at, f"path must start with '/': {path!r}"
        if not isinstance(item, dict):
            yield at, "a path item must be a mapping"
            continue
        item = refs.deref(doc, item)
        for method in HTTP_METHODS:
            op = item.get(method)
            if op is None:
                continue
            where = jp.join(at, method)
            if not isinstance(op, dict):
                yield where, "an operation must be a mapping"
                continue
            op_id = op.get("operationId")
            if op_id is not None:
                if not isinstance(op_id, str) or not op_id.strip():
                    yield jp.join(where, "operationId"), "operationId must be a non-empty string"
                elif op_id in seen_ids:
                    yield (
                        jp.join(where, "operationId"),
                        (f"duplicate operationId {op_id!r} (also at {seen_ids[op_id]})"),
                    )
                else:
                    seen_ids[op_id] = where
            yield from _check_operation(doc, path, item, method, op, where)
    return


def _check_operation(
    doc: dict[str, Any],
    path: str,
    item: dict[str, Any],
    method: str,
    op: dict[str, Any],
    where: str,
) -> Iterator[tuple[str, str]]:
    params: list[Any] = []
    located: list[tuple[str, dict[str, Any]]] = []
    for base, owner in (
        (jp.join(where[: where.rfind("/")], "parameters"), item),
        (jp.join(where, "parameters"), op),
    ):
        raw = owner.get("parameters", [])
        if not isinstance(raw, list):
            yield base, "'parameters' must be a list"
            continue
        for index, param in enumerate(raw):
            at = jp.join(base, index)
            param = refs.deref(doc, param)
            if not isinstance(param, dict):
                yield at, "a parameter must be a mapping"
                continue
            params.append(param)
            located.append((at, param))
            if not isinstance(param.get("name"), str):
                yield jp.join(at, "name"), "parameter needs a string 'name'"
            if param.get("in") not in PARAM_LOCATIONS:
                yield (
                    jp.join(at, "in"),
                    (
                        f"parameter 'in' must be one of {', '.join(PARAM_LOCATIONS)}, "
                        f"got {param.get('in')!r}"
                    ),
                )
            if param.get("in") == "path" and param.get("required") is not True:
                yield jp.join(at, "required"), "a path parameter must have 'required: true'"
            if "schema" not in param and "content" not in param:
                yield at, "parameter needs a 'schema' (or 'content')"
            elif isinstance(param.get("schema"), dict):
                yield from _check_schema(doc, param["schema"], jp.join(at, "schema"))
    path_part = path.split("?", 1)[0]
    declared = {p.get("name") for p in params if p.get("in") == "path"}
    named = Counter(_TEMPLATE.findall(path_part))
    variables = set(named)
    for name in sorted(v for v, times in named.items() if times > 1):
        # one parameter, two places: no route can read it (Starlette refuses the path)
        yield where, f"path template names {{{name}}} more than once"
    for name in sorted(variables - declared):
        yield where, f"path template variable {{{name}}} has no 'in: path' parameter"
    for at, param in located:
        if param.get("in") == "path" and param.get("name") not in variables:
            # the client would have no place to put it, the server no value to read
            yield at, f"path parameter {param.get('name')!r} is not in the path {path_part!r}"
    responses = op.get("responses")
    if responses is not None and not isinstance(responses, dict):
        yield jp.join(where, "responses"), "'responses' must be a mapping"
    if isinstance(responses, dict):
        for code, response in responses.items():
            at = jp.join(where, "responses", code)
            if not re.match(r"^([1-5]([0-9]{2}|XX)|default)$", code):
                yield at, f"response key must be a status code or 'default', got {code!r}"
            response = refs.deref(doc, response)
            if not isinstance(response, dict):
                yield at, "a response must be a mapping"
                continue
            yield from _check_content(doc, response.get("content"), jp.join(at, "content"))
    body = op.get("requestBody")
    if body is not None:
        body = refs.deref(doc, body)
        if not isinstance(body, dict):
            yield jp.join(where, "requestBody"), "'requestBody' must be a mapping"
        else:
            yield from _check_content(
                doc, body.get("content"), jp.join(where, "requestBody/content")
            )
    websocket = op.get("x-ieops-websocket")
    if websocket is not None:
        at = jp.join(where, "x-ieops-websocket")
        if method != "get":
            yield at, "x-ieops-websocket is only allowed on a 'get' operation"
        if not isinstance(websocket, dict):
            yield at, "x-ieops-websocket must be a mapping with 'receive' and 'send' schemas"
        else:
            for key in ("receive", "send"):
                if not isinstance(websocket.get(key), dict):
                    yield jp.join(at, key), f"x-ieops-websocket needs a '{key}' schema"
                else:
                    yield from _check_schema(doc, websocket[key], jp.join(at, key))
    timeout = op.get("x-ieops-timeout")
    if timeout is not None and not (
        isinstance(timeout, (int, float))
        and not isinstance(timeout, bool)
        and math.isfinite(timeout)
        and 0 < timeout <= MAX_TIMEOUT
    ):
        shown = repr(timeout) if len(repr(timeout)) < 40 else repr(timeout)[:37] + "..."
        yield (
            jp.join(where, "x-ieops-timeout"),
            f"x-ieops-timeout must be a positive number of seconds up to {MAX_TIMEOUT}, "
            f"got {shown}",
        )
    yield from _check_batch(doc, op, where)
    flag = op.get("x-ieops-stream-flag")
    if flag is not None:
        at = jp.join(where, "x-ieops-stream-flag")
        if not isinstance(flag, str):
            yield at, "x-ieops-stream-flag must be the name of a boolean body property"
        elif flag not in _body_properties(doc, op):
            yield at, f"x-ieops-stream-flag names {flag!r}, which is not a request body property"
        elif not _boolean_property(doc, op, flag):
            yield at, f"x-ieops-stream-flag names {flag!r}, which is not a boolean property"


BATCH_LIMITS: dict[str, tuple[float, float, bool]] = {
    "max_size": (1, 65536, True),
    "max_wait_ms": (0, 60_000, False),
    "queue_size": (0, 2**31 - 1, True),
}
"""``x-ieops-batch`` keys: (lowest, highest, must be an integer)."""


def _check_batch(doc: dict[str, Any], op: dict[str, Any], where: str) -> Iterator[tuple[str, str]]:
    """``x-ieops-batch``: ``true``/``false``, or a mapping of the known keys with numbers in
    range; only on operations that answer one JSON body (not streams or WebSockets)."""
    batch = op.get("x-ieops-batch")
    if batch is None or batch is False:
        return
    at = jp.join(where, "x-ieops-batch")
    if batch is not True and not isinstance(batch, dict):
        yield at, "x-ieops-batch must be true or a mapping of max_size, max_wait_ms, queue_size"
        return
    if op.get("x-ieops-websocket") is not None or _streams(doc, op):
        yield at, "x-ieops-batch is only allowed on an operation that answers one JSON body"
    if not isinstance(batch, dict):
        return
    for key, value in batch.items():
        if key not in BATCH_LIMITS:
            known = ", ".join(BATCH_LIMITS)
            yield jp.join(at, str(key)), f"x-ieops-batch has no key {_shown(key)} (known: {known})"
            continue
        low, high, integer = BATCH_LIMITS[key]
        number = isinstance(value, int if integer else (int, float)) and not isinstance(value, bool)
        if not (number and math.isfinite(value) and low <= value <= high):
            kind = "an integer" if integer else "a number"
            yield (
                jp.join(at, key),
                f"x-ieops-batch {key} must be {kind} from {low:g} to {high:g}, got {_shown(value)}",
            )


def _streams(doc: dict[str, Any], op: dict[str, Any]) -> bool:
    responses = op.get("responses")
    if not isinstance(responses, dict):
        return False
    for response in responses.values():
        response = refs.deref(doc, response)
        content = response.get("content") if isinstance(response, dict) else None
        if isinstance(content, dict) and any(
            str(media).startswith("text/event-stream") for media in content
        ):
            return True
    return False


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) < 40 else text[:37] + "..."


def _check_content(doc: dict[str, Any], content: Any, at: str) -> Iterator[tuple[str, str]]:
    if content is None:
        return
    if not isinstance(content, dict):
        yield at, "'content' must be a mapping of media types"
        return
    for media, entry in content.items():
        where = jp.join(at, media)
        if not isinstance(entry, dict):
            yield where, "a media type entry must be a mapping"
            continue
        for key in ("schema", "itemSchema"):
            if key in entry:
                yield from _check_schema(doc, entry[key], jp.join(where, key))


def _check_schema(
    doc: dict[str, Any], schema: Any, at: str, depth: int = 0
) -> Iterator[tuple[str, str]]:
    if isinstance(schema, bool):
        return
    if depth > MAX_SCHEMA_DEPTH:
        yield at, f"schema nested deeper than {MAX_SCHEMA_DEPTH} levels"
        return
    if not isinstance(schema, dict):
        yield at, f"a schema must be a mapping or a boolean, got {type(schema).__name__}"
        return
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind] if kind is not None else []
    for value in kinds:
        if value not in SCHEMA_TYPES:
            yield jp.join(at, "type"), f"unknown schema type {value!r}"
    required = schema.get("required")
    if required is not None and not (
        isinstance(required, list) and all(isinstance(r, str) for r in required)
    ):
        yield jp.join(at, "required"), "'required' must be a list of property names"
    if "enum" in schema and not isinstance(schema["enum"], list):
        yield jp.join(at, "enum"), "'enum' must be a list"
    ref = schema.get("$ref")
    if "$ref" in schema and not isinstance(ref, str):
        yield jp.join(at, "$ref"), "$ref must be a string"
    elif isinstance(ref, str) and ref.startswith("#/"):
        try:
            target = jp.resolve(doc, jp.split(ref[1:]))
        except (KeyError, ValueError):
            target = {}  # reported by the reference check
        if not _looks_like_schema(target):
            yield jp.join(at, "$ref"), f"$ref target is not a schema: {ref}"
    if "discriminator" in schema:
        yield from _check_discriminator(doc, schema, jp.join(at, "discriminator"))
    if "pattern" in schema:
        yield from _check_pattern(schema["pattern"], jp.join(at, "pattern"))
    if isinstance(schema.get("patternProperties"), dict):
        for key in schema["patternProperties"]:
            yield from _check_pattern(key, jp.join(at, "patternProperties", key))
    for key in refs.SCHEMA_KEYS:
        if key in schema:
            yield from _check_schema(doc, schema[key], jp.join(at, key), depth + 1)
    for key in refs.SCHEMA_LIST_KEYS:
        if key in schema:
            if not isinstance(schema[key], list):
                yield jp.join(at, key), f"'{key}' must be a list of schemas"
            else:
                for index, sub in enumerate(schema[key]):
                    yield from _check_schema(doc, sub, jp.join(at, key, index), depth + 1)
    for key in refs.SCHEMA_MAP_KEYS:
        if key in schema:
            if not isinstance(schema[key], dict):
                yield jp.join(at, key), f"'{key}' must be a mapping"
            else:
                for name, sub in schema[key].items():
                    yield from _check_schema(doc, sub, jp.join(at, key, name), depth + 1)


def _check_refs(doc: dict[str, Any], node: Any, at: str) -> Iterator[tuple[str, str]]:
    for holder, where in refs.references(node, at):
        ref = holder["$ref"]
        if ref.startswith("#"):
            try:
                jp.resolve(doc, jp.split(ref[1:]))
            except (KeyError, ValueError):
                yield jp.join(where, "$ref"), f"$ref target not found: {ref}"
    yield from _check_schema_refs(doc)


def _check_schema_refs(doc: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """Component schemas whose ``$ref`` / ``allOf`` chains loop or end outside schemas."""
    schemas = (
        doc.get("components", {}).get("schemas")
        if isinstance(doc.get("components"), dict)
        else None
    )
    if not isinstance(schemas, dict):
        return
    for name, schema in schemas.items():
        at = jp.join("/components/schemas", name)
        seen = [at]
        stack: list[tuple[Any, list[str]]] = [(schema, seen)]
        while stack:
            node, trail = stack.pop()
            if not isinstance(node, dict):
                continue
            parts = [node] if isinstance(node.get("$ref"), str) else []
            if isinstance(node.get("allOf"), list):
                parts += [p for p in node["allOf"] if isinstance(p, dict) and "$ref" in p]
            for part in parts:
                ref = part.get("$ref")
                if not isinstance(ref, str) or not ref.startswith("#/"):
                    continue
                try:
                    target = jp.resolve(doc, jp.split(ref[1:]))
                except (KeyError, ValueError):
                    continue  # reported above
                if not _looks_like_schema(target):
                    continue  # reported by the schema check
                pointer = ref[1:]
                if pointer == at:
                    chain = " -> ".join([*trail, pointer])
                    yield at, f"a $ref/allOf cycle that no model can express: {chain}"
                    break
                if pointer in trail or len(trail) > 64:
                    continue
                stack.append((target, [*trail, pointer]))


def _check_discriminator(
    doc: dict[str, Any], schema: dict[str, Any], at: str
) -> Iterator[tuple[str, str]]:
    """``propertyName`` exists in every branch; every mapping target exists.

    A typo here would otherwise become a required field the model layer invents.
    """
    disc = schema["discriminator"]
    name = disc.get("propertyName") if isinstance(disc, dict) else None
    if not isinstance(name, str):
        yield at, "a discriminator needs a string 'propertyName'"
        return
    targets: list[tuple[str, Any]] = []
    mapping = disc.get("mapping", {})
    if not isinstance(mapping, dict):
        yield jp.join(at, "mapping"), "a discriminator 'mapping' must be a mapping"
        mapping = {}
    for key, ref in mapping.items():
        where = jp.join(at, "mapping", key)
        if not isinstance(ref, str):
            yield where, "a mapping value must be a schema name or a $ref"
            continue
        pointer = ref[1:] if ref.startswith("#") else jp.join("/components/schemas", ref)
        try:
            targets.append((ref, jp.resolve(doc, jp.split(pointer))))
        except (KeyError, ValueError):
            yield where, f"discriminator mapping target not found: {ref}"
    for key in ("oneOf", "anyOf"):
        branches = schema.get(key)
        if isinstance(branches, list):
            targets.extend(
                (b.get("$ref", f"{key}[{i}]"), b)
                for i, b in enumerate(branches)
                if isinstance(b, dict)
            )
    for label, target in targets:
        if not _has_property(doc, target, name, 0):
            yield at, f"discriminator property {name!r} is not a property of {label}"


def _has_property(doc: dict[str, Any], schema: Any, name: str, depth: int) -> bool:
    """Whether ``schema`` declares ``name`` (itself, through ``allOf``, or in every branch
    of a nested union); ``True`` where it cannot tell (dynamic references)."""
    schema = refs.deref(doc, schema)
    if not isinstance(schema, dict) or depth > 16:
        return not isinstance(schema, dict) or depth > 16
    if {"$recursiveRef", "$dynamicRef"} & set(schema) or (
        isinstance(schema.get("$ref"), str) and not schema["$ref"].startswith("#")
    ):
        return True
    props = schema.get("properties")
    if isinstance(props, dict) and name in props:
        return True
    parts = schema.get("allOf")
    if isinstance(parts, list) and any(_has_property(doc, p, name, depth + 1) for p in parts):
        return True
    for key in ("oneOf", "anyOf"):
        branches = schema.get(key)
        if isinstance(branches, list) and branches:
            return all(_has_property(doc, b, name, depth + 1) for b in branches)
    return False


def _check_pattern(pattern: Any, at: str) -> Iterator[tuple[str, str]]:
    """A regex must compile in Python's ``re`` or pydantic's engine, or models fail to import."""
    if not isinstance(pattern, str):
        yield at, "a pattern must be a string"
        return
    problem = _pattern_problem(pattern)
    if problem is not None:
        yield at, f"pattern {pattern!r} does not compile: {problem}"


@functools.lru_cache(maxsize=4096)
def _pattern_problem(pattern: str) -> str | None:
    try:
        re.compile(pattern)
        return None
    except (re.error, RecursionError, OverflowError) as exc:
        python_problem = str(exc)
    try:
        from pydantic_core import SchemaValidator, core_schema

        SchemaValidator(core_schema.str_schema(pattern=pattern))
        return None
    except Exception:  # pydantic_core.SchemaError, or anything its engine raises
        return python_problem


_NOT_SCHEMA = frozenset(
    {"openapi", "paths", "operationId", "responses", "requestBody", "get", "post", "put",
     "delete", "patch"}
)  # fmt: skip
_INFO = frozenset({"title", "version", "description", "summary", "contact", "license",
                   "termsOfService"})  # fmt: skip


def _looks_like_schema(node: Any) -> bool:
    if isinstance(node, bool):
        return True
    if not isinstance(node, dict):
        return False
    keys = set(node)
    if keys & _NOT_SCHEMA or {"in", "name"} <= keys:
        return False  # an OpenAPI object, an operation, a parameter
    return not ("version" in keys and keys <= _INFO)


def _body_properties(doc: dict[str, Any], op: dict[str, Any]) -> set[str]:
    """The names of the properties any of the request body's media types declares."""
    body = refs.deref(doc, op.get("requestBody"))
    if not isinstance(body, dict) or not isinstance(body.get("content"), dict):
        return set()
    names: set[str] = set()
    for entry in body["content"].values():
        if isinstance(entry, dict):
            names |= {name for name, _ in refs.declared_properties(doc, entry.get("schema"))}
    return names


def _boolean_property(doc: dict[str, Any], op: dict[str, Any], name: str) -> bool:
    """Whether every declaration of body property ``name`` allows a boolean."""
    body = refs.deref(doc, op.get("requestBody"))
    found: list[Any] = []
    for entry in (body or {}).get("content", {}).values() if isinstance(body, dict) else ():
        if isinstance(entry, dict):
            found += [s for n, s in refs.declared_properties(doc, entry.get("schema")) if n == name]
    return bool(found) and all(_allows_boolean(doc, schema) for schema in found)


def _allows_boolean(doc: dict[str, Any], schema: Any) -> bool:
    schema = refs.deref(doc, schema)
    if schema is True or schema == {}:
        return True
    if not isinstance(schema, dict):
        return False
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    if "boolean" in kinds:
        return True
    branches = schema.get("anyOf") or schema.get("oneOf")
    return isinstance(branches, list) and any(_allows_boolean(doc, b) for b in branches)
