"""The intermediate representation the emitters read: services, operations, models.

:func:`build` turns a validated, bundled OpenAPI document into a :class:`Service`. Every
schema an operation uses becomes a named model (inline schemas are given names from the
``operationId``), so emitters only ever deal in class names, never in raw schema dicts.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from typing import Any, Literal, cast

from . import media as files
from . import names
from . import pointer as jp
from .load import Bundle
from .validate import _MANY, _MAP, _ONE, BATCH_LIMITS, HTTP_METHODS, _deref, _properties

Kind = Literal["api", "sse", "ws"]
Location = Literal["path", "query", "header", "cookie"]
SSE = "text/event-stream"
_SCHEMA_REF = re.compile(r"^#/components/schemas/([^/]+)(/.*)?$")


@dataclass(frozen=True)
class Parameter:
    """A path, query, header or cookie parameter; ``python_name`` is its keyword argument."""

    name: str
    python_name: str
    location: Location
    required: bool
    description: str | None
    style: str = "simple"  # OpenAPI serialization: form/simple/deepObject/...
    explode: bool = False

    @property
    def default_style(self) -> bool:
        """Whether ``style``/``explode`` are the location's defaults (form+explode, simple)."""
        if self.location in ("query", "cookie"):
            return self.style == "form" and self.explode
        return self.style == "simple" and not self.explode


@dataclass
class Operation:
    """One route: an HTTP operation (JSON, SSE or both) or a WebSocket."""

    operation_id: str
    method_name: str
    http_method: str
    path: str
    kind: Kind
    pointer: str
    summary: str | None = None
    description: str | None = None
    tags: list[str] = field(default_factory=list)
    parameters: list[Parameter] = field(default_factory=list)
    params_model: str | None = None
    body_model: str | None = None
    body_required: bool = True
    """False only for a JSON body whose ``requestBody`` says ``required: false`` (an
    omitted flag stays required: docs/generator.md, "Optional request bodies")."""
    response_model: str | None = None
    event_model: str | None = None
    stream_method_name: str | None = None
    stream_flag: str | None = None
    ws_receive_model: str | None = None
    ws_send_model: str | None = None
    status_code: int = 200
    redirect: bool = False
    """The only declared successes are redirects (301/302/303/307/308): the service returns
    the target URL, sent as ``Location`` with ``status_code`` (docs/generator.md)."""
    timeout: float | None = None
    batch: dict[str, float] | None = None
    """``x-ieops-batch``: the route batches; its settings (keys of BatchConfig) or ``{}``."""
    deprecated: bool = False
    # Files (media.py, docs/files.md): a multipart or binary body, a binary/text response.
    body_kind: Literal["json", "form", "binary", "urlencoded"] = "json"
    """``urlencoded``: the client sends the body model form-encoded (the spec offers no JSON)."""
    form_files: list[files.FileField] = field(default_factory=list)
    body_media: list[str] = field(default_factory=list)
    urlencoded: bool = False
    """The server also reads the body model from ``application/x-www-form-urlencoded``."""
    form_styles: dict[str, tuple[str, bool]] = field(default_factory=dict)
    """``encoding.<name>`` ``(style, explode)`` of a urlencoded body, by wire name."""
    response_media: str | None = None
    """A binary or text response; with ``response_model`` too, JSON or this type by Accept."""

    @property
    def label(self) -> str:
        """``POST /v1/chat`` for messages."""
        return f"{self.http_method} {self.path}"

    @property
    def models(self) -> list[str]:
        """Every model class this operation names, in a stable order."""
        found = [
            self.params_model,
            self.body_model,
            self.response_model,
            self.event_model,
            self.ws_receive_model,
            self.ws_send_model,
        ]
        return [m for m in found if m is not None]


@dataclass
class Service:
    """One OpenAPI document: the service interface and everything it needs."""

    module: str
    class_name: str
    title: str
    version: str
    description: str | None
    source: str
    operations: list[Operation]
    skipped: list[str]
    warnings: list[str]
    schemas: dict[str, Any]
    aliases: dict[str, str]
    openapi: dict[str, Any]
    error_format: str = "ieops"
    """How the service's errors are written: root ``x-ieops-error-format``."""


SCHEMA_KEYWORDS = frozenset(
    {
        # JSON Schema 2020-12 (core, applicator, validation, meta-data, format, content)
        "$schema",
        "$id",
        "$ref",
        "$anchor",
        "$dynamicRef",
        "$dynamicAnchor",
        "$defs",
        "$comment",
        "$vocabulary",
        "$recursiveRef",
        "definitions",
        "allOf",
        "anyOf",
        "oneOf",
        "not",
        "if",
        "then",
        "else",
        "dependentSchemas",
        "prefixItems",
        "items",
        "contains",
        "properties",
        "patternProperties",
        "additionalProperties",
        "propertyNames",
        "unevaluatedItems",
        "unevaluatedProperties",
        "additionalItems",
        "dependencies",
        "type",
        "enum",
        "const",
        "multipleOf",
        "maximum",
        "exclusiveMaximum",
        "minimum",
        "exclusiveMinimum",
        "maxLength",
        "minLength",
        "pattern",
        "maxItems",
        "minItems",
        "uniqueItems",
        "maxContains",
        "minContains",
        "maxProperties",
        "minProperties",
        "required",
        "dependentRequired",
        "title",
        "description",
        "default",
        "deprecated",
        "readOnly",
        "writeOnly",
        "format",
        "contentEncoding",
        "contentMediaType",
        "contentSchema",
        # OpenAPI's additions
        "nullable",
        "discriminator",
        "xml",
        "externalDocs",
    }
)
"""What models may see of a schema; everything else is dropped before model generation."""

QUIET = frozenset({"$recursiveAnchor"})
"""Dropped without a warning: draft 2019-09's anchor, which 2020-12 validators refuse."""

CODE_KEY_PREFIXES = ("x-python", "x-is-", "x-datamodel-code-generator", "x-enum-", "custom")
"""Extensions datamodel-code-generator reads as code instructions: dropped with a warning."""


NEEDS_PACKAGE = {"email": "email-validator", "idn-email": "email-validator"}
"""Formats whose pydantic types need a package the generated code does not depend on."""

METHOD_NAME_LENGTH = 64
"""Longer method names (from long operationIds or paths) keep their head and tail."""

FIELD_NAME_LENGTH = 48
"""Longer property names become shorter field names (the wire name stays the alias)."""

ENUM_MEMBER_LENGTH = 40
"""Longer enum values get member names cut to this length (the value stays whole)."""


def _name_long_enum_members(schema: dict[str, Any]) -> None:
    """Give enums with long string values short, unique member names.

    The model layer names a member after its value; a 150-character value would make a
    150-character identifier and a line no formatter can fit.
    """
    values = schema.get("enum")
    if not isinstance(values, list) or not any(
        isinstance(v, str) and len(v) > ENUM_MEMBER_LENGTH for v in values
    ):
        return
    namer = names.Namer()
    members = []
    for value in values:
        base = names.snake(str(value), prefix="value")[:ENUM_MEMBER_LENGTH].rstrip("_")
        members.append(namer.unique(base or "value"))
    schema["x-enum-varnames"] = members


class _Builder:
    def __init__(self, bundle: Bundle, module: str) -> None:
        self.bundle = bundle
        self.doc = bundle.document
        self.module = module
        self.skipped: list[str] = []
        self.aliases: dict[str, str] = {}
        self.long_fields = names.Namer()
        self.class_names = names.Namer(set(files.RUNTIME_NAMES))  # no clash with imports
        self.renamed: dict[str, str] = {}  # component name -> class name
        self.made: dict[str, str] = {}  # an inline schema's JSON -> the class made for it
        source = self.doc.get("components", {}).get("schemas", {})
        self.schemas: dict[str, Any] = {}
        for name in source:
            self.renamed[name] = self.class_names.unique(names.class_name(name), sep="")
        self.warnings: list[str] = []
        for name, schema in source.items():
            self.schemas[self.renamed[name]] = self.rewrite(copy.deepcopy(schema))
        for name, schema in self.schemas.items():
            at = jp.join("/components/schemas", name)
            if isinstance(schema, dict) and "default" in schema and not _is_object(schema):
                self.warnings.append(
                    f"{at}: default {schema['default']!r} of a named non-object schema ignored: "
                    "it would become the default of every field that refers to it"
                )
                del schema["default"]
            self.clean(schema, at)

    def clean(self, schema: Any, at: str, depth: int = 0) -> None:
        """Drop what models must not carry: examples, defaults that would not type-check,
        and every key that is not a schema keyword (extensions are data to us, but some are
        instructions to datamodel-code-generator to import and use Python objects)."""
        if not isinstance(schema, dict) or depth > 100:
            return
        schema.pop("example", None)
        schema.pop("examples", None)
        for key in [k for k in schema if k not in SCHEMA_KEYWORDS]:
            if key.startswith(CODE_KEY_PREFIXES) or not (key.startswith("x-") or key in QUIET):
                self.warnings.append(f"{jp.join(at, key)}: {key!r} ignored: not a schema keyword")
            del schema[key]
        if schema.get("nullable") is False:
            del schema["nullable"]  # the default; explicit false confuses strict_nullable
        if isinstance(schema.get("const"), (dict, list)):
            self.warnings.append(
                f"{jp.join(at, 'const')}: a constant object or array is not enforced by models"
            )
            del schema["const"]
        if schema.get("format") in NEEDS_PACKAGE:
            self.warnings.append(
                f"{jp.join(at, 'format')}: format {schema['format']!r} read as a plain string "
                f"(validating it needs {NEEDS_PACKAGE[schema['format']]})"
            )
            del schema["format"]
        if isinstance(schema.get("required"), list):  # a repeated name means the same
            schema["required"] = list(dict.fromkeys(schema["required"]))
        _name_long_enum_members(schema)
        if isinstance(schema.get("properties"), dict):
            for key in schema["properties"]:
                if len(key) > FIELD_NAME_LENGTH and key not in self.aliases:
                    short = names.snake(key, prefix="field")
                    half = FIELD_NAME_LENGTH // 2
                    short = short[:half].rstrip("_") + "_" + short[-half + 1 :].lstrip("_")
                    self.aliases[key] = self.long_fields.unique(short)
        if schema.get("type") == "array" and "items" not in schema and "prefixItems" not in schema:
            schema["items"] = {}
        if isinstance(schema.get("allOf"), list):
            self.flatten_conflicting_bases(schema, at)
        if isinstance(schema.get("allOf"), list):
            self.drop_redefined(schema["allOf"], at)
            self.drop_inherited_required(schema, at)
        if "default" in schema:
            reason = self.default_problem(schema, schema["default"])
            if reason:
                self.warnings.append(f"{at}: default {schema['default']!r} ignored: {reason}")
                del schema["default"]
        for key in _ONE:
            if key in schema:
                self.clean(schema[key], jp.join(at, key), depth + 1)
        for key in _MANY:
            if isinstance(schema.get(key), list):
                for index, sub in enumerate(schema[key]):
                    self.clean(sub, jp.join(at, key, index), depth + 1)
        for key in _MAP:
            if isinstance(schema.get(key), dict):
                for name, sub in schema[key].items():
                    self.clean(sub, jp.join(at, key, name), depth + 1)

    def drop_redefined(self, parts: list[Any], at: str) -> None:
        """In ``allOf: [$ref Parent, {properties: ...}]``, keep the parent's property types.

        A part that redeclares a property its referenced parent already has would make the
        generated subclass override the field with another type, which mypy rejects; the
        instance must satisfy the parent's declaration anyway.
        """
        inherited: set[str] = set()
        for part in parts:
            if isinstance(part, dict) and "$ref" in part:
                inherited |= self.property_names(self.target(part), 0)
        for index, part in enumerate(parts):
            if (
                isinstance(part, dict)
                and "$ref" not in part
                and isinstance(part.get("properties"), dict)
            ):
                for name in sorted(inherited & set(part["properties"])):
                    del part["properties"][name]
                    self.warnings.append(
                        f"{at}/allOf/{index}/properties/{jp.escape(name)}: redeclares an "
                        "inherited property; the parent's declaration is used"
                    )

    def flatten_conflicting_bases(self, schema: dict[str, Any], at: str) -> None:
        """``allOf`` of bases that declare one property differently: one flat model.

        Two base classes with one field of different types (``name: str`` in one,
        ``name: str | None = None`` in the other) make a class mypy refuses; the schema then
        becomes a plain object with every part's properties. Where the parts disagree, the
        declaration of a part that requires the property wins (the stricter one), else the
        first; values valid for the document stay valid.
        """
        parts = [p for p in schema["allOf"] if isinstance(p, dict)]
        refs = [p for p in parts if "$ref" in p]
        if len(refs) < 2 or len(parts) != len(schema["allOf"]):
            return
        seen: dict[str, tuple[str, bool]] = {}
        conflicts: set[str] = set()
        for part in refs:
            props, required = self.flat_properties(self.target(part), 0)
            for name, sub in props.items():
                shape = (
                    {k: v for k, v in sub.items() if k not in _META}
                    if isinstance(sub, dict)
                    else sub
                )
                declared = (json.dumps(shape, sort_keys=True, default=str), name in required)
                if seen.setdefault(name, declared) != declared:
                    conflicts.add(name)
        if not conflicts:
            return
        properties: dict[str, Any] = {}
        required_all: list[str] = []
        for part in parts:
            props, required = self.flat_properties(self.target(part), 0)
            for name, sub in props.items():
                if name not in properties or (name in required and name not in required_all):
                    properties[name] = copy.deepcopy(sub)
            required_all += [name for name in required if name not in required_all]
        del schema["allOf"]
        schema["type"] = "object"
        schema["properties"] = {**properties, **(schema.get("properties") or {})}
        required_all += [n for n in schema.get("required") or [] if n not in required_all]
        if required_all:
            schema["required"] = required_all
        self.warnings.append(
            f"{at}/allOf: its bases declare {', '.join(sorted(conflicts))} differently; "
            "generated as one flat model (no base classes)"
        )

    def flat_properties(self, schema: Any, depth: int) -> tuple[dict[str, Any], list[str]]:
        """Every property of ``schema`` and its ``allOf`` parts, and the required names."""
        if not isinstance(schema, dict) or depth > 16:
            return {}, []
        properties: dict[str, Any] = {}
        required: list[str] = []
        for part in schema.get("allOf", []) if isinstance(schema.get("allOf"), list) else []:
            props, req = self.flat_properties(self.target(part), depth + 1)
            properties.update(props)
            required += [n for n in req if n not in required]
        if isinstance(schema.get("properties"), dict):
            properties.update(schema["properties"])
        if isinstance(schema.get("required"), list):
            required += [n for n in schema["required"] if n not in required]
        return properties, required

    def drop_inherited_required(self, schema: dict[str, Any], at: str) -> None:
        """Outer ``required`` names a referenced parent already requires: nothing to add."""
        required = schema.get("required")
        if not isinstance(required, list):
            return
        inherited: set[str] = set()
        for part in schema["allOf"]:
            target = self.target(part) if isinstance(part, dict) and "$ref" in part else None
            if isinstance(target, dict) and isinstance(target.get("required"), list):
                inherited |= set(target["required"])
        kept = [name for name in required if name not in inherited]
        if len(kept) != len(required):
            schema["required"] = kept
            if not kept:
                del schema["required"]

    def property_names(self, schema: Any, depth: int) -> set[str]:
        if not isinstance(schema, dict) or depth > 16:
            return set()
        names = set(schema.get("properties") or {})
        for part in schema.get("allOf", []) if isinstance(schema.get("allOf"), list) else []:
            names |= self.property_names(self.target(part), depth + 1)
        return names

    def default_problem(self, schema: dict[str, Any], value: Any) -> str | None:
        """Why a default cannot be written as a Python default, or ``None`` when it can."""
        if not self.default_fits(schema, value):
            return "it does not fit the schema's type"
        target = self.target(schema)
        if (
            target is not schema
            and _is_enum(target)
            and value is not None
            and value in target["enum"]
            and not _nullable(target)
        ):
            return None  # one of the enum's values: ``kind: Kind = Kind.fast``
        if value is not None and _through_ref(schema):
            return "a default for a referenced schema would not type-check as a Python default"
        if target is not schema and isinstance(target, dict) and "enum" in target:
            return "a default for a referenced enum must be one of its values"
        for node in (target, (target or {}).get("items") if isinstance(target, dict) else None):
            if isinstance(node, dict) and node.get("format") in _WRAPPED_FORMATS:
                return f"format {node['format']!r} values are not plain strings"
        if value is None and not _nullable(schema) and not _nullable(target):
            return "null default on a schema that is not nullable"
        if value is None and isinstance(target, dict) and ("oneOf" in target or "anyOf" in target):
            return "a null default on a union is implied by its optional field"
        return None

    def target(self, schema: Any) -> Any:
        """The schema behind ``$ref`` and one-element ``allOf`` wrappers."""
        target = schema
        for _ in range(8):
            if not isinstance(target, dict):
                return target
            if "$ref" in target:
                match = _SCHEMA_REF.match(target["$ref"])
                if not match or match.group(2):
                    return target
                target = self.schemas.get(jp.unescape(match.group(1)))
            elif isinstance(target.get("allOf"), list) and len(target["allOf"]) == 1:
                target = target["allOf"][0]
            else:
                return target
        return target

    def default_fits(self, schema: dict[str, Any], value: Any) -> bool:
        target: Any = schema
        for _ in range(8):
            if not isinstance(target, dict):
                return True
            if "$ref" in target:
                match = _SCHEMA_REF.match(target["$ref"])
                if not match or match.group(2):
                    return True
                target = self.schemas.get(jp.unescape(match.group(1)))
            elif isinstance(target.get("allOf"), list) and len(target["allOf"]) == 1:
                target = target["allOf"][0]
            else:
                break
        if not isinstance(target, dict):
            return True
        kinds = target.get("type")
        if kinds is None:
            if "properties" in target:
                kinds = "object"
            elif "enum" in target:
                return value in target["enum"] or value is None
            elif "oneOf" in target or "anyOf" in target:
                return value is None  # codegen copies a union's default into every branch
            else:
                return True
        kinds = kinds if isinstance(kinds, list) else [kinds]
        if value is None:
            return (
                "null" in kinds or schema.get("nullable") is True or target.get("nullable") is True
            )
        return any(_is_type(value, kind) for kind in kinds)

    def rewrite(self, node: Any) -> Any:
        """Point ``$ref``s at renamed components; copy in refs to anything else."""
        stack = [node]
        while stack:
            value = stack.pop()
            if isinstance(value, dict):
                ref = value.get("$ref")
                if isinstance(ref, str):
                    value["$ref"] = self.rewrite_ref(ref)
                stack.extend(v for k, v in value.items() if k != "$ref")
            elif isinstance(value, list):
                stack.extend(value)
        return node

    def rewrite_ref(self, ref: str) -> str:
        match = _SCHEMA_REF.match(ref)
        if match and jp.unescape(match.group(1)) in self.renamed:
            rest = match.group(2) or ""
            return (
                "#/components/schemas/"
                + jp.escape(self.renamed[jp.unescape(match.group(1))])
                + rest
            )
        if not ref.startswith("#/"):
            return ref
        target = jp.resolve(self.doc, jp.split(ref[1:]))
        key = "ref:" + ref
        if key not in self.renamed:
            name = self.class_names.unique(names.pascal(jp.split(ref[1:])[-1]), sep="")
            self.renamed[key] = name
            self.schemas[name] = self.rewrite(copy.deepcopy(target))
            self.clean(self.schemas[name], jp.join("/components/schemas", name))
        return "#/components/schemas/" + self.renamed[key]

    def model_for(self, schema: Any, hint: str) -> str:
        """The class name for ``schema``: its component, or a new one named ``hint``."""
        if isinstance(schema, dict) and set(schema) == {"$ref"}:
            match = _SCHEMA_REF.match(schema["$ref"])
            if match and not match.group(2):
                name = self.renamed.get(jp.unescape(match.group(1)))
                if name is not None and not _is_enum(self.schemas.get(name)):
                    return name
        return self.made_model(schema if schema is not None else {}, hint)

    def made_model(self, schema: Any, hint: str) -> str:
        """A model for an inline schema; one class for identical ones (the first name)."""
        rewritten = self.rewrite(copy.deepcopy(schema))
        # in document order: parameters in another order make fields in another order
        key = json.dumps(rewritten, ensure_ascii=False, default=str)
        if key in self.made:
            return self.made[key]
        name = self.class_names.unique(hint, sep="")
        self.schemas[name] = rewritten
        self.clean(self.schemas[name], jp.join("/components/schemas", name))
        self.made[key] = name
        return name

    def build(self) -> Service:
        info = self.doc.get("info", {})
        operations: list[Operation] = []
        methods = names.Namer()
        for path, item in self.doc.get("paths", {}).items():
            item = _deref(self.doc, item)
            for method in HTTP_METHODS:
                if not isinstance(item.get(method), dict):
                    continue
                op = self.operation(path, item, method, methods)
                if op is not None:
                    operations.append(op)
        title = str(info.get("title", self.module))
        return Service(
            module=self.module,
            class_name=names.service_classes([(self.module, info.get("title"))])[0],
            title=title,
            version=str(info.get("version", "")),
            description=info.get("description")
            if isinstance(info.get("description"), str)
            else None,
            source=self.bundle.root.display,
            operations=operations,
            skipped=self.skipped,
            warnings=self.warnings,
            schemas=self.schemas,
            aliases=self.aliases,
            openapi=self.doc,
            error_format=str(self.doc.get("x-ieops-error-format") or "ieops"),
        )

    def skip(self, method: str, path: str, reason: str) -> None:
        self.skipped.append(f"{method.upper()} {path}: {reason}")

    def operation(
        self, path: str, item: dict[str, Any], method: str, methods: names.Namer
    ) -> Operation | None:
        raw: dict[str, Any] = item[method]
        where = jp.join("/paths", path, method)
        if "?" in path:
            self.skip(method, path, "a query string in the path key cannot be routed")
            return None
        if method in ("trace", "query"):
            self.skip(method, path, f"the runtime does not route {method.upper()} requests")
            return None
        key = path
        if "#" in path:
            # A fragment is never sent over HTTP: client and server both use the path
            # before it; a document that also has that path for this method keeps it.
            path = path.split("#", 1)[0]
            other = self.doc.get("paths", {}).get(path)
            if isinstance(other, dict) and isinstance(other.get(method), dict):
                self.skip(method, key, f"the path without its #fragment, {path}, is routed")
                return None
            self.warnings.append(
                f"{where}: the #fragment of the path key is not sent over HTTP; "
                f"the operation is routed at {path}"
            )
        op_id = raw.get("operationId") or f"{method} {path}"
        method_name = methods.unique(names.shorten(names.snake(op_id), METHOD_NAME_LENGTH))
        hint = names.pascal(op_id)
        op = Operation(
            operation_id=str(raw.get("operationId") or method_name),
            method_name=method_name,
            http_method=method.upper(),
            path=path,
            kind="api",
            pointer=where,
            summary=_text(raw.get("summary")),
            description=_text(raw.get("description")),
            tags=[t for t in raw.get("tags", []) if isinstance(t, str)],
            deprecated=raw.get("deprecated") is True,
        )
        timeout = raw.get("x-ieops-timeout")
        op.timeout = float(timeout) if timeout is not None else None
        batch = raw.get("x-ieops-batch")
        if batch is True or isinstance(batch, dict):
            settings = batch if isinstance(batch, dict) else {}
            # Only keys validate.py checked (names and numbers), never the spec's text.
            op.batch = {key: settings[key] for key in BATCH_LIMITS if key in settings}
        if not self.parameters(op, item, raw, hint):
            return None
        websocket = raw.get("x-ieops-websocket")
        if isinstance(websocket, dict):
            op.kind = "ws"
            op.ws_receive_model = self.model_for(websocket["receive"], hint + "Receive")
            op.ws_send_model = self.model_for(websocket["send"], hint + "Send")
            return op
        if not self.body(op, raw, hint):
            return None
        if not self.response(op, raw, hint, methods):
            return None
        return op

    def parameters(
        self, op: Operation, item: dict[str, Any], raw: dict[str, Any], hint: str
    ) -> bool:
        merged: dict[tuple[str, str], dict[str, Any]] = {}
        for owner in (item, raw):
            for param in owner.get("parameters", []):
                param = _deref(self.doc, param)
                merged[(param["name"], param["in"])] = param
        if not merged:
            return True
        # the runtime's arguments, and the generated client's per-call options (CallOptions)
        keywords = names.Namer(
            {
                "self",
                "body",
                "context",
                "session",
                "options",
                "extra",
                "trace_id",
                "timeout",
                "retries",
                "headers",
            }
        )
        properties: dict[str, Any] = {}
        required: list[str] = []
        wire = names.Namer()
        for (name, location), param in merged.items():
            if location == "querystring":
                self.skip(op.http_method, op.path, "'in: querystring' parameters are not supported")
                return False
            if location == "path" and op.kind == "ws":
                pass
            key = wire.unique(name) if name in properties else name
            schema = param.get("schema")
            if schema is None:
                content = param.get("content", {})
                schema = next((v.get("schema", {}) for v in content.values()), {})
            properties[key] = schema
            if param.get("required") is True:
                required.append(key)
            python_name = keywords.unique(names.snake(name, prefix="param"))
            style = param.get("style")
            if not isinstance(style, str):
                style = "form" if location in ("query", "cookie") else "simple"
            explode = param.get("explode")
            op.parameters.append(
                Parameter(
                    name=name,
                    python_name=python_name,
                    location=_location(location),
                    required=param.get("required") is True,
                    description=_text(param.get("description")),
                    style=style,
                    explode=explode if isinstance(explode, bool) else style == "form",
                )
            )
        schema = {"type": "object", "properties": properties, "required": required}
        renamed = {
            key: param.python_name
            for param, key in zip(op.parameters, properties, strict=True)
            if param.python_name != key
        }
        # identical parameters (``{job_id}`` of two routes) share one model; their field
        # names must agree too, so the renames are part of what is compared
        model = self.made_model({**schema, "x-ieops-fields": renamed}, hint + "Params")
        self.schemas[model].pop("x-ieops-fields", None)
        for key, python_name in renamed.items():
            self.aliases[f"{model}.{key}"] = python_name
        op.params_model = model
        self.warn_free_form(op, item, raw)
        return True

    def warn_free_form(self, op: Operation, item: dict[str, Any], raw: dict[str, Any]) -> None:
        """More than one free-form object exploded into the query (``style: form, explode:
        true``, no ``properties``): their keys cannot be told apart, so only the first one
        collects the unclaimed query keys (``routing/request.py``); a located warning."""
        found: list[tuple[str, str]] = []  # (name, pointer)
        seen: set[str] = set()
        owners = ((raw, op.pointer), (item, op.pointer.rsplit("/", 1)[0]))
        for owner, at in owners:  # the operation's parameters override the path item's
            for index, param in enumerate(owner.get("parameters", [])):
                param = _deref(self.doc, param)
                if param.get("in") != "query" or param.get("name") in seen:
                    continue
                seen.add(param["name"])
                exploded = param.get("style", "form") == "form" and param.get("explode", True)
                if exploded is True and _free_form(_deref(self.doc, param.get("schema"))):
                    found.append((param["name"], jp.join(at, "parameters", str(index))))
        if len(found) < 2:
            return
        names_ = ", ".join(repr(name) for name, _ in found)
        message = (
            f"query parameters {names_} are free-form objects exploded into the query "
            f"(style: form, explode: true), whose keys cannot be told apart: only "
            f"{found[0][0]!r} collects the query keys no other parameter claims, the others "
            "receive nothing (declare their properties, or use style: deepObject)"
        )
        self.warnings.append(str(self.bundle.problem(found[1][1], message)))

    def body(self, op: Operation, raw: dict[str, Any], hint: str) -> bool:
        body = _deref(self.doc, raw.get("requestBody"))
        if not isinstance(body, dict) or not body.get("content"):
            return True
        content: dict[str, Any] = body["content"]
        media = _json_media(content)
        form = files.urlencoded_entry(self.doc, content)
        if media is None and form is not None and files.form_media(content) is None:
            op.body_kind = "urlencoded"
            op.urlencoded = True
            op.form_styles = files.form_styles(form)
            op.body_model = self.model_for(form.get("schema"), hint + "Request")
            return True
        if media is None and self.file_body(op, content, hint):
            return True
        if media is None:
            self.skip(
                op.http_method,
                op.path,
                f"request body {', '.join(content)} is not JSON; typed routes read JSON",
            )
            return False
        op.body_model = self.model_for(content[media].get("schema"), hint + "Request")
        # OpenAPI's default is optional, but most specs that omit the flag mean required:
        # only an explicit ``false`` is honoured (multipart, binary and form-only bodies
        # stay required).
        op.body_required = body.get("required") is not False
        if form is not None and _same(form.get("schema"), content[media].get("schema")):
            op.urlencoded = True  # the same schema as a form too: chosen by Content-Type
            op.form_styles = files.form_styles(form)
        return True

    def file_body(self, op: Operation, content: dict[str, Any], hint: str) -> bool:
        """A multipart or binary request body (media.py); False when it is neither."""
        form = files.form_media(content)
        if form is not None:
            entry = content[form] if isinstance(content[form], dict) else {}
            taken = {p.python_name for p in op.parameters}
            rest, parts = files.split_form(self.doc, entry, taken)
            op.body_kind = "form"
            op.form_files = parts
            if rest is not None:
                op.body_model = self.model_for(rest, hint + "Form")
            return True
        binary = files.binary_media(content)
        if binary:
            op.body_kind = "binary"
            op.body_media = binary
            return True
        return False

    def response(self, op: Operation, raw: dict[str, Any], hint: str, methods: names.Namer) -> bool:
        responses = raw.get("responses") or {}
        codes = sorted(c for c in responses if c[:1] == "2")
        redirects = sorted(c for c in responses if c in REDIRECTS)
        if not codes and redirects and op.kind == "api":
            op.status_code, op.redirect = int(redirects[0]), True
            return True
        if not codes:
            return True
        code = codes[0]
        op.status_code = int(code) if code.isdigit() else 200
        response = _deref(self.doc, responses[code])
        content: dict[str, Any] = response.get("content") or {}
        if not content:
            return True
        json_media = _json_media(content)
        stream = content.get(SSE)
        if json_media is None and stream is None and op.kind == "api":
            op.response_media = files.response_media(content)
            return True
        if json_media is None and stream is None:
            self.skip(
                op.http_method,
                op.path,
                f"response {', '.join(content)} is neither JSON nor text/event-stream",
            )
            return False
        if json_media is not None:
            op.response_model = self.model_for(content[json_media].get("schema"), hint + "Response")
            if stream is None and op.kind == "api":
                # JSON or a binary type for one status: the result and Accept decide (files.md)
                op.response_media = files.response_media(content)
        if isinstance(stream, dict):
            schema = stream.get("itemSchema", stream.get("schema"))
            op.event_model = self.model_for(schema, hint + "Event")
            # binary and SSE (OpenAI's /audio/speech): the bytes, or events on Accept (media.py)
            binary = files.response_media(content) if json_media is None else None
            if op.response_model is None and binary is None:
                op.kind = "sse"
            else:
                op.response_media = binary
                op.stream_method_name = methods.unique(op.method_name + "_stream")
                flag = raw.get("x-ieops-stream-flag")
                if flag is None and "stream" in _properties(
                    self.doc, _body_schema(self.doc, raw), 0
                ):
                    flag = "stream"
                op.stream_flag = flag
        return True


_META = frozenset(
    {
        "description", "title", "default", "deprecated", "readOnly", "writeOnly", "examples",
        "minLength", "maxLength", "pattern", "minimum", "maximum", "exclusiveMinimum",
        "exclusiveMaximum", "multipleOf", "minItems", "maxItems", "uniqueItems",
    }
)  # fmt: skip
"""Keywords that do not change a field's Python type: bases may differ in them."""

_WRAPPED_FORMATS = {
    "uri", "url", "uri-reference", "iri", "password", "binary", "byte", "date-time", "date",
    "time", "duration", "uuid", "uuid1", "uuid2", "uuid3", "uuid4", "uuid5", "decimal", "path",
    "ipv4", "ipv6", "ipvanyaddress", "ipvanyinterface", "ipvanynetwork",
}  # fmt: skip
"""Formats the model layer types as something other than ``str``: a string default would not
type-check, so such defaults are dropped with a warning."""


def _is_object(schema: dict[str, Any]) -> bool:
    return schema.get("type") == "object" or "properties" in schema


def _through_ref(schema: Any) -> bool:
    if not isinstance(schema, dict):
        return False
    if "$ref" in schema:
        return True
    branches = schema.get("allOf")
    return isinstance(branches, list) and len(branches) == 1 and _through_ref(branches[0])


REDIRECTS = ("301", "302", "303", "307", "308")
"""The statuses that send the client elsewhere with ``Location`` (not 300 or 304)."""


def _free_form(schema: Any) -> bool:
    """An object schema with no declared properties (``additionalProperties``, or none)."""
    if not isinstance(schema, dict) or schema.get("properties"):
        return False
    if any(key in schema for key in ("allOf", "anyOf", "oneOf", "$ref")):
        return False
    kind = schema.get("type")
    return kind == "object" or (kind is None and "additionalProperties" in schema)


def _nullable(schema: Any) -> bool:
    if not isinstance(schema, dict):
        return False
    kinds = schema.get("type")
    if (
        schema.get("nullable") is True
        or kinds == "null"
        or (isinstance(kinds, list) and "null" in kinds)
    ):
        return True
    branches = schema.get("oneOf", []) + schema.get("anyOf", [])
    return isinstance(branches, list) and any(_nullable(b) for b in branches)


def _is_type(value: Any, kind: Any) -> bool:
    checks: dict[str, type | tuple[type, ...]] = {
        "string": str,
        "boolean": bool,
        "array": list,
        "object": dict,
        "number": (int, float),
        "integer": int,
    }
    if kind not in checks or (isinstance(value, bool) and kind in ("number", "integer")):
        return False
    if kind == "integer" and isinstance(value, float):
        return value.is_integer()
    return isinstance(value, checks[kind])


def _location(value: str) -> Location:
    if value not in ("path", "query", "header", "cookie"):
        raise ValueError(value)
    return cast(Location, value)


def _is_enum(schema: Any) -> bool:
    return isinstance(schema, dict) and "enum" in schema and "properties" not in schema


def _json_media(content: dict[str, Any]) -> str | None:
    for media in content:
        base = media.split(";", 1)[0].strip().lower()
        if base == "application/json" or base.endswith("+json") or base == "*/*":
            return media
    return None


def _body_schema(doc: dict[str, Any], raw: dict[str, Any]) -> Any:
    body = _deref(doc, raw.get("requestBody"))
    if not isinstance(body, dict):
        return None
    content = body.get("content") or {}
    media = _json_media(content)
    return content[media].get("schema") if media else None


def _same(a: Any, b: Any) -> bool:
    return json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def build(bundle: Bundle, module: str, class_name: str | None = None) -> Service:
    """The IR of one validated document, generated into the package ``module``.

    ``class_name`` is the service class (``names.service_classes`` decides it for a whole
    folder); by default the one the document's title gives alone.
    """
    service = _Builder(bundle, module).build()
    if class_name is not None:
        service.class_name = class_name
    return service
