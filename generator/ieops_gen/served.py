"""The served ``openapi.json`` reads schemas as the models do.

Where a schema admits no JSON value, or is spelled as another version of OpenAPI spells
it, :mod:`.fixups` warns or datamodel-code-generator reads it as its author meant.
Clients, validators and fuzzers read the document the server serves, so the same reading
is written into the bundled document, after the models have taken their copies:
otherwise it refuses values the server takes, or is no valid document at all.

- a ``type`` that no ``oneOf``/``anyOf`` member allows is dropped (Voyage's ``input``);
- ``allOf`` parts closed by ``additionalProperties: false`` to what another part
  requires are opened, a referenced one as an inline copy (the component, used alone,
  stays closed), and the whole is closed to every part's properties with
  ``unevaluatedProperties: false`` (3.1 and later; a 3.0 document cannot say it, and the
  whole is left open there): AssemblyAI's ``TranscriptParams``; an ``allOf`` over a union
  part so closed is read over each member, ``anyOf: [allOf: [A, C], allOf: [B, C]]``,
  each closed as one (Hugging Face's discussions; in 3.0, where the members are opened
  and overlap, a ``oneOf`` so read is served as an ``anyOf``);
- a branch's tag value that the discriminator's ``mapping`` lacks and that names no
  schema is mapped to its branch, where the branch is a ``$ref`` (OpenAI's ChatKit
  statuses);
- an exclusive bound spelled as the other version spells it is written in the document's
  own: a number in 3.0 (TGI's ``exclusiveMinimum: 0``, which 3.0 spells ``minimum: 0,
  exclusiveMinimum: true``), a boolean in 3.1; a boolean without the bound it qualifies
  is dropped (LoRAX's ``top_p``: draft 4 refuses it). The models read either; a 3.0
  validator refused the document, so schemathesis drew no request for nine TGI
  operations;
- a schema with no ``type`` whose ``properties`` or ``items`` the models read as an
  object or an array is served with that ``type`` (OpenAI's
  ``POST /conversations/{id}/items`` body: JSON Schema admits ``null`` and numbers there,
  the models refuse them), except under keywords only the models' JSON Schema check reads
  (``not``, ``if``, ``contains``, ...), where a ``type`` would change what they admit;
- a name repeated in ``required`` or a value in ``enum`` is written once (invokeai
  repeats ``type`` in 112 schemas, Portkey ``azure-openai`` in a provider enum) and,
  after 3.0, draft 2019-09's ``$recursiveAnchor: true`` is dropped (OpenAI's
  ``CompoundFilter``): the meta-schemas refuse them, and the models read the repeated
  item once and ignore the anchor.
"""

from __future__ import annotations

import copy
import json
from typing import Any, TypeGuard

from . import fixups, refs


def read_as_the_models_do(doc: dict[str, Any]) -> None:
    """Rewrite, in place, the schemas of ``doc`` a validator would read otherwise than
    the models (see the module)."""
    components = doc.get("components")
    schemas = components.get("schemas") if isinstance(components, dict) else None
    reader = fixups.Fixups(schemas if isinstance(schemas, dict) else {}, [], {})
    v30 = str(doc.get("openapi", "")).startswith("3.0")
    # the parts' copies are taken last, from components already rewritten
    for node, at in list(refs.objects(doc)):
        _in_own_draft(node, v30)
        if "type" not in node and "$ref" not in node and not fixups.checked_only(at):
            fixups.type_as_read(node)
        if "type" in node and reader.contradicting_type(node) is not None:
            del node["type"]
        if isinstance(node.get("discriminator"), dict):
            reader.map_unnamed_tags(node)
    for node, _ in list(refs.objects(doc)):
        if isinstance(node.get("allOf"), list):
            _close_as_one(reader, node, closes=not v30)


_UNIQUE = ("required", "enum", "type")
"""Arrays the meta-schemas hold to unique items."""

_BOUNDS = (("exclusiveMinimum", "minimum", 1), ("exclusiveMaximum", "maximum", -1))
"""Each exclusive bound, its inclusive one, and the sign of "tighter" for it."""


def _in_own_draft(schema: dict[str, Any], v30: bool) -> None:
    """``schema`` as the JSON Schema draft of its document spells it (see the module)."""
    for key in _UNIQUE:
        if isinstance(schema.get(key), list):
            texts = [json.dumps(item, sort_keys=True) for item in schema[key]]
            schema[key] = [schema[key][i] for i, text in enumerate(texts) if text not in texts[:i]]
    if not v30:
        schema.pop("$recursiveAnchor", None)
    for exclusive, inclusive, sign in _BOUNDS:
        value = schema.get(exclusive)
        if v30 and _is_number(value):
            limit = schema.get(inclusive)
            if _is_number(limit) and (limit - value) * sign > 0:
                del schema[exclusive]  # the inclusive bound already excludes it
            else:
                schema[inclusive], schema[exclusive] = value, True
        elif v30 and isinstance(value, bool) and not _is_number(schema.get(inclusive)):
            del schema[exclusive]  # bounds nothing (LoRAX's top_p); draft 4 refuses it
        elif not v30 and isinstance(value, bool):
            del schema[exclusive]
            if value and _is_number(schema.get(inclusive)):
                schema[exclusive] = schema.pop(inclusive)


def _is_number(value: Any) -> TypeGuard[float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _close_as_one(reader: fixups.Fixups, schema: dict[str, Any], closes: bool) -> bool:
    """Whether ``schema``'s ``allOf`` was closed as one (see the module); over a union
    part, each member's ``allOf`` (:meth:`.fixups.Fixups.distributed`)."""
    read = reader.distributed(schema)
    if read is not None:
        key, alternatives = read
        closed = [_close_as_one(reader, alternative, closes) for alternative, _ in alternatives]
        if not any(closed):
            return False
        for alternative, _ in alternatives:  # the copies' own schemas, as any other
            for node, _ in list(refs.objects(alternative)):
                if node is not alternative and isinstance(node.get("allOf"), list):
                    _close_as_one(reader, node, closes)
        # opened and left open (3.0), members overlap that closed did not: at least
        # what the models take is admitted
        key = key if closes else "anyOf"
        reader.spread(schema, key, [alternative for alternative, _ in alternatives])
        return True
    found = reader.closed_parts(schema)
    for label, _ in found:
        if label == "itself":
            del schema["additionalProperties"]
            continue
        index = int(label.removeprefix("allOf/"))
        part = schema["allOf"][index]
        target = reader.target(part)
        if target is not part:
            target = copy.deepcopy(target)
            schema["allOf"][index] = target
        del target["additionalProperties"]
    if found and closes:
        schema["unevaluatedProperties"] = False
    return bool(found)
