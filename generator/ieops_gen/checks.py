"""JSON Schema checks for what Pydantic models cannot express, attached only where needed.

datamodel-code-generator turns types, properties, string/number/array bounds, enums of
strings, ``allOf`` and ``anyOf`` into model types; other keywords (``not``, ``if``,
``contains``, ``dependentRequired``, ``unevaluatedProperties``, ``patternProperties``,
``uniqueItems``, ``oneOf``'s "exactly one", ...) it ignores, or models too strictly. A
named schema whose own tree uses one of them (:func:`trigger`) gets a
``model_validator(mode="before")`` that runs a real JSON Schema validator
(:mod:`gmi_ieops.schema`) over the raw instance; :func:`attach` adds it to the source.
The schemas travel as one JSON document in an escaped string literal: data, never code.
Specs without such keywords get no validator, no import, no cost.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterator
from typing import Any

from . import served
from .fixups import DROPPED_DISCRIMINATOR, Fixups
from .refs import references

DIALECT = "https://json-schema.org/draft/2020-12/schema"
VALIDATOR = "_JSON_SCHEMA"
METHOD = "_check_json_schema"  # a class attribute holding the model_validator

# keywords the generated model types express
EXPRESSED = frozenset(
    {
        "type",
        "properties",
        "required",
        "additionalProperties",
        "items",
        "enum",
        "const",
        "minLength",
        "maxLength",
        "pattern",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
        "minItems",
        "maxItems",
        "allOf",
        "anyOf",
        "oneOf",  # when its members are exclusive by type or discriminator (see below)
        "$ref",
        "format",
        "nullable",
        "discriminator",
    }
)
# JSON Schema keywords (2020-12, and 2019-09/draft 7 spellings) the model types ignore;
# other unknown keywords are ignored by validators as well and trigger nothing
UNEXPRESSED = frozenset(
    {"not", "if", "then", "else", "contains", "minContains", "maxContains"}
    | {"dependentRequired", "dependentSchemas", "dependencies"}
    | {"unevaluatedProperties", "unevaluatedItems", "patternProperties", "propertyNames"}
    | {"uniqueItems", "minProperties", "maxProperties", "prefixItems", "additionalItems"}
    | {"$dynamicRef", "$recursiveRef"}
)
# siblings of $ref the models honour (``X | None``)
REF_SIBLINGS = frozenset({"$ref", "nullable", "discriminator"})
# values that are data or metadata, never schemas
NOT_SCHEMAS = frozenset(
    {"enum", "const", "default", "examples", "example", "required", "discriminator", "xml"}
    | {"externalDocs", "type", "format", "pattern", "$ref", "$id", "$schema", "$comment"}
)
# keywords whose value is a schema or a list of schemas
SUBSCHEMAS = frozenset(
    {"items", "additionalProperties", "not", "if", "then", "else", "contains"}
    | {"propertyNames", "unevaluatedProperties", "unevaluatedItems", "additionalItems"}
    | {"contentSchema", "allOf", "anyOf", "oneOf", "prefixItems"}
)
SCHEMA_MAPS = frozenset(
    {"properties", "patternProperties", "$defs", "definitions", "dependentSchemas"}
)
# keywords that apply only to some instance types
APPLIES_TO = {
    "minLength": {"string"},
    "maxLength": {"string"},
    "pattern": {"string"},
    "minimum": {"number", "integer"},
    "maximum": {"number", "integer"},
    "exclusiveMinimum": {"number", "integer"},
    "exclusiveMaximum": {"number", "integer"},
    "multipleOf": {"number", "integer"},
    "items": {"array"},
    "minItems": {"array"},
    "maxItems": {"array"},
    "required": {"object"},
    "additionalProperties": {"object"},
}
# keywords the model generator must not see: they would make models reject valid instances
# (the check enforces them instead)
STRIPPED = (
    "unevaluatedProperties",
    "unevaluatedItems",
    "patternProperties",
    "propertyNames",
    "$dynamicRef",
)
# bounds of a schema without ``type``: they apply only to instances of their type, which a
# model field cannot say; the check applies them. (A type-less ``format`` keeps its model
# type, ``datetime`` say, as the spec's authors mean it.)
TYPELESS_STRIPPED = frozenset(
    {"minLength", "maxLength", "pattern", "minItems", "maxItems"}
    | {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"}
)
_ODD_NAME = re.compile(r"[\x00-\x1f\"\\]")

Resolve = Callable[[str], Any]  # a $ref -> its schema, or None when not local


def trigger(schema: Any, resolve: Resolve, depth: int = 0) -> str | None:
    """The first keyword in ``schema``'s own tree the model cannot express, else ``None``.

    ``$ref``s are not followed: the referenced model carries its own check. ``resolve``
    only helps judge whether a ``oneOf``'s members exclude each other.
    """
    return next(_triggers(schema, resolve, depth), None)


def _triggers(schema: Any, resolve: Resolve, depth: int) -> Iterator[str]:
    if depth > 64:
        return
    if schema is False:
        yield "false"
        return
    if not isinstance(schema, dict):
        return
    for key in schema:
        if key in UNEXPRESSED:
            yield str(key)
    yield from _own_problems(schema, resolve)
    for key, value in schema.items():
        if key == "additionalProperties" and isinstance(value, bool):
            continue  # the model's extra="forbid" / "allow"
        if key in SCHEMA_MAPS and isinstance(value, dict):
            children: list[Any] = list(value.values())
        elif key in SUBSCHEMAS and isinstance(value, list):
            children = value
        elif key in SUBSCHEMAS:
            children = [value]
        else:
            continue  # instance data or annotations (readOnly: false is no schema)
        for child in children:
            yield from _triggers(child, resolve, depth + 1)


def _own_problems(schema: dict[str, Any], resolve: Resolve) -> Iterator[str]:
    kinds = _kinds(schema)
    for key, applies in APPLIES_TO.items():
        unclear = kinds is None or not kinds & applies or len(kinds - {"null"}) > 1
        structural = key in ("required", "additionalProperties") and _object_like(schema)
        if key in schema and unclear and not structural:
            yield key
    for key in ("enum", "const"):
        if key in schema:
            values = schema[key] if key == "enum" else [schema[key]]
            # only string values are told apart exactly (1 and true are not, nor objects)
            if (
                not isinstance(values, list)
                or not values
                or any(not isinstance(v, str) and v is not None for v in values)
            ):
                yield key
    properties = schema.get("properties")
    if isinstance(properties, dict):
        if any(_ODD_NAME.search(str(name)) for name in properties):
            yield "properties"
        required = schema.get("required")
        if (
            isinstance(required, list)
            and "allOf" not in schema
            and any(name not in properties for name in required)
        ):
            yield "required"
    extra = schema.get("additionalProperties")
    if extra not in (None, True) and any(k in schema for k in ("allOf", "anyOf", "oneOf")):
        yield "additionalProperties"
    if "$ref" in schema and any(k in EXPRESSED and k not in REF_SIBLINGS for k in schema):
        yield "$ref"
    if not _pointer_ref(schema.get("$ref", "#/")):
        yield "$ref"  # an anchor, a URN or a URI relative to an $id: the check resolves it
    members = schema.get("oneOf")
    if isinstance(members, list) and not (
        "discriminator" in schema or _exclusive(members, resolve)
    ):
        yield "oneOf"


def _pointer_ref(ref: Any) -> bool:
    """A ``$ref`` the model generator resolves: a JSON pointer into this document."""
    return isinstance(ref, str) and (ref == "#" or ref.startswith("#/"))


def _object_like(schema: dict[str, Any]) -> bool:
    """A schema with ``properties`` and no ``type`` is an object (the OpenAPI habit)."""
    return "type" not in schema and "properties" in schema


def _kinds(schema: dict[str, Any]) -> set[str] | None:
    kind = schema.get("type")
    if isinstance(kind, str):
        kinds = {kind}
    elif isinstance(kind, list) and all(isinstance(k, str) for k in kind):
        kinds = set(kind)
    elif "properties" in schema:
        return {"object"}
    else:
        return None
    if schema.get("nullable") is True:
        kinds.add("null")
    return kinds


def _member_kinds(schema: Any, resolve: Resolve, depth: int = 0) -> set[str] | None:
    """The instance types ``schema`` can accept, when evident; else ``None``."""
    if not isinstance(schema, dict) or depth > 8:
        return None
    if isinstance(schema.get("$ref"), str):
        return _member_kinds(resolve(schema["$ref"]), resolve, depth + 1)
    kinds = _kinds(schema)
    if kinds is not None:
        return kinds
    values = schema["enum"] if isinstance(schema.get("enum"), list) else None
    if "const" in schema:
        values = [schema["const"]]
    if values and all(isinstance(v, str) for v in values):
        return {"string"}
    for key in ("anyOf", "oneOf"):
        if isinstance(schema.get(key), list):
            union: set[str] = set()
            for member in schema[key]:
                found = _member_kinds(member, resolve, depth + 1)
                if found is None:
                    return None
                union |= found
            return union
    return None


def _exclusive(members: list[Any], resolve: Resolve) -> bool:
    """Members whose instance types are pairwise disjoint: at most one can match."""
    seen: list[set[str]] = []
    for member in members:
        kinds = _member_kinds(member, resolve)
        if kinds is None:
            return False
        widened = kinds | ({"number"} if "integer" in kinds else set())
        widened |= {"integer"} if "number" in kinds else set()
        if any(widened & other for other in seen):
            return False
        seen.append(widened)
    return True


def for_models(schema: Any, depth: int = 0) -> Any:
    """A copy of ``schema`` without the keywords the model generator would over-apply.

    ``unevaluated*``, ``patternProperties`` and ``propertyNames`` depend on what other
    keywords evaluated, which a model cannot see; the check enforces them, and the bounds
    of a type the schema does not declare (or of a schema without ``type``). A boolean
    ``false`` member of ``allOf``/``anyOf``/``oneOf`` becomes ``not: {}`` (same meaning,
    which the generator accepts).
    """
    if depth > 64:
        return copy.deepcopy(schema)
    if isinstance(schema, list):
        return [for_models(item, depth + 1) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    kinds = _kinds(schema)
    for key, value in schema.items():
        if key in STRIPPED or (
            # a bound of no declared type (``maxLength`` on an array) bounds nothing in JSON
            # Schema; the model would apply it to the list (HF table-question-answering)
            key in TYPELESS_STRIPPED and (kinds is None or not kinds & APPLIES_TO[key])
        ):
            continue
        if key == "$ref" and not _pointer_ref(value):
            continue
        if key == "additionalProperties" and "patternProperties" in schema:
            continue
        if key in NOT_SCHEMAS or (isinstance(key, str) and key.startswith("x-")):
            out[key] = copy.deepcopy(value)
        elif key in SCHEMA_MAPS and isinstance(value, dict):
            out[key] = {name: for_models(sub, depth + 1) for name, sub in value.items()}
        elif key == "allOf" and isinstance(value, list):
            kept = [for_models(v, depth + 1) for v in value if _shapes_model(v)]
            if kept:
                out[key] = kept
        elif key in ("anyOf", "oneOf") and isinstance(value, list):
            out[key] = [{"not": {}} if v is False else for_models(v, depth + 1) for v in value]
        else:
            out[key] = for_models(value, depth + 1)
    return out


def _shapes_model(member: Any) -> bool:
    """Whether an ``allOf`` member gives the model a type (else only the check applies it)."""
    if not isinstance(member, dict):
        return False
    return _kinds(member) is not None or any(
        key in member for key in ("$ref", "allOf", "anyOf", "oneOf", "enum", "const")
    )


def document(schemas: dict[str, Any], names: list[str], ref_prefix: str) -> str:
    """The JSON text holding ``names`` and every schema they reach, as 2020-12 ``$defs``.

    ``ref_prefix`` (``#/components/schemas/``) is rewritten to ``#/$defs/``; OpenAPI 3.0
    spellings (``nullable``, boolean ``exclusiveMinimum``) become 2020-12 ones, in 3.1
    documents too, as the models read ``nullable`` there as well.
    """
    wanted: list[str] = []
    stack = list(reversed(names))
    while stack:
        name = stack.pop()
        if name in wanted or name not in schemas:
            continue
        wanted.append(name)
        for ref in refs(schemas[name]):
            if ref.startswith(ref_prefix):
                stack.append(_unescape(ref[len(ref_prefix) :].split("/")[0]))
    # read as the models read them (:mod:`.served`): the check refused every value of a
    # schema that admits none; the copies are closed under their $refs
    meant = {name: copy.deepcopy(schemas[name]) for name in sorted(wanted, key=list(schemas).index)}
    served.read_as_the_models_do({"openapi": "3.1.0", "components": {"schemas": meant}})
    defs = {name: _convert(schema, ref_prefix, meant) for name, schema in meant.items()}
    return json.dumps(
        {"$schema": DIALECT, "$defs": defs}, ensure_ascii=False, separators=(",", ":")
    )


def pointer(name: str) -> str:
    """The JSON pointer of a named schema inside :func:`document`."""
    return "/$defs/" + name.replace("~", "~0").replace("/", "~1")


def _unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def refs(schema: Any) -> Iterator[str]:
    """Every ``$ref`` in ``schema``, outside instance data (:func:`.refs.references`)."""
    return (holder["$ref"] for holder, _ in references(schema))


def _convert(schema: Any, ref_prefix: str, named: dict[str, Any], depth: int = 0) -> Any:
    if isinstance(schema, list):
        return [_convert(item, ref_prefix, named, depth + 1) for item in schema]
    if not isinstance(schema, dict) or depth > 256:
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "$ref" and isinstance(value, str) and value.startswith(ref_prefix):
            out[key] = "#/$defs/" + value[len(ref_prefix) :]
        elif key == "$schema":
            continue  # the document's dialect holds throughout
        elif key in NOT_SCHEMAS or (isinstance(key, str) and key.startswith("x-")):
            out[key] = value
        elif key in SCHEMA_MAPS and isinstance(value, dict):
            out[key] = {n: _convert(s, ref_prefix, named, depth + 1) for n, s in value.items()}
        else:
            out[key] = _convert(value, ref_prefix, named, depth + 1)
    disc = schema.get("discriminator", schema.get(DROPPED_DISCRIMINATOR))
    _tag_branches(out, disc, ref_prefix, named)
    return _from_openapi30(out)


def _tag_branches(out: dict[str, Any], disc: Any, ref_prefix: str, named: dict[str, Any]) -> None:
    """A discriminator as OpenAPI reads it: a value that carries the property is held to
    the branch its value names (``mapping``, else the component's name). JSON Schema
    ignores the keyword, and branches that differ only by it all matched: kubeflow's
    ``Artifact`` refused every artifact as "valid under more than one" ``oneOf`` member.
    A branch whose own schema holds the property to values the mapping lacks keeps them,
    as the models read it (:meth:`.fixups.Fixups.tag_values`): held to its name
    where the discriminator was dropped, OpenAI's ``InputItem`` refused every item
    carrying its ``type``."""
    if not isinstance(disc, dict) or not isinstance(disc.get("propertyName"), str):
        return
    prop = disc["propertyName"]
    mapping = disc["mapping"] if isinstance(disc.get("mapping"), dict) else {}
    reader = Fixups(named, [], {})
    for key in ("oneOf", "anyOf"):
        branches = out.get(key)
        if not isinstance(branches, list):
            continue
        for index, branch in enumerate(branches):
            ref = branch.get("$ref") if isinstance(branch, dict) else None
            if not isinstance(ref, str) or not ref.startswith("#/$defs/"):
                continue
            name = _unescape(ref[len("#/$defs/") :])
            spelled = (ref_prefix + ref[len("#/$defs/") :], name)
            tags = [tag for tag, target in mapping.items() if target in spelled]
            own = reader.tag_values(named.get(name), prop)
            if own is not None and all(_is_tag(v) for v in own):
                # and its own values that name no other branch
                tags += sorted((v for v in own if v not in mapping), key=repr)
            held = {"properties": {prop: {"enum": tags or [name]}}}
            branches[index] = {"allOf": [branch, held]}


def _is_tag(value: Any) -> bool:
    """A value a discriminator can name (a string; ``null`` where the tag is nullable)."""
    return value is None or isinstance(value, str)


def _from_openapi30(schema: dict[str, Any]) -> dict[str, Any]:
    """OpenAPI 3.0's ``nullable`` and boolean exclusive bounds in 2020-12 spelling."""
    for bound, limit in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        exclusive = schema.get(bound)
        if not isinstance(exclusive, bool):
            continue
        del schema[bound]
        if exclusive and limit in schema:
            schema[bound] = schema.pop(limit)
    if schema.pop("nullable", False) is not True:
        return schema
    kind = schema.get("type")
    if isinstance(kind, str):
        schema["type"] = [kind, "null"]
    elif isinstance(kind, list):
        schema["type"] = [*kind, "null"] if "null" not in kind else kind
    if isinstance(schema.get("enum"), list) and None not in schema["enum"]:
        schema["enum"] = [*schema["enum"], None]
    if kind is None and "enum" not in schema:
        return {"anyOf": [schema, {"type": "null"}]}
    return schema


def attach(source: str, checked: dict[str, str], document_text: str) -> str:
    """Give each class in ``checked`` (class name -> pointer) a check; add the document.

    Each class gains one line, ``_check_json_schema = _JSON_SCHEMA.before("<pointer>")``
    (no type names: a field called ``object`` or ``Any`` cannot shadow anything), and the
    module one import, placed where ruff's isort puts it, and the document constant.
    """
    import ast

    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    ends = {n.name: n.end_lineno or n.lineno for n in tree.body if isinstance(n, ast.ClassDef)}
    edits: list[tuple[int, str]] = []  # insert text before line index (0-based)
    for name, at in checked.items():
        edits.append((ends[name], "\n" + _binding(at)))
    imports = [n for n in tree.body if isinstance(n, ast.ImportFrom) and n.level == 0]
    pydantic = next(n for n in imports if n.module == "pydantic")
    block = [n for n in imports if _same_block(n, pydantic, lines)]
    after = min((n for n in block if (n.module or "") > "gmi_ieops.typed"), key=lambda n: n.lineno)
    edits.append((after.lineno - 1, "from gmi_ieops.typed import JsonSchemaCheck\n"))
    last = max(n.end_lineno or n.lineno for n in imports)
    edits.append((last, f"\n{VALIDATOR} = JsonSchemaCheck(\n{_chunks(document_text)})\n"))
    for index, text in sorted(edits, key=lambda e: e[0], reverse=True):
        lines[index:index] = [text]
    return "".join(lines)


def _binding(pointer_: str) -> str:
    """The class-body line binding the check, wrapped as ruff format would when long."""
    line = f"    {METHOD} = {VALIDATOR}.before({_literal(pointer_)})\n"
    if len(line) <= 101:
        return line
    parts = _chunks(pointer_, 86, indent="        ", quote='"')
    return f"    {METHOD} = {VALIDATOR}.before(\n{parts}    )\n"


def _same_block(node: Any, anchor: Any, lines: list[str]) -> bool:
    """Whether ``node`` is in ``anchor``'s block of imports (no blank line between)."""
    first, last = sorted((node.lineno, anchor.lineno))
    return all(lines[i].strip() for i in range(first - 1, last - 1))


def _literal(text: str, quote: str = '"') -> str:
    """``text`` as a Python string literal of printable ASCII and escapes only."""
    return quote + "".join(_escape(ch, quote) for ch in text) + quote


def _escape(ch: str, quote: str = "'") -> str:
    code = ord(ch)
    if ch in ("\\", quote):
        return "\\" + ch
    if 0x20 <= code < 0x7F:
        return ch
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def _chunks(text: str, width: int = 90, indent: str = "    ", quote: str = "'") -> str:
    """``text`` as implicitly concatenated literals, one per line, each within ``width``."""
    out: list[str] = []
    piece: list[str] = []
    size = 0
    for ch in text:
        escaped = _escape(ch, quote)
        if size + len(escaped) > width - 2 and piece:
            out.append(indent + quote + "".join(piece) + quote + "\n")
            piece, size = [], 0
        piece.append(escaped)
        size += len(escaped)
    out.append(indent + quote + "".join(piece) + quote + "\n")
    return "".join(out)


def model_classes(source: str) -> set[str]:
    """The Pydantic model classes of ``source`` (not Enums): those that can carry a check."""
    import ast

    bases = {
        node.name: [
            b.value.id
            if isinstance(b, ast.Subscript) and isinstance(b.value, ast.Name)
            else b.id
            if isinstance(b, ast.Name)
            else ""
            for b in node.bases
        ]
        for node in ast.parse(source).body
        if isinstance(node, ast.ClassDef)
    }
    found: set[str] = set()
    for _ in range(len(bases) + 1):  # classes come before their subclasses, mostly
        grown = {
            name
            for name, parents in bases.items()
            if name not in found
            and any(p in ("BaseModel", "RootModel") or p in found for p in parents)
        }
        if not grown:
            break
        found |= grown
    return found
