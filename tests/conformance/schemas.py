"""OpenAPI schemas as the harness needs them: strategies to draw from, validators to check with.

Drawing: ``hypothesis-jsonschema`` speaks JSON Schema drafts 4-7, so an OpenAPI 3.0/3.1
schema is translated first (``$ref``s inlined, 3.0 ``nullable`` as a ``null`` type,
``prefixItems`` as tuple ``items``, annotations dropped). A recursive ``$ref`` is cut with
the ``false`` schema: the drawn values never recurse, and stay valid. A schema with no
``type`` is drawn as the models read it: ``properties`` make an object, ``items`` an array.
Objects and arrays are drawn a little past the sizes they name (``_bounded``); a ``oneOf``
under a bound is still checked exactly as the schema reads it, and nothing under a ``not``
or an ``if`` is bounded.

Checking: every response body and SSE event is validated against the *bundled*
``openapi.json`` with ``openapi-schema-validator``'s OAS 3.0 or OAS 3.1 dialect (a real JSON
Schema validator on the ``jsonschema`` library), never against our own models. In a 3.0
document ``required`` reads ``readOnly``/``writeOnly`` by direction, as OAS 3.0 says: a
required readOnly property is required in a response only, a writeOnly one in a request only
(the library's neutral 3.0 validator skips both everywhere, which made a ``oneOf`` of a big
and a small shape ambiguous). Their presence is not checked: "SHOULD NOT be sent" is no
violation, and the draws, like the models, ignore both keywords. A ``pattern`` is drawn
and checked as ECMA-262 reads it (``\\d`` is ``[0-9]``; the library's ``re`` takes any
Unicode digit): checked by jsonschema-rs' engine, drawn with the classes spelled out.
"""

from __future__ import annotations

import base64
import copy
import functools
import re
from collections.abc import Iterator
from typing import Any, NamedTuple

import jsonschema
import jsonschema_rs
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema
from hypothesis_jsonschema._canonicalise import FALSEY, canonicalish
from ieops_gen.ecma_regex import as_ecma_reads
from jsonschema.validators import extend
from openapi_schema_validator import OAS30Validator, OAS31Validator
from openapi_schema_validator import _keywords as oas_keywords
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4, DRAFT202012

DOC_URI = "urn:conformance:openapi"
_ANNOTATIONS = {
    "discriminator",
    "xml",
    "externalDocs",
    "example",
    "examples",
    "deprecated",
    "readOnly",
    "writeOnly",
    "nullable",
    "title",
    "description",
    "contentEncoding",
    "contentMediaType",
    "contentSchema",
    "$comment",
    "$id",
    "$schema",
    "$anchor",
    "$dynamicAnchor",
    "default",
}
# the formats the models assert (``uri`` is ``AnyUrl``, ``byte`` base64 bytes, ``uuid`` a
# UUID, ``duration`` a timedelta, ``decimal`` a Decimal): drawn as such, not as any string,
# which the models refuse
# (hypothesis-jsonschema draws any string for a format it does not know)
_CUSTOM_FORMATS = {
    "byte": st.binary(max_size=48).map(lambda b: base64.b64encode(b).decode()),
    "uuid": st.uuids().map(str),
    "duration": st.integers(0, 10**6).map(lambda seconds: f"PT{seconds}S"),
    "decimal": st.decimals(allow_nan=False, allow_infinity=False).map(str),
}
_FORMATS = {
    "date-time",
    "date",
    "time",
    "email",
    "ipv4",
    "ipv6",
    "hostname",
    "uri",
    *_CUSTOM_FORMATS,
}
_MAX_DEPTH = 24


def pointer(doc: Any, ref: str) -> Any:
    """The node a local ``#/a/b`` reference names, or ``None``."""
    if not ref.startswith("#"):
        return None
    node = doc
    for part in ref[1:].split("/")[1:]:
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


def deref(doc: Any, node: Any) -> Any:
    """Follow ``$ref`` chains of non-schema objects (parameters, bodies, responses)."""
    for _ in range(16):
        if isinstance(node, dict) and isinstance(node.get("$ref"), str):
            node = pointer(doc, node["$ref"])
        else:
            return node
    return node


def is_30(doc: dict[str, Any]) -> bool:
    return str(doc.get("openapi", "")).startswith("3.0")


class _Reading(NamedTuple):
    v30: bool  # an OAS 3.0 document (``nullable``, ``$ref`` siblings ignored)
    bounded: bool  # sizes bounded for drawing (``_bounded``)


def drawable(doc: dict[str, Any], schema: Any, *, bounded: bool = True) -> Any:
    """``schema`` as a self-contained draft-7 schema for ``hypothesis-jsonschema``; with
    ``bounded``, objects and arrays no larger than ``_bounded`` lets them be."""
    return _convert(doc, schema, _Reading(is_30(doc), bounded), (), 0)


def _convert(
    doc: dict[str, Any],
    node: Any,
    reading: _Reading,
    stack: tuple[str, ...],
    depth: int,
    alone: bool = True,
) -> Any:
    """``alone``: whether ``node`` is the only schema its instance must satisfy (not an
    ``allOf`` part, a ``not``, an ``if``/``then``/``else``, or a member of a union beside
    keywords of its own): only such a node's sizes may be bounded."""
    if isinstance(node, bool):
        return node
    if not isinstance(node, dict) or depth > _MAX_DEPTH:
        return {} if not isinstance(node, dict) else False
    ref = node.get("$ref")
    if isinstance(ref, str):
        if ref in stack:
            return False  # recursion: stop here (the value is still valid)
        target = pointer(doc, ref)
        if target is None:
            return False
        rest = {k: v for k, v in node.items() if k != "$ref"}
        if not reading.v30 and rest:  # 3.1: siblings of $ref apply too
            inner = _convert(doc, target, reading, (*stack, ref), depth + 1, alone=False)
            sibling = _convert(doc, rest, reading, stack, depth + 1, alone=False)
            return {"allOf": [inner, sibling]}
        # 3.0: siblings of $ref are ignored (so is a sibling nullable)
        return _convert(doc, target, reading, (*stack, ref), depth + 1, alone)
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _ANNOTATIONS or key.startswith("x-"):
            continue
        if key in ("properties", "patternProperties", "$defs", "definitions"):
            if isinstance(value, dict):
                # a property a pattern also matches satisfies both
                own = key == "properties" and "patternProperties" not in node
                out[key] = {
                    k: _convert(doc, v, reading, stack, depth + 1, own) for k, v in value.items()
                }
        elif key in (
            "items",
            "additionalProperties",
            "not",
            "contains",
            "propertyNames",
            "additionalItems",
            "if",
            "then",
            "else",
        ):
            own = key in ("additionalProperties", "additionalItems") or (
                key == "items" and "contains" not in node
            )
            # a bound under ``not`` widens what the schema admits, under ``if`` it moves
            # values from ``then`` to ``else``: nothing below either is bounded
            inner = reading._replace(bounded=False) if key in ("not", "if") else reading
            if isinstance(value, list):
                out[key] = [_convert(doc, v, inner, stack, depth + 1, own) for v in value]
            else:
                out[key] = _convert(doc, value, inner, stack, depth + 1, own)
        elif key in ("allOf", "anyOf", "oneOf") and isinstance(value, list):
            member_alone = alone and key != "allOf" and set(node) <= _UNION_BESIDE
            out[key] = [_convert(doc, v, reading, stack, depth + 1, member_alone) for v in value]
            if key != "allOf":
                out[key] = _tagged(doc, node.get("discriminator"), value, out[key])
        elif key == "prefixItems" and isinstance(value, list):
            out["items"] = [_convert(doc, v, reading, stack, depth + 1) for v in value]
            extra = node.get("items", True)
            out["additionalItems"] = _convert(doc, extra, reading, stack, depth + 1)
        elif key == "dependentRequired" and isinstance(value, dict):
            out.setdefault("dependencies", {}).update(value)
        elif key == "dependentSchemas" and isinstance(value, dict):
            deps = out.setdefault("dependencies", {})
            deps.update(
                {k: _convert(doc, v, reading, stack, depth + 1, False) for k, v in value.items()}
            )
        elif key in (
            "unevaluatedProperties",
            "unevaluatedItems",
            "$dynamicRef",
            "$recursiveRef",
            "$recursiveAnchor",
            "minContains",
            "maxContains",
        ):
            continue
        elif key == "pattern" and isinstance(value, str):
            out[key] = as_ecma_reads(value)  # drawn by Python's re, as ECMA-262 reads it
        elif key == "format":
            if value in _FORMATS:
                out[key] = value
        elif key in ("exclusiveMaximum", "exclusiveMinimum") and isinstance(value, bool):
            bound = "maximum" if key == "exclusiveMaximum" else "minimum"
            if value and bound in node:
                out[key] = node[bound]
        elif key in ("maximum", "minimum") and node.get("exclusive" + key.title()) is True:
            continue
        else:
            out[key] = copy.deepcopy(value)
    if "type" not in node:
        # What the models make of a schema with no type (datamodel-code-generator's reading,
        # docs/json-schema.md "the typeless-object habit"): properties make an object
        # (OpenAI's OpenAIFile, Model), items an array. Drawn otherwise, null or a list is
        # schema-valid but refused by the model, and the operation is never driven.
        if isinstance(node.get("properties"), dict):
            out["type"] = "object"
        elif "items" in node or "prefixItems" in node:
            out["type"] = "array"
    if alone and reading.bounded:
        out = _bounded(out)
    if reading.v30 and node.get("nullable") is True:
        kinds = out.get("type")
        if isinstance(kinds, str):
            out["type"] = [kinds, "null"]
        elif isinstance(kinds, list) and "null" not in kinds:
            out["type"] = [*kinds, "null"]
        if "enum" in out and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
        if kinds is None:
            return {"anyOf": [out, {"type": "null"}]}
    return out


# Drawn sizes: one key past what an object names, three items past an array's minimum.
# hypothesis-jsonschema draws an open object's keys from "any name or a declared one",
# refusing a name already drawn, and gives up after three refusals; and a large value
# overruns hypothesis' buffer. An object of one declared name failed half its draws, and a
# wide answer of many such objects (OpenAI's RunObject: 27 properties, a dozen open
# objects, lists of them) drew one valid value in ~12 tries (in 38 at worst), so the
# operations returning it were sometimes not driven within the draw budget. The bounds draw
# a subset of the same valid values, unknown keys included.
_SPARE_KEYS = 1
_SPARE_ITEMS = 3
_CONJUNCTS = {"allOf", "anyOf", "oneOf", "not", "if", "dependencies"}
# what a union may stand beside and its members still be the instance's only schema
_UNION_BESIDE = {"anyOf", "oneOf", "type", "nullable", "discriminator"} | _ANNOTATIONS


def _bounded(out: dict[str, Any]) -> dict[str, Any]:
    if _CONJUNCTS & set(out):  # its parts name keys and items of their own
        return out
    if out.get("additionalProperties") is not False and (
        "properties" in out or "additionalProperties" in out or out.get("type") == "object"
    ):
        names = set(out.get("properties") or {}) | set(out.get("required") or [])
        cap = max(len(names) + _SPARE_KEYS, _int(out.get("minProperties")))
        out["maxProperties"] = min(cap, _int(out.get("maxProperties"), cap))
    if "items" in out or out.get("type") == "array":
        tuple_items = out["items"] if isinstance(out.get("items"), list) else []
        cap = max(_int(out.get("minItems")) + _SPARE_ITEMS, len(tuple_items))
        out["maxItems"] = min(cap, _int(out.get("maxItems"), cap))
    return out


def _int(value: Any, default: int = 0) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _tagged(doc: dict[str, Any], disc: Any, branches: list[Any], converted: list[Any]) -> list[Any]:
    """The branches of a discriminated union, each with its property held to the values
    that name it (``mapping``, else the component's own name), as OpenAPI reads a
    discriminator and the models do (a pydantic tagged union refuses any other value).
    Drawn without it, Pinecone's ``Embedding`` got random ``vector_type`` strings, valid for
    both plain-string branches, and the models refused every answer. A branch that holds
    the property to its own values already is left as it is."""
    if not isinstance(disc, dict) or not isinstance(disc.get("propertyName"), str):
        return converted
    prop = disc["propertyName"]
    mapping = disc["mapping"] if isinstance(disc.get("mapping"), dict) else {}
    out = []
    for raw, branch in zip(branches, converted, strict=True):
        ref = raw.get("$ref") if isinstance(raw, dict) else None
        target = deref(doc, raw) if isinstance(raw, dict) else None
        own = (
            ((target or {}).get("properties") or {}).get(prop) if isinstance(target, dict) else None
        )
        own = deref(doc, own) if isinstance(own, dict) else own
        if not isinstance(ref, str) or (
            isinstance(own, dict) and ("enum" in own or "const" in own)
        ):
            out.append(branch)
            continue
        name = ref.rsplit("/", 1)[-1]
        tags = [k for k, v in mapping.items() if v in (ref, name)]
        if not tags and ref.startswith("#/components/schemas/"):
            tags = [name]
        out.append({"allOf": [branch, {"properties": {prop: {"enum": tags}}}]} if tags else branch)
    return out


def admits_nothing(doc: dict[str, Any], schema: Any) -> bool:
    """Whether no JSON value is valid for ``schema``: hypothesis-jsonschema's reading, with
    a ``type`` beside ``oneOf``/``anyOf`` carried into each member first (canonicalish
    does not: Voyage's ``input`` is ``type: object`` and ``oneOf: [string, array]``)."""
    return canonicalish(_typed_members(drawable(doc, schema))) == FALSEY


def _typed_members(node: Any, depth: int = 0) -> Any:
    if isinstance(node, list):
        return [_typed_members(item, depth + 1) for item in node]
    if not isinstance(node, dict) or depth > _MAX_DEPTH:
        return node
    out = {k: _typed_members(v, depth + 1) for k, v in node.items()}
    if _requires_what_it_forbids(out):
        return False
    if "type" in out:
        for key in ("oneOf", "anyOf"):
            if isinstance(out.get(key), list):
                out[key] = [{"allOf": [{"type": out["type"]}, m]} for m in out[key]]
    return out


def _requires_what_it_forbids(node: dict[str, Any]) -> bool:
    """A closed object (``additionalProperties: false``, nothing else naming properties)
    requiring a name it does not declare: Hugging Face's resource groups require ``repos``
    (canonicalish sees it only where every property is plain)."""
    if node.get("additionalProperties") is not False or not isinstance(node.get("required"), list):
        return False
    if _CONJUNCTS & set(node) or "patternProperties" in node:
        return False
    declared = node.get("properties")
    # a typeless one admits every other type, unless properties make it an object (as drawn)
    if node.get("type") != "object" and not (isinstance(declared, dict) and "type" not in node):
        return False
    names = declared if isinstance(declared, dict) else {}
    return any(isinstance(name, str) and name not in names for name in node["required"])


def overlaps_where_kept(doc: dict[str, Any], schema: Any) -> bool:
    """Whether ``schema`` is a ``oneOf`` of objects each of whose values, carrying only the
    properties its member declares (all the models keep), is valid for another member too:
    that one open, requiring nothing, declaring their shared properties alike (Deepgram's
    model object). Only an undeclared property tells them apart, so no answer the models
    send is valid."""
    schema = deref(doc, schema)
    members = schema.get("oneOf") if isinstance(schema, dict) else None
    if not isinstance(members, list) or len(members) < 2:
        return False
    shapes = [deref(doc, m) for m in members]
    if not all(isinstance(m, dict) and isinstance(m.get("properties"), dict) for m in shapes):
        return False
    if any(set(m) - _PLAIN or m.get("type", "object") != "object" for m in shapes):
        return False

    def covers(wide: dict[str, Any], narrow: dict[str, Any]) -> bool:
        if wide.get("additionalProperties", True) is not True or wide.get("required"):
            return False
        shared = set(wide["properties"]) & set(narrow["properties"])
        return all(
            drawable(doc, wide["properties"][n]) == drawable(doc, narrow["properties"][n])
            for n in shared
        )

    return all(any(covers(o, m) for o in shapes if o is not m) for m in shapes)


_PLAIN = {"type", "properties", "required", "additionalProperties", "nullable"} | _ANNOTATIONS
"""What a ``oneOf`` member may say for :func:`overlaps_where_kept` to read it."""


def strategy(doc: dict[str, Any], schema: Any, **kwargs: Any) -> st.SearchStrategy[Any]:
    """Values valid for ``schema`` (an OpenAPI schema inside ``doc``)."""
    schema = schema if schema is not None else {}
    converted = drawable(doc, schema)
    drawing = from_schema(converted, custom_formats=_CUSTOM_FORMATS, **kwargs)
    if _holds(converted, "oneOf"):
        # a bound narrows a member, and a value of two members then passes the "exactly
        # one" that hypothesis-jsonschema checks on the narrowed ones: check the full reading
        # (draft 7, as hypothesis-jsonschema reads a schema without ``$schema``)
        full = drawable(doc, schema, bounded=False)
        drawing = drawing.filter(jsonschema.Draft7Validator(full).is_valid)
    return drawing


def _holds(node: Any, key: str) -> bool:
    if isinstance(node, list):
        return any(_holds(item, key) for item in node)
    return isinstance(node, dict) and (key in node or any(_holds(v, key) for v in node.values()))


def invalid_schemas(doc: dict[str, Any]) -> list[str]:
    """``pointer: message`` for each schema of ``doc`` that its JSON Schema draft's
    meta-schema refuses (draft 4 for OAS 3.0, 2020-12 after it, as schemathesis and
    jsonschema-rs read them): the served document is what clients, validators and fuzzers
    read, and a schema they cannot read fails them all."""
    meta = jsonschema.Draft4Validator if is_30(doc) else jsonschema.Draft202012Validator
    found: list[str] = []
    for at, schema in _schemas(doc):
        try:
            meta.check_schema(schema)
        except jsonschema.exceptions.SchemaError as error:
            inside = "/".join(str(p) for p in error.absolute_path)
            found.append(f"{at}{'/' + inside if inside else ''}: {error.message[:160]}")
    return found


def _schemas(doc: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """The top-level schemas of ``doc``: components, parameters, bodies, answers, headers."""
    for name, schema in ((doc.get("components") or {}).get("schemas") or {}).items():
        yield f"/components/schemas/{name}", schema
    for path, item in (doc.get("paths") or {}).items():
        item = deref(doc, item)
        for method, op in item.items() if isinstance(item, dict) else ():
            if not isinstance(op, dict):
                continue
            at = f"/paths/{path.replace('~', '~0').replace('/', '~1')}/{method}"
            params = op if method == "parameters" else op.get("parameters")
            for index, param in enumerate(params if isinstance(params, list) else []):
                param = deref(doc, param)
                if isinstance(param, dict) and "schema" in param:
                    yield f"{at}/parameters/{index}/schema", param["schema"]
            carriers = [("requestBody", deref(doc, op.get("requestBody")))]
            for status, answer in (op.get("responses") or {}).items():
                carriers.append((f"responses/{status}", deref(doc, answer)))
            for where, carrier in carriers:
                content = carrier.get("content") if isinstance(carrier, dict) else None
                for media, entry in (content or {}).items():
                    if isinstance(entry, dict) and "schema" in entry:
                        yield f"{at}/{where}/content/{media}/schema", entry["schema"]


class Checker:
    """Validates instances against schemas of one bundled document, in its own dialect."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self.v30 = is_30(doc)
        # 3.0.3 applies `nullable` only beside a `type`; the generated models (and the
        # vendors who write `{allOf: [$ref], nullable: true}`) read it as "or null" anywhere,
        # and so do the harness's draws: the checker reads it the same way.
        self.doc = unnamed_discriminators_dropped(_nullable_anywhere(doc)) if self.v30 else doc
        doc = self.doc
        spec = DRAFT4 if self.v30 else DRAFT202012
        resource = Resource.from_contents(doc, default_specification=spec)
        self.registry: Registry[Any] = Registry().with_resource(DOC_URI, resource)
        self._validators: dict[tuple[str, bool], Any] = {}

    def errors(self, pointer_to_schema: str, instance: Any, request: bool = False) -> list[str]:
        """Messages for every way ``instance`` (a response's, or a ``request``'s) breaks the
        schema at ``pointer_to_schema``."""
        validator = self._validators.get((pointer_to_schema, request))
        if validator is None:
            ref = {"$ref": DOC_URI + "#" + pointer_to_schema}
            cls = (_OAS30_REQUEST if request else _OAS30_RESPONSE) if self.v30 else _OAS31
            validator = cls(ref, registry=self.registry)
            self._validators[(pointer_to_schema, request)] = validator
        found: Iterator[jsonschema.ValidationError] = validator.iter_errors(instance)
        out = []
        for error in found:
            where = "/" + "/".join(str(p) for p in error.absolute_path)
            out.append(f"{where}: {error.message[:300]}")
            if len(out) >= 3:
                break
        return out


@functools.cache
def _ecma_validator(pattern: str) -> Any:
    """One compiled jsonschema-rs validator per pattern (each string is checked by it)."""
    return jsonschema_rs.validator_for({"pattern": pattern})


def _ecma_pattern(validator: Any, pattern: Any, instance: Any, schema: Any) -> Iterator[Any]:
    """``pattern`` as ECMA-262 reads it (``\\d`` is ``[0-9]``), by an ECMA engine
    (jsonschema-rs'): the library matches with Python's ``re``, whose ``\\d`` takes any
    Unicode digit, and would pass an answer every other validator refuses."""
    if not validator.is_type(instance, "string"):
        return
    try:
        matches = _ecma_validator(pattern).is_valid(instance)
    except ValueError:  # no ECMA-262 pattern (the served document's own check reports it)
        matches = re.search(pattern, instance) is not None
    if not matches:
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")


# 3.0 ``required`` by direction (the library's OAS30Read/WriteValidator also refuse a readOnly
# property in a request and a writeOnly one in a response: a SHOULD NOT, not checked here).
_OAS30_RESPONSE = extend(
    OAS30Validator, validators={"required": oas_keywords.read_required, "pattern": _ecma_pattern}
)
_OAS30_REQUEST = extend(
    OAS30Validator, validators={"required": oas_keywords.write_required, "pattern": _ecma_pattern}
)
_OAS31 = extend(OAS31Validator, validators={"pattern": _ecma_pattern})


def _nullable_anywhere(node: Any) -> Any:
    """A copy where a typeless ``nullable: true`` schema also accepts ``null``, and a list
    of types (3.1's ``type: [string, "null"]``, which the 3.0 validator cannot read: it
    crashed on cortex-cpp) is the union of those types."""
    if isinstance(node, list):
        return [_nullable_anywhere(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _nullable_anywhere(value) for key, value in node.items()}
    kinds = out.get("type")
    if isinstance(kinds, list):  # 3.1's type list in a 3.0 document, read as the models do
        out.pop("type")
        members: list[Any] = [{"type": kind} for kind in kinds if kind != "null"]
        if "null" in kinds:
            members.append({"enum": [None]})
        out = {"allOf": [out, {"anyOf": members}]} if "anyOf" in out else {**out, "anyOf": members}
    if (
        out.get("nullable") is True
        and isinstance(out.get("enum"), list)
        and None not in out["enum"]
    ):
        out["enum"] = [*out["enum"], None]  # portkey: "Set to null to remove periodic reset"
    if out.get("nullable") is True and "type" not in out and "$ref" not in out:
        rest = {k: v for k, v in out.items() if k != "nullable"}
        return {"anyOf": [rest, {"enum": [None]}]}
    return out


def unnamed_discriminators_dropped(doc: dict[str, Any]) -> dict[str, Any]:
    """The document without the discriminators whose values name no schema: a value
    missing from ``mapping`` implicitly names ``#/components/schemas/<value>``, and when no
    such schema exists (portkey's ``OutputItem`` over ``FunctionToolCall``, whose ``type`` is
    ``function_call``; OpenAI's ``LockedStatus``, whose ``type`` is ``locked``) a validator
    that reads discriminators refuses every such value (the 3.0 one, schemathesis' check
    in both versions). The generated models read the branches' own values; here the
    ``oneOf``/``anyOf`` is checked plainly, as the 3.1 validator does. Changed in place."""
    names = set((doc.get("components") or {}).get("schemas") or {})

    def values(branch: Any, prop: str) -> list[Any]:
        branch = deref(doc, branch) if isinstance(branch, dict) else branch
        found = (
            ((branch or {}).get("properties") or {}).get(prop) if isinstance(branch, dict) else None
        )
        found = deref(doc, found) if isinstance(found, dict) else None
        if not isinstance(found, dict):
            return []
        return list(found.get("enum") or []) + ([found["const"]] if "const" in found else [])

    def walk(node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item)
            return
        if not isinstance(node, dict):
            return
        for value in node.values():
            walk(value)
        disc = node.get("discriminator")
        if not isinstance(disc, dict) or not isinstance(disc.get("propertyName"), str):
            return
        mapping = disc.get("mapping") or {}
        branches = node.get("oneOf") or node.get("anyOf") or []
        wanted = [v for b in branches for v in values(b, disc["propertyName"])]
        if any(v not in mapping and v not in names for v in wanted if isinstance(v, str)):
            del node["discriminator"]

    walk(doc)
    return doc


def escape(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")
