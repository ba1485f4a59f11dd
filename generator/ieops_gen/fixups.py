"""What the model layer must not see of a schema, removed before it sees it.

:class:`Fixups` cleans every schema :mod:`.build` hands to the models: keys that are not
schema keywords (some extensions are code instructions to datamodel-code-generator),
examples, defaults that would not type-check as Python defaults, ``allOf`` bases whose
fields would clash in a subclass, long enum members and field names; a ``pattern`` is
spelled for Python's and Rust's engines as ECMA-262 reads it (:mod:`.ecma_regex`). Each
change that loses something the document said is a warning.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from . import ecma_regex, names, refs
from . import pointer as jp

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


NEEDS_PACKAGE = {
    "email": "email-validator",
    "idn-email": "email-validator",
    "ulid": "python-ulid",
}
"""Formats whose pydantic types need a package the generated code does not depend on."""

TYPED_FORMATS = {
    "integer": frozenset({"int32", "int64"}),
    "number": frozenset({"float", "double"}),
    "string": frozenset(
        {"date", "date-time", "time", "duration", "uuid", "uri", "hostname", "ipv4", "ipv6"}
        | {"byte", "binary", "decimal", *NEEDS_PACKAGE}
    ),
}
"""The formats the models type, by the JSON type they are declared on: those JSON Schema
and the OpenAPI format registry define there, whose Python types read every value the
format admits and write it back as the same JSON value. Any other format is an annotation
(as JSON Schema reads it) and the field its plain type: datamodel-code-generator's table
also types a ``number`` with ``format: date-time`` or ``decimal`` (written as JSON
strings), ``unixtime`` as an ``int`` (refusing fractions), a ``string`` with ``format:
integer`` as an ``int`` (written as a JSON number), ``password`` as a ``SecretStr``
(written as ``"**********"``) and ``path`` as a ``Path`` (``""`` written as ``"."``)."""

DROPPED_DISCRIMINATOR = "x-ieops-discriminator"
"""Where a discriminator the models cannot use is kept for the JSON Schema check."""

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


class Fixups:
    """Cleans schemas in place; ``schemas`` (class name -> schema) is what ``$ref``s reach,
    ``warnings`` gets a line for each change, ``aliases`` the short names of long fields."""

    def __init__(
        self, schemas: dict[str, Any], warnings: list[str], aliases: dict[str, str]
    ) -> None:
        self.schemas = schemas
        self.warnings = warnings
        self.aliases = aliases
        self.long_fields = names.Namer()

    def component(self, schema: Any, at: str) -> None:
        """:meth:`clean` a named schema, after dropping a default no field could take."""
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
        if "format" in schema and not _typed_format(schema):
            del schema["format"]
        if schema.get("format") in NEEDS_PACKAGE:
            self.warnings.append(
                f"{jp.join(at, 'format')}: format {schema['format']!r} read as a plain string "
                f"(validating it needs {NEEDS_PACKAGE[schema['format']]})"
            )
            del schema["format"]
        if isinstance(schema.get("pattern"), str):
            schema["pattern"] = ecma_regex.as_ecma_reads(schema["pattern"])
        if isinstance(schema.get("required"), list):  # a repeated name means the same
            schema["required"] = list(dict.fromkeys(schema["required"]))
            self.declare_required(schema, at)
        if "type" not in schema and "$ref" not in schema and not checked_only(at):
            type_as_read(schema)  # spelled out: in a union, nullable was lost without it
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
        over_union = isinstance(schema.get("allOf"), list) and self.union_part(schema) is not None
        if isinstance(schema.get("allOf"), list) and not over_union:
            self.read_parts(schema, at)
        if isinstance(schema.get("oneOf"), list):
            self.warn_overlapping_members(schema, at)
        if isinstance(schema.get("discriminator"), dict):
            self.drop_optional_discriminator(schema, at)
        if isinstance(schema.get("discriminator"), dict):
            self.warn_unnamed_tags(schema, at)
            self.map_unnamed_tags(schema)
        if "type" in schema:
            self.warn_contradicting_type(schema, at)
        if "default" in schema:
            reason = self.default_problem(schema, schema["default"])
            if reason:
                self.warnings.append(f"{at}: default {schema['default']!r} ignored: {reason}")
                del schema["default"]
        for key in refs.SCHEMA_KEYS:
            if key in schema:
                self.clean(schema[key], jp.join(at, key), depth + 1)
        for key in refs.SCHEMA_LIST_KEYS:
            if isinstance(schema.get(key), list):
                for index, sub in enumerate(schema[key]):
                    self.clean(sub, jp.join(at, key, index), depth + 1)
        for key in refs.SCHEMA_MAP_KEYS:
            if isinstance(schema.get(key), dict):
                for name, sub in schema[key].items():
                    self.clean(sub, jp.join(at, key, name), depth + 1)
        if over_union:  # its parts cleaned where the document has them, then each member's
            self.distribute(schema, at)

    def read_parts(
        self, schema: dict[str, Any], at: str, labels: list[str] | None = None, said: bool = True
    ) -> None:
        """The ``allOf`` parts as one class: closures said, clashing bases flattened,
        redeclared and inherited names dropped, required names shared (``labels`` name the
        parts where the document does not have them in this order: :meth:`distribute`)."""
        if said:
            self.warn_closed_parts(schema, at)
        self.flatten_conflicting_bases(schema, at)
        if isinstance(schema.get("allOf"), list):
            self.drop_redefined(schema["allOf"], at, labels)
            self.drop_inherited_required(schema, at)
            _share_required(schema)

    def union_part(
        self, schema: dict[str, Any]
    ) -> tuple[int, str, list[Any], dict[str, Any]] | None:
        """The first ``allOf`` part of ``schema`` that is a union (``anyOf`` or ``oneOf``,
        inline or by ``$ref``, with no discriminator): its index, keyword, members and
        other keywords; ``None`` when there is none, or the schema is a union itself."""
        if any(key in schema for key in (*UNIONS, "discriminator")):
            return None
        for index, part in enumerate(schema["allOf"]):
            union = self.target(part)
            if not isinstance(union, dict) or "discriminator" in union:
                continue
            keys = [key for key in UNIONS if isinstance(union.get(key), list) and union[key]]
            if len(keys) == 1:
                rest = {k: v for k, v in union.items() if k != keys[0] and k not in _OUTER}
                return index, keys[0], union[keys[0]], rest
        return None

    def distributed(
        self, schema: dict[str, Any]
    ) -> tuple[str, list[tuple[dict[str, Any], list[str]]]] | None:
        """``schema`` read over its first union part: ``allOf: [anyOf: [A, B], C]`` is
        ``anyOf: [allOf: [A, C], allOf: [B, C]]``, the same values (and for ``oneOf``).
        Each alternative is a copy of the schema whose ``allOf`` has the member in the
        union's place, with the pointer (relative to the schema) of each of its parts.

        datamodel-code-generator reads an ``allOf`` over a union so, one class per member
        with the other parts as bases; so written, each member's ``allOf`` is read as one
        object like any other (closures, redeclared and required names), not only as the
        bases' order happens to merge them (Hugging Face's discussions)."""
        found = self.union_part(schema)
        if found is None:
            return None
        index, key, members, rest = found
        alternatives: list[tuple[dict[str, Any], list[str]]] = []
        for number, member in enumerate(members):
            alternative = {k: copy.deepcopy(v) for k, v in schema.items() if k not in _OUTER}
            labels = [f"allOf/{i}" for i in range(len(schema["allOf"]))]
            alternative["allOf"][index] = copy.deepcopy(member)
            labels[index] = f"allOf/{index}/{key}/{number}"
            if rest:
                alternative["allOf"].append(copy.deepcopy(rest))
                labels.append(f"allOf/{index}")
            alternatives.append((alternative, labels))
        return key, alternatives

    @staticmethod
    def spread(schema: dict[str, Any], key: str, alternatives: list[dict[str, Any]]) -> None:
        """``schema`` rewritten, in place, as the union of its ``alternatives``."""
        for name in [name for name in schema if name not in _OUTER]:
            del schema[name]
        schema[key] = alternatives

    def distribute(self, schema: dict[str, Any], at: str) -> None:
        """``schema`` rewritten as :meth:`distributed` reads it, each alternative's parts
        read as one class (:meth:`read_parts`); a closed part is said once, at its pointer."""
        read = self.distributed(schema)
        if read is None:
            return
        key, alternatives = read
        closures: list[tuple[str, list[str], set[str]]] = []
        start = len(self.warnings)
        for alternative, labels in alternatives:
            required = set(self.flat_properties(alternative, 0)[1])
            for label, refused in self.closed_parts(alternative):
                named = label if label == "itself" else labels[int(label.removeprefix("allOf/"))]
                closures.append((named, refused, required))
            if self.union_part(alternative) is not None:
                self.distribute(alternative, at)
            else:
                self.read_parts(alternative, at, labels, said=False)
        # a part beside the union is read once per member: said once
        self.warnings[start:] = list(dict.fromkeys(self.warnings[start:]))
        self._say_closed(at, closures)
        self.spread(schema, key, [alternative for alternative, _ in alternatives])

    def warn_overlapping_members(self, schema: dict[str, Any], at: str) -> None:
        """A ``oneOf`` of objects each of whose values is valid for another member too
        (open, requiring nothing, declaring their shared properties alike): only a value
        carrying a property its member does not declare is valid for one member alone,
        and the models keep only the properties a member declares, so no value they send
        is valid (Deepgram's ``GetModelV1Response``, Portkey's MCP workspaces: two
        all-optional shapes). Said at the pointer; read as written (exclusivity is
        enforced), where ``anyOf`` would say what the authors likely mean."""
        members = [self.target(m) for m in schema["oneOf"]]
        if len(members) < 2 or not all(_plain_object(m) for m in members):
            return
        covering = [
            [o for o, wide in enumerate(members) if o != i and _admits_all_of(wide, member)]
            for i, member in enumerate(members)
        ]
        if not all(covering):
            return
        index, other = 0, covering[0][0]
        self.warnings.append(
            f"{at}/oneOf: every value member {index} declares is valid for member {other} too "
            "(open, requiring nothing, the shared properties alike), so only a value carrying a "
            "property its member does not declare is valid for one member alone; the models "
            "keep only the properties a member declares, so no value they send is valid for "
            "the schema (anyOf would admit them)"
        )

    def warn_closed_parts(self, schema: dict[str, Any], at: str) -> None:
        """An ``allOf`` part (or the schema itself) closed by ``additionalProperties:
        false`` while another part declares a property it does not: JSON Schema closes
        each part to its own ``properties``, so a value carrying that property is refused,
        and where the other part requires it no value is valid (AssemblyAI's
        ``TranscriptParams``: one part requires ``audio_url``, the other, closed, does not
        declare it). The models read one object closed to all the parts' properties, as the
        author meant (``unevaluatedProperties: false`` says it, :mod:`.served`); said at
        the pointer."""
        required = set(self.flat_properties(schema, 0)[1])
        self._say_closed(at, [(*found, required) for found in self.closed_parts(schema)])

    def _say_closed(self, at: str, closures: list[tuple[str, list[str], set[str]]]) -> None:
        """One warning for the closed parts found (label, names refused, names required)."""
        # the part that refuses a required name first: no value is valid for the schema
        found = sorted(closures, key=lambda f: not f[2] & set(f[1]))
        if found:
            name, refused, required = found[0]
            shown = ", ".join(repr(n) for n in refused)
            effect = (
                "no value is valid for the schema"
                if required & set(refused)
                else "a value carrying them is refused"
            )
            self.warnings.append(
                f"{at}: {'the schema' if name == 'itself' else name} is closed "
                f"(additionalProperties: false) to properties another part declares "
                f"({shown}): {effect}; the models and the served openapi.json read one "
                "object closed to all the parts' properties"
            )

    def closed_parts(self, schema: dict[str, Any]) -> list[tuple[str, list[str]]]:
        """Each part of ``schema``'s ``allOf`` (``allOf/<i>``) or ``itself`` closed to a
        property another part declares, with the names it refuses."""
        parts = [self.target(p) for p in schema["allOf"]]
        labelled = [(f"allOf/{i}", p) for i, p in enumerate(parts)] + [("itself", schema)]
        found: list[tuple[str, list[str]]] = []
        for name, closed in labelled:
            if not isinstance(closed, dict) or closed.get("additionalProperties") is not False:
                continue
            if closed.get("patternProperties"):
                continue
            own = set(closed.get("properties") or {})
            refused = [
                n
                for _, other in labelled
                if other is not closed
                for declared in self.flat_properties(other, 0)
                for n in declared
                if isinstance(n, str) and n not in own
            ]
            if refused:
                found.append((name, list(dict.fromkeys(refused))))
        return found

    def warn_contradicting_type(self, schema: dict[str, Any], at: str) -> None:
        """A ``type`` that none of the ``oneOf``/``anyOf`` members' types allows: no value is
        valid for the schema (Voyage's ``input``: ``type: object``, ``oneOf: [string,
        array]``). The models and the served document (:mod:`.served`) read the members, as
        the author meant; said at the pointer."""
        found = self.contradicting_type(schema)
        if found is not None:
            key, kinds = found
            self.warnings.append(
                f"{at}: type {schema['type']!r} allows none of its {key} members' types "
                f"({', '.join(kinds)}): no value is valid for the schema; the models and the "
                f"served openapi.json read the {key} alone"
            )

    def contradicting_type(self, schema: dict[str, Any]) -> tuple[str, list[str]] | None:
        """The keyword (``oneOf``/``anyOf``) none of whose members' types ``schema``'s
        ``type`` allows, with the types they name; ``None`` when there is none."""
        outer = _type_names(schema)
        for key in ("oneOf", "anyOf"):
            members = schema.get(key)
            if outer is None or not isinstance(members, list) or not members:
                continue
            kinds = [_type_names(self.target(m)) for m in members]
            if any(k is None for k in kinds):
                continue  # an untyped member takes any type
            if not any(_overlap(outer, k) for k in kinds if k is not None):
                return key, sorted({name for k in kinds if k is not None for name in k})
        return None

    def drop_optional_discriminator(self, schema: dict[str, Any], at: str) -> None:
        """A discriminator whose property some branch does not require: dropped.

        FastAPI writes ``type: Literal["hf"] = "hf"`` as ``{const: hf, default: hf}``, not
        required (invokeai's ``ModelInstallJob.source``). A value without the property is
        valid for the schema, and a discriminated union refuses it ("Unable to extract
        tag"); without the discriminator the union is tried branch by branch, and the
        ``const`` of each branch still tells them apart.
        """
        prop = schema["discriminator"].get("propertyName")
        branches = schema.get("oneOf") or schema.get("anyOf")
        if not isinstance(prop, str) or not isinstance(branches, list):
            return
        lacking = []
        for index, branch in enumerate(branches):
            _, required = self.flat_properties(self.target(branch), 0)
            if prop not in required:
                ref = branch.get("$ref") if isinstance(branch, dict) else None
                lacking.append(ref.rsplit("/", 1)[-1] if isinstance(ref, str) else str(index))
        if lacking:
            # kept aside for the JSON Schema check (checks.py): a value that carries the
            # tag is still held to the branch it names, so the branches stay exclusive
            schema[DROPPED_DISCRIMINATOR] = schema.pop("discriminator")
            shown = ", ".join(lacking[:3]) + (
                f" and {len(lacking) - 3} more" if len(lacking) > 3 else ""
            )
            self.warnings.append(
                f"{jp.join(at, 'discriminator')}: dropped: {shown} does not require "
                f"{prop!r} (a value without it is valid for the schema); the union is tried "
                "branch by branch"
            )

    def warn_unnamed_tags(self, schema: dict[str, Any], at: str) -> None:
        """A branch's tag value that the ``mapping`` lacks and that names no schema: OpenAPI
        reads an unmapped value as a schema's name, so a validator that reads the
        discriminator refuses every value of that branch (OpenAI's ``LockedStatus``, whose
        ``type`` is ``locked``, no mapping). The models read the branches' own values, as
        the author meant, and the served document maps them (:mod:`.served`); said at the
        pointer."""
        unnamed = [value for _, value in self.unnamed_tags(schema)]
        if unnamed:
            prop = schema["discriminator"]["propertyName"]
            shown = ", ".join(repr(v) for v in unnamed[:3])
            more = f" and {len(unnamed) - 3} more" if len(unnamed) > 3 else ""
            self.warnings.append(
                f"{jp.join(at, 'discriminator')}: {prop!r} values {shown}{more} are not in its "
                "mapping and name no schema (OpenAPI reads an unmapped value as a schema's "
                "name): the models read the branches' own values"
            )

    def map_unnamed_tags(self, schema: dict[str, Any]) -> None:
        """Map each tag value :meth:`unnamed_tags` finds to its branch, where the branch is
        a ``$ref``: the models type a branch's tag by the values mapped to it, or else by
        the schema's name (OpenAI's ``WebSearchPreviewTool``, whose ``type`` is an enum of
        two values, was ``Literal["WebSearchPreviewTool"]``), and the served document
        (:mod:`.served`) reads them so too."""
        branches: list[Any] = schema.get("oneOf") or schema.get("anyOf") or []
        for index, value in self.unnamed_tags(schema):
            branch = branches[index]
            if isinstance(branch, dict) and isinstance(branch.get("$ref"), str):
                mapping = schema["discriminator"].setdefault("mapping", {})
                if isinstance(mapping, dict):
                    mapping[value] = branch["$ref"]

    def unnamed_tags(self, schema: dict[str, Any]) -> list[tuple[int, str]]:
        """``(branch index, tag value)`` for each value of a branch's tag property that the
        discriminator's ``mapping`` lacks and that names no schema."""
        prop = schema["discriminator"].get("propertyName")
        mapping = schema["discriminator"].get("mapping")
        mapped = set(mapping) if isinstance(mapping, dict) else set()
        branches = schema.get("oneOf") or schema.get("anyOf")
        if not isinstance(prop, str) or not isinstance(branches, list):
            return []
        unnamed: list[tuple[int, str]] = []
        for index, branch in enumerate(branches):
            target = self.target(branch)
            if isinstance(target, dict) and (target.get("oneOf") or target.get("anyOf")):
                continue  # a union's own members carry its tags: no model of it has one
            for value in self.tag_values(target, prop) or ():
                if isinstance(value, str) and value not in mapped and value not in self.schemas:
                    unnamed.append((index, value))
        return unnamed

    def tag_values(self, schema: Any, prop: str, depth: int = 0) -> list[Any] | None:
        """The values ``schema`` holds its property ``prop`` to (its ``const`` or ``enum``,
        through ``$ref``, ``allOf`` parts and every member of a union), or ``None`` where it
        leaves the property free: a discriminated branch's own tags, read once for the
        models (:meth:`unnamed_tags`) and for the JSON Schema check (``checks.py``)."""
        schema = self.target(schema)
        if not isinstance(schema, dict) or depth > 16:
            return None
        own = self.target(self.flat_properties(schema, depth)[0].get(prop))
        if isinstance(own, dict) and "const" in own:
            return [own["const"]]
        if isinstance(own, dict) and isinstance(own.get("enum"), list):
            return list(own["enum"])
        members = schema.get("oneOf") or schema.get("anyOf")
        if not isinstance(members, list) or not members:
            return None
        values: list[Any] = []
        for member in members:
            found = self.tag_values(member, prop, depth + 1)
            if found is None:
                return None
            values += [v for v in found if v not in values]
        return values

    def declare_required(self, schema: dict[str, Any], at: str) -> None:
        """A required name ``properties`` does not declare becomes a property of any value
        (of ``additionalProperties``' schema when it has one).

        A model keeps only the fields it declares: the key was dropped (Hugging Face's
        fill-mask requires ``tokenStr`` beside ``token_str``), so an instance valid for the
        schema was written back without it. Left alone where another part may declare the
        name (``allOf``, ``anyOf``, ``oneOf``, ``patternProperties``) or where no other
        property may exist (``additionalProperties: false``: no instance is valid).
        """
        props = schema.get("properties")
        extra = schema.get("additionalProperties", True)
        if not isinstance(props, dict):
            return
        if any(k in schema for k in ("allOf", "anyOf", "oneOf", "patternProperties")):
            return
        missing = [n for n in schema["required"] if isinstance(n, str) and n not in props]
        if missing and extra is False:
            self.warnings.append(
                f"{jp.join(at, 'required')}: {', '.join(map(repr, missing))} required but "
                "not declared, and additionalProperties: false forbids it: the schema "
                "admits no value"
            )
            return
        for name in missing:
            props[name] = copy.deepcopy(extra) if isinstance(extra, dict) else {}
        if missing:
            kind = "additionalProperties' schema" if isinstance(extra, dict) else "any value"
            self.warnings.append(
                f"{jp.join(at, 'required')}: {', '.join(map(repr, missing))} required but "
                f"properties does not declare it: a required field of {kind}"
            )

    def drop_redefined(self, parts: list[Any], at: str, labels: list[str] | None = None) -> None:
        """In ``allOf: [$ref Parent, {properties: ...}]``, keep the parent's property types.

        A part that redeclares a property its referenced parent already has would make the
        generated subclass override the field with another type, which mypy rejects; the
        instance must satisfy the parent's declaration anyway. Where the part needs the
        name (:func:`_still_said`) it stays declared, as any value, which
        datamodel-code-generator types as the parent does.
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
                declared = part["properties"]
                for name in sorted(inherited & set(declared)):
                    if _still_said(part, name):
                        declared[name] = {}
                    else:
                        del declared[name]
                    label = labels[index] if labels else f"allOf/{index}"
                    self.warnings.append(
                        f"{at}/{label}/properties/{jp.escape(name)}: redeclares an "
                        "inherited property; the parent's declaration is used"
                    )

    def flatten_conflicting_bases(self, schema: dict[str, Any], at: str) -> None:
        """``allOf`` of bases that declare one property differently: one flat model.

        Two base classes with one field of different types (``name: str`` in one,
        ``name: str | None = None`` in the other) make a class mypy refuses; the schema then
        becomes a plain object with every part's properties. Where the parts disagree, the
        declaration of a part that requires the property wins (the stricter one), else the
        first; values valid for the document stay valid. A closed base closes the flat
        model (it let through what the base refused).
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
                declared = (_shape(sub, _META), name in required)
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
        targets = [self.target(part) for part in parts]
        if any(isinstance(t, dict) and t.get("additionalProperties") is False for t in targets):
            schema["additionalProperties"] = False  # closed, as the closed base was
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
        target = self.target(schema)
        if not self.default_fits(schema, value):
            if isinstance(target, dict) and "type" not in target and _union(target):
                return self.union_problem(target, value)
            return "it does not fit the schema's type"
        if (
            target is not schema
            and is_enum(target)
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
        if value is None and isinstance(target, dict) and _union(target):
            return "a null default on a union is implied by its optional field"
        return None

    def target(self, schema: Any) -> Any:
        """The schema behind ``$ref`` and one-element ``allOf`` wrappers."""
        return self.follow(schema)[0]

    def follow(self, schema: Any) -> tuple[Any, bool]:
        """:meth:`target`, and whether it stopped at a ``$ref`` it cannot follow (not to a
        component schema, or to a pointer inside one)."""
        target = schema
        for _ in range(8):
            if not isinstance(target, dict):
                return target, False
            if "$ref" in target:
                match = refs.SCHEMA_REF.match(target["$ref"])
                if not match or match.group(2):
                    return target, True
                target = self.schemas.get(jp.unescape(match.group(1)))
            elif isinstance(target.get("allOf"), list) and len(target["allOf"]) == 1:
                target = target["allOf"][0]
            else:
                return target, False
        return target, False

    def default_fits(self, schema: dict[str, Any], value: Any) -> bool:
        target, unfollowed = self.follow(schema)
        if unfollowed:
            return True
        if not isinstance(target, dict):
            return True
        kinds = target.get("type")
        if kinds is None:
            if "properties" in target:
                kinds = "object"
            elif "enum" in target:
                return value in target["enum"] or value is None
            elif _union(target):
                return value is None or self.union_problem(target, value) is None
            else:
                return True
        kinds = kinds if isinstance(kinds, list) else [kinds]
        if value is None:
            return (
                "null" in kinds or schema.get("nullable") is True or target.get("nullable") is True
            )
        return any(_is_type(value, kind) for kind in kinds)

    def union_problem(self, union: dict[str, Any], value: Any) -> str | None:
        """Why no member of ``union`` takes ``value`` as a Python default that type-checks
        (``tool_choice: Mode | Named = Mode.auto``, ``limit: int | str = 5``), or ``None``."""
        members = {
            key: union[key] for key in ("anyOf", "oneOf") if isinstance(union.get(key), list)
        }
        if any(_own_class(m) for listed in members.values() for m in listed):
            return (
                "a member with constraints becomes a class of its own (a root model), to "
                "which the default would be copied, where it does not type-check"
            )
        takers = {
            key: sum(self.member_takes(m, value) for m in listed) for key, listed in members.items()
        }
        if 0 in takers.values():
            return (
                "no member of the union takes it as a Python default (a model, a constrained "
                "or formatted value, or a referenced schema other than an enum is not one)"
            )
        if sum(self.member_accepts(m, value) for m in members.get("oneOf", [])) > 1:
            return "it is valid under more than one oneOf member, so not valid for the oneOf"
        return None

    def member_accepts(self, member: Any, value: Any) -> bool:
        """Whether ``value`` may be valid under ``member`` (its JSON type or enum, or any
        value for an untyped member): a wider test than :meth:`member_takes`, for ``oneOf``."""
        target = self.target(member)
        if not isinstance(target, dict):
            return False
        if self.member_takes(member, value):
            return True
        if "enum" in target:
            return value in target["enum"]
        if target.get("format") in _WRAPPED_FORMATS:  # asserted, as in the models
            return False
        kinds = target.get("type")
        kinds = kinds if isinstance(kinds, list) else [kinds]
        return any(_is_type(value, kind) for kind in kinds)

    def member_takes(self, member: Any, value: Any) -> bool:
        """A scalar, or a list of them, for a plain inline member of its type; a value of an
        enum, inline or referenced; anything, for an untyped member (``Any``)."""
        target = self.target(member)
        if not isinstance(target, dict):
            return False
        if target is not member:  # through a $ref
            return is_enum(target) and value in target["enum"]
        keys = set(target) - _ANNOTATIONS
        if not keys & _TYPING:
            return True
        if "enum" in target:
            return value in target["enum"]
        if "const" in target:
            return bool(value == target["const"])
        if isinstance(value, dict) or not keys <= {"type", "items", "format", "title", "nullable"}:
            return False
        if target.get("format") in _WRAPPED_FORMATS:
            return False
        kinds = target.get("type")
        kinds = kinds if isinstance(kinds, list) else [kinds]
        if not any(_is_type(value, kind) for kind in kinds):
            return False
        if not isinstance(value, list):
            return True
        items = target.get("items", {})
        plain = isinstance(items, dict) and set(items) - _ANNOTATIONS <= {"type"}
        return plain and all(self.member_takes(items, entry) for entry in value)


def _own_class(member: Any) -> bool:
    """Whether an inline union member becomes a root model of its own: a scalar or an array
    with constraints (``{type: integer, minimum: 1}``), or a nested union. When a union's
    default is kept, datamodel-code-generator copies it into such a class, where it does
    not type-check (portkey's ``class NEpochs(RootModel[int]): root: ... = "auto"``)."""
    if not isinstance(member, dict) or "$ref" in member:
        return False
    if _union(member):
        return True
    own = (
        set(member)
        - _ANNOTATIONS
        - {"type", "items", "format", "title", "enum", "const", "nullable"}
    )
    return bool(own) and not own & {"properties", "additionalProperties", "required", "allOf"}


_ANNOTATIONS = frozenset(
    {
        "title", "description", "examples", "example", "deprecated", "$comment", "readOnly",
        "writeOnly",
    }
)  # fmt: skip
"""Keywords that change neither what a schema admits, nor a member's Python type, nor
whether it becomes a class."""

_TYPING = frozenset(
    {
        "type", "enum", "const", "properties", "additionalProperties", "items", "prefixItems",
        "oneOf", "anyOf", "allOf", "not", "$ref",
    }
)  # fmt: skip
"""Keywords that give a schema a Python type; a member with none of them is ``Any``."""

CHECKED_ONLY = frozenset(
    {
        "not",
        "if",
        "then",
        "else",
        "contains",
        "propertyNames",
        "dependentSchemas",
        "dependencies",
        "unevaluatedItems",
        "unevaluatedProperties",
        "additionalItems",
    }
)
"""Keywords whose schemas the models leave to their JSON Schema check."""


def checked_only(pointer: str) -> bool:
    """Whether the schema at ``pointer`` lies under a keyword of :data:`CHECKED_ONLY`
    (a token that names a property, a path or a component is no keyword)."""
    names = False
    for token in jp.split(pointer):
        if names:
            names = False
        elif token in CHECKED_ONLY:
            return True
        else:
            names = token in refs.NAME_MAPS
    return False


def type_as_read(schema: dict[str, Any]) -> None:
    """The ``type`` datamodel-code-generator gives a typeless schema, written out."""
    if isinstance(schema.get("properties"), dict):
        schema["type"] = "object"
    elif isinstance(schema.get("items"), (dict, bool)) or isinstance(
        schema.get("prefixItems"), list
    ):
        schema["type"] = "array"


_PLAIN_OBJECT = frozenset(
    {
        "type", "properties", "required", "additionalProperties", "title", "description",
        "nullable", "deprecated", "readOnly", "writeOnly", "example", "examples",
    }
)  # fmt: skip
"""What an object member may say for :func:`_admits_all_of` to read it."""


def _plain_object(schema: Any) -> bool:
    """An object schema of properties alone (no other bounds on what it admits)."""
    return (
        isinstance(schema, dict)
        and set(schema) <= _PLAIN_OBJECT
        and schema.get("type", "object") == "object"
        and isinstance(schema.get("properties"), dict)
    )


def _admits_all_of(schema: dict[str, Any], other: dict[str, Any]) -> bool:
    """Whether plain object ``schema`` admits every object of ``other``'s properties alone:
    open, requiring nothing, declaring each property they share as ``other`` does."""
    if schema.get("additionalProperties", True) is not True or schema.get("required"):
        return False
    shared = set(schema["properties"]) & set(other["properties"])
    return all(
        _shape(schema["properties"][name]) == _shape(other["properties"][name]) for name in shared
    )


def _shape(schema: Any, ignored: frozenset[str] = _ANNOTATIONS) -> str:
    """``schema`` without the ``ignored`` keywords, as text to compare."""
    if isinstance(schema, dict):
        schema = {k: v for k, v in schema.items() if k not in ignored}
    return json.dumps(schema, sort_keys=True, default=str)


UNIONS = ("anyOf", "oneOf")

_OUTER = frozenset(
    {
        "title", "description", "default", "deprecated", "readOnly", "writeOnly",
        "externalDocs", "nullable", "$schema", "$id", "$anchor", "$comment", "$defs",
        "definitions",
    }
)  # fmt: skip
"""Keywords of an ``allOf`` over a union that stay on the whole when it is distributed:
annotations, identifiers and definitions, said once (``nullable`` admits ``null`` beside
the union)."""

_META = frozenset(
    {
        "description", "title", "default", "deprecated", "readOnly", "writeOnly", "examples",
        "minLength", "maxLength", "pattern", "minimum", "maximum", "exclusiveMinimum",
        "exclusiveMaximum", "multipleOf", "minItems", "maxItems", "uniqueItems",
    }
)  # fmt: skip
"""Keywords that do not change a field's Python type: bases may differ in them."""


def _still_said(part: dict[str, Any], name: str) -> bool:
    """Whether an ``allOf`` part must keep declaring ``name``, a property a parent declares:
    the part requires it (a name required but not declared was dropped with the ``required``
    in a union member's model), or it is the part's last property and the part is closed
    (the emptied part vanished from a union member's model, its closure with it). Elsewhere
    the name is dropped: kept as any value beside several parents, it was typed ``Any``."""
    if isinstance(part.get("required"), list) and name in part["required"]:
        return True
    return part.get("additionalProperties") is False and len(part["properties"]) == 1


def _share_required(schema: dict[str, Any]) -> None:
    """Each name the whole or an inline ``allOf`` part requires, required by every inline
    part that declares the property: datamodel-code-generator keeps the first inline
    declaration of a property and drops a later part's ``required`` with the later
    declaration (``allOf: [{properties: {a}}, {properties: {a}, required: [a]}]`` made
    ``a`` optional). The same instances are valid: every part holds for the whole."""
    parts = [p for p in schema["allOf"] if isinstance(p, dict) and "$ref" not in p]
    names: list[str] = []
    for owner in (schema, *parts):
        if isinstance(owner.get("required"), list):
            names += [n for n in owner["required"] if isinstance(n, str)]
    for part in parts:
        declared = part.get("properties")
        if not isinstance(declared, dict):
            continue
        wanted = [n for n in dict.fromkeys(names) if n in declared]
        have = part["required"] if isinstance(part.get("required"), list) else []
        if missing := [n for n in wanted if n not in have]:
            part["required"] = [*have, *missing]


def _typed_format(schema: dict[str, Any]) -> bool:
    """Whether the models may type ``schema``'s format (:data:`TYPED_FORMATS`): on every
    JSON type it declares but ``null``; a schema with no type is left to its other keywords."""
    kinds = (_type_names(schema) or set()) - {"null"}
    return all(schema["format"] in TYPED_FORMATS.get(kind, ()) for kind in kinds)


_WRAPPED_FORMATS = TYPED_FORMATS["string"] - {"hostname", *NEEDS_PACKAGE}
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


def _type_names(schema: Any) -> set[str] | None:
    """The JSON types a schema's ``type`` names, with ``null`` for 3.0's ``nullable``
    (``None``: it names none it can read)."""
    kind = schema.get("type") if isinstance(schema, dict) else None
    if isinstance(kind, str):
        names = {kind}
    elif isinstance(kind, list) and kind and all(isinstance(k, str) for k in kind):
        names = set(kind)
    else:
        return None
    return names | {"null"} if schema.get("nullable") is True else names


def _overlap(one: set[str], other: set[str]) -> bool:
    """Whether a value can have a type of both (an integer is a number)."""
    widen = {"integer": {"integer", "number"}, "number": {"number", "integer"}}
    return any(widen.get(k, {k}) & other for k in one)


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


def _union(schema: dict[str, Any]) -> bool:
    return "oneOf" in schema or "anyOf" in schema


def is_enum(schema: Any) -> bool:
    return isinstance(schema, dict) and "enum" in schema and "properties" not in schema
