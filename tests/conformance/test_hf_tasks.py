"""The Hugging Face task wrapper: one OpenAPI document per task, every ``$ref`` resolved;
and how ``CONFORMANCE_ONLY`` picks documents (``huggingface-tasks/`` for these)."""

from __future__ import annotations

from typing import Any

import pytest

from . import corpus
from .conftest import DOCS
from .hf_tasks import load_task, task_document, tasks
from .schemas import pointer

COMMON = {
    "$id": "/inference/schemas/common-definitions.json",
    "definitions": {
        "Shared": {"type": "object", "properties": {"x": {"$ref": "#/definitions/Leaf"}}},
        "Leaf": {"type": "string"},
        "Unused": {"type": "integer"},
    },
}
COMMON_REF = "/inference/schemas/common-definitions.json#/definitions/"


def _files() -> dict[str, Any]:
    return {
        "input": {
            "$id": "/inference/schemas/t/input.json",
            "$schema": "http://json-schema.org/draft-06/schema#",
            "title": "TInput",
            "type": "object",
            "properties": {
                "p": {"$ref": "#/$defs/<TASK_ID>Params"},
                "s": {"$ref": COMMON_REF + "Shared"},
                "pair": {"type": "array", "items": [{"type": "string"}], "additionalItems": False},
                "stream": {"type": "boolean"},
            },
            "$defs": {"<TASK_ID>Params": {"type": "object"}, "Leaf": {"type": "integer"}},
        },
        "output": {
            "title": "TOutput",
            "type": "array",
            "items": {"$ref": "#/$defs/Leaf"},
            "$defs": {"Leaf": {"type": "number"}},
        },
        "stream_output": {
            "title": "TStreamOutput",
            "$defs": {"Leaf": {"type": "boolean"}},
            "properties": {"leaf": {"$ref": "#/$defs/Leaf"}, "whole": {"$ref": "#"}},
        },
    }


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def test_a_task_becomes_one_json_or_sse_operation_with_lifted_schemas() -> None:
    doc = task_document("text-thing", _files(), COMMON)
    op = doc["paths"]["/text-thing"]["post"]
    assert op["operationId"] == "textThing"
    assert op["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/TInput"
    }
    content = op["responses"]["200"]["content"]
    assert content["text/event-stream"]["schema"]["$ref"] == "#/components/schemas/TStreamOutput"
    schemas = doc["components"]["schemas"]
    # a name another file took first gets its file's role in front (roots are named first)
    assert list(schemas) == [
        "TInput", "_TASK_ID_Params", "Leaf", "TOutput", "OutputLeaf", "TStreamOutput",
        "StreamOutputLeaf", "CommonLeaf", "Shared",
    ]  # fmt: skip
    assert schemas["Leaf"] == {"type": "integer"}
    assert schemas["TOutput"]["items"] == {"$ref": "#/components/schemas/OutputLeaf"}
    assert schemas["TStreamOutput"]["properties"] == {
        "leaf": {"$ref": "#/components/schemas/StreamOutputLeaf"},
        "whole": {"$ref": "#/components/schemas/TStreamOutput"},
    }
    assert schemas["Shared"]["properties"]["x"] == {"$ref": "#/components/schemas/CommonLeaf"}
    assert "Unused" not in schemas
    assert not {"$id", "$schema", "$defs"} & set(schemas["TInput"])
    assert schemas["TInput"]["properties"]["pair"] == {
        "type": "array", "prefixItems": [{"type": "string"}], "items": False,
    }  # fmt: skip
    assert all(pointer(doc, ref) is not None for ref in _refs(doc))
    assert task_document("text-thing", _files(), COMMON) == doc  # depends only on the files


def test_a_task_without_a_stream_schema_answers_json_only() -> None:
    files = _files()
    del files["stream_output"]
    doc = task_document("t", files, COMMON)
    assert list(doc["paths"]["/t"]["post"]["responses"]["200"]["content"]) == ["application/json"]


@pytest.mark.skipif(not corpus.HF_TASKS.is_dir(), reason="the spec corpus is not there")
def test_every_task_of_the_corpus_has_resolving_refs() -> None:
    import json

    common = json.loads((corpus.HF_TASKS / "common-definitions.json").read_text())
    found = tasks(corpus.HF_TASKS)
    assert len(found) >= 30
    for task in found:
        doc = task_document(task, load_task(corpus.HF_TASKS, task), common)
        missing = [ref for ref in _refs(doc) if pointer(doc, ref) is None]
        assert not missing, (task, missing)
    rows = [d.rel for d in DOCS if d.rel.startswith("huggingface-tasks/")]
    assert rows == [f"huggingface-tasks/{task}" for task in found]


def test_only_selects_by_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    """A document ``CONFORMANCE_ONLY`` leaves out is not in the run (its skip says so, not
    "swept only by the soak")."""
    doc = next(d for d in DOCS if d.rel.startswith("wire/"))
    monkeypatch.setenv("CONFORMANCE_ONLY", "huggingface-tasks/,schemas/")
    assert not doc.selected and not doc.in_ci
    monkeypatch.setenv("CONFORMANCE_ONLY", "wire/")
    assert doc.selected and doc.in_ci
