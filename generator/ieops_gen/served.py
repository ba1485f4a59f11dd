"""The served ``openapi.json`` reads schemas that admit no value as the models do.

Where a schema admits no JSON value, :mod:`.fixups` warns and the models read it as its
author meant. Clients, validators and fuzzers read the document the server serves, so the
same reading is written into the bundled document, after the models have taken their
copies: otherwise it refuses every value the server takes.

- a ``type`` that no ``oneOf``/``anyOf`` member allows is dropped (Voyage's ``input``);
- ``allOf`` parts closed by ``additionalProperties: false`` to what another part
  requires are opened, a referenced one as an inline copy (the component, used alone,
  stays closed), and the whole is closed to every part's properties with
  ``unevaluatedProperties: false`` (3.1 and later; a 3.0 document cannot say it, and the
  whole is left open there): AssemblyAI's ``TranscriptParams``;
- a branch's tag value that the discriminator's ``mapping`` lacks and that names no
  schema is mapped to its branch, where the branch is a ``$ref`` (OpenAI's ChatKit
  statuses).
"""

from __future__ import annotations

import copy
from typing import Any

from . import fixups, refs


def read_as_the_models_do(doc: dict[str, Any]) -> None:
    """Rewrite, in place, the schemas of ``doc`` that admit no value (see the module)."""
    components = doc.get("components")
    schemas = components.get("schemas") if isinstance(components, dict) else None
    reader = fixups.Fixups(schemas if isinstance(schemas, dict) else {}, [], {})
    # the parts' copies are taken last, from components already rewritten
    for node, _ in list(refs.objects(doc)):
        if "type" in node and reader.contradicting_type(node) is not None:
            del node["type"]
        if isinstance(node.get("discriminator"), dict):
            reader.map_unnamed_tags(node)
    closes = not str(doc.get("openapi", "")).startswith("3.0")
    for node, _ in list(refs.objects(doc)):
        if isinstance(node.get("allOf"), list):
            _close_as_one(reader, node, closes)


def _close_as_one(reader: fixups.Fixups, schema: dict[str, Any], closes: bool) -> None:
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
