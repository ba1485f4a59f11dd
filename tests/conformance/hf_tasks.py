"""Hugging Face task specs (JSON Schema draft-06) as OpenAPI 3.1 documents for the sweep.

``../shared/specs/huggingface-tasks/<task>/spec/`` holds ``input.json``, ``output.json`` and,
for the streaming tasks, ``stream_output.json`` (the SSE chunk), plus a shared
``common-definitions.json`` that files ``$ref`` as
``/inference/schemas/common-definitions.json#/definitions/...``. There is no OpenAPI
document, so ``task_document`` writes one around each task: ``POST /<task>`` (operationId
the task in camelCase) whose JSON body is the input schema and whose 200 answer is the
output schema as ``application/json`` and, with a stream schema, the chunk as
``text/event-stream`` too (a JSON-or-SSE operation: both inputs carry ``stream``, the
generator's default stream flag).

One document per task, not one for all: each task is one row of docs/conformance.md (a
failing task does not hide the others, ``CONFORMANCE_ONLY=huggingface-tasks/fill-mask``
picks one), and the only names two tasks share are the common definitions, which are then
never in conflict. Inside a document the names are, in order: each file's root schema by
its ``title`` (``FillMaskInput``), then each file's ``$defs`` by key, then the common
definitions the files use; a name already taken gets the owning file's role in front
(``Output``, ``StreamOutput``, ``Common``), then a number, so the result depends only on
the files. Names are made OpenAPI component keys
(``[A-Za-z0-9._-]``: the placeholder task's ``<TASK_ID>Parameters``).

The schemas are copied as written, with three changes that lifting needs: ``$ref``s point
at the lifted components, ``$defs`` / ``definitions`` move out, and ``$id`` / ``$schema``
go (an ``$id`` left on a lifted schema would make its rewritten ``#/components/...`` refs
resolve inside that schema). Draft-06 keywords that 2020-12 spells differently are
respelled (array ``items`` and ``additionalItems``, ``dependencies``); everything else the
files use means the same in both. Vendor quirks (``nullable``, ``required`` naming a
property that is not there, string defaults on booleans) are left for the generator.

Pure: ``task_document`` takes the parsed files and returns the document; ``write_all``
reads the folder and writes ``<task>.json`` files into a folder the caller owns (a temp
dir, never the shared corpus).
"""

from __future__ import annotations

import copy
import itertools
import json
import re
from pathlib import Path
from typing import Any

COMMON = "common-definitions.json"
ROLES = ("input", "output", "stream_output")  # the files of a task, in naming order
_KEY = re.compile(r"[^A-Za-z0-9._-]")
_REF = "#/components/schemas/"


def tasks(folder: Path) -> list[str]:
    """The task folders that have both an input and an output schema, sorted."""
    return sorted(
        p.parent.parent.name
        for p in folder.glob("*/spec/input.json")
        if (p.parent / "output.json").is_file()
    )


def camel(task: str) -> str:
    """``fill-mask`` -> ``fillMask``."""
    head, *rest = task.split("-")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _pascal(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[-_]", name))


def task_document(task: str, files: dict[str, Any], common: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI 3.1 document of one task; ``files`` maps a role of ``ROLES`` to its
    parsed schema (``input`` and ``output`` required), ``common`` is common-definitions."""
    names: dict[tuple[str, str], str] = {}  # (role, "" for the root or a $defs key) -> name
    taken: set[str] = set()

    def claim(role: str, key: str, wanted: str) -> None:
        base = _KEY.sub("_", wanted) or "Schema"
        candidates = [base, _KEY.sub("_", _pascal(role) + base)]
        numbered = (f"{candidates[1]}{n}" for n in itertools.count(2))
        name = next(c for c in itertools.chain(candidates, numbered) if c not in taken)
        taken.add(name)
        names[(role, key)] = name

    roles = [r for r in ROLES if r in files]
    for role in roles:
        root = files[role]
        claim(role, "", root.get("title") or _pascal(task) + _pascal(role))
    for role in roles:
        for key in files[role].get("$defs") or {}:
            claim(role, key, key)
    used = sorted(_common_used(files, common))
    for key in used:
        claim("common", key, key)

    def rewrite(node: Any, role: str) -> Any:
        if isinstance(node, list):
            return [rewrite(item, role) for item in node]
        if not isinstance(node, dict):
            return node
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                out[key] = _target(value, role, names, task)
            elif key in ("properties", "patternProperties", "$defs", "definitions"):
                out[key] = {k: rewrite(v, role) for k, v in value.items()}
            else:
                out[key] = rewrite(value, role)
        return _respell(out)

    schemas: dict[str, Any] = {}
    for role in roles:
        schemas[names[(role, "")]] = rewrite(_strip(files[role]), role)
        for key, schema in (files[role].get("$defs") or {}).items():
            schemas[names[(role, key)]] = rewrite(schema, role)
    for key in used:
        schemas[names[("common", key)]] = rewrite(common["definitions"][key], "common")

    content: dict[str, Any] = {
        "application/json": {"schema": {"$ref": _REF + names[("output", "")]}}
    }
    if "stream_output" in files:
        content["text/event-stream"] = {"schema": {"$ref": _REF + names[("stream_output", "")]}}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": f"Hugging Face {task}",
            "version": "1",
            "description": f"The {task} task of the Hugging Face Inference API, wrapped by "
            "tests/conformance/hf_tasks.py from its JSON Schemas.",
        },
        "paths": {
            f"/{task}": {
                "post": {
                    "operationId": camel(task),
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {"schema": {"$ref": _REF + names[("input", "")]}}
                        },
                    },
                    "responses": {"200": {"description": f"{task} output", "content": content}},
                }
            }
        },
        "components": {"schemas": schemas},
    }


def _strip(schema: dict[str, Any]) -> dict[str, Any]:
    """A root schema without what lifting moves or drops."""
    drop = ("$id", "$schema", "$defs", "definitions")
    return {k: v for k, v in schema.items() if k not in drop}


def _common_used(files: dict[str, Any], common: dict[str, Any]) -> set[str]:
    """The common definitions the task's files reach, directly or through each other."""
    found: set[str] = set()
    todo: list[tuple[Any, bool]] = [(files[r], False) for r in ROLES if r in files]
    while todo:
        node, in_common = todo.pop()
        if isinstance(node, list):
            todo.extend((item, in_common) for item in node)
        elif isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and "#/definitions/" in ref:
                where = ref.split("#", 1)[0]
                if where.endswith(COMMON) or (in_common and not where):
                    key = ref.split("#", 1)[1].split("/")[2]
                    if key not in found:
                        found.add(key)
                        todo.append((common["definitions"][key], True))
            todo.extend((v, in_common) for k, v in node.items() if k != "$ref")
    return found


def _target(ref: str, role: str, names: dict[tuple[str, str], str], task: str) -> str:
    """A file's ``$ref`` as a ref to the lifted component (and any pointer below it)."""
    where, _, fragment = ref.partition("#")
    if where.endswith(COMMON):
        role = "common"
    elif where:
        role = next((r for r in ROLES if where.endswith(f"/{r}.json")), "")
        if not role:
            raise ValueError(f"{task}: a $ref outside the task's files: {ref}")
    parts = fragment.split("/")[1:] if fragment else []
    if len(parts) >= 2 and parts[0] in ("$defs", "definitions"):
        head, rest = names[(role, parts[1])], parts[2:]
    else:
        head, rest = names[(role, "")], parts
    return _REF + "/".join([head, *rest])


def _respell(node: dict[str, Any]) -> dict[str, Any]:
    """Draft-06 keywords in their 2020-12 spelling (same meaning)."""
    if isinstance(node.get("items"), list):
        node["prefixItems"] = node.pop("items")
        if "additionalItems" in node:
            node["items"] = node.pop("additionalItems")
    deps = node.pop("dependencies", None)
    if isinstance(deps, dict):
        for key, value in deps.items():
            kind = "dependentRequired" if isinstance(value, list) else "dependentSchemas"
            node.setdefault(kind, {})[key] = value
    return node


def load_task(folder: Path, task: str) -> dict[str, Any]:
    """The parsed files of one task, by role."""
    spec = folder / task / "spec"
    return {
        role: json.loads((spec / f"{role}.json").read_text(encoding="utf-8"))
        for role in ROLES
        if (spec / f"{role}.json").is_file()
    }


def write_all(folder: Path, out: Path) -> list[Path]:
    """Write ``<task>.json`` for every task of ``folder`` into ``out``; the paths, sorted."""
    common = json.loads((folder / COMMON).read_text(encoding="utf-8"))
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for task in tasks(folder):
        doc = task_document(task, load_task(folder, task), copy.deepcopy(common))
        path = out / f"{task}.json"
        path.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        written.append(path)
    return written
