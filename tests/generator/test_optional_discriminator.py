"""A discriminator whose property some branch does not require (FastAPI writes
``type: Literal["hf"] = "hf"`` as ``{const: hf, default: hf}``, not required; invokeai's
``ModelInstallJob.source``): a value without the property is valid for the schema, but a
discriminated union refuses it ("Unable to extract tag"), so the models refused
schema-valid answers. Such a discriminator is dropped from the models, with a warning, and
the union is tried branch by branch (the ``const`` still tells the branches apart); one
that every branch requires is kept. Checked over drawn shapes: which branches require the
tag, and whether a value carries it."""

from __future__ import annotations

import importlib
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import pydantic
from hypothesis import given, settings
from hypothesis import strategies as st
from ieops_gen.pipeline import run
from ieops_gen.write import write_tree

from tests.support.generated import models_of


def _branch(tag: str, field: str, required: bool) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {field: {"type": "string"}, "type": {"const": tag, "default": tag}},
        "required": [field, "type"] if required else [field],
    }


def _doc(required: tuple[bool, bool]) -> dict[str, Any]:
    union = {
        "oneOf": [{"$ref": "#/components/schemas/Hf"}, {"$ref": "#/components/schemas/Url"}],
        "discriminator": {
            "propertyName": "type",
            "mapping": {"hf": "#/components/schemas/Hf", "url": "#/components/schemas/Url"},
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1"},
        "paths": {
            "/x": {
                "post": {
                    "operationId": "x",
                    "requestBody": {
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Job"}}
                        }
                    },
                    "responses": {"204": {"description": "none"}},
                }
            }
        },
        "components": {
            "schemas": {
                "Hf": _branch("hf", "repo_id", required[0]),
                "Url": _branch("url", "url", required[1]),
                "Job": {"type": "object", "properties": {"source": union}, "required": ["source"]},
            }
        },
    }


_seen: dict[tuple[bool, bool], tuple[Any, list[str]]] = {}
_ROOT = Path(tempfile.mkdtemp(prefix="disc-"))


def _models(tmp: Path, required: tuple[bool, bool]) -> tuple[Any, list[str]]:
    if required not in _seen:
        name = "disc_" + "".join("r" if r else "o" for r in required)
        (tmp / f"{name}.json").write_text(json.dumps(_doc(required)))
        result = run(tmp / f"{name}.json", name)
        write_tree(tmp / name, result.files)
        sys.path.insert(0, str(tmp))
        try:
            module = importlib.import_module(f"{name}.{name}.models")
        finally:
            sys.path.remove(str(tmp))
        _seen[required] = (module, result.warnings)
    return _seen[required]


@settings(max_examples=20, deadline=None)
@given(
    required=st.tuples(st.booleans(), st.booleans()),
    branch=st.sampled_from(["hf", "url"]),
    tagged=st.booleans(),
)
def test_a_value_valid_for_the_schema_is_accepted(
    required: tuple[bool, bool], branch: str, tagged: bool
) -> None:
    models, warnings = _models(_ROOT, required)
    needs_tag = required[0 if branch == "hf" else 1]
    if not tagged and needs_tag:
        tagged = True  # without its tag this value is not valid for the schema
    source: dict[str, Any] = {"repo_id": "r"} if branch == "hf" else {"url": "u"}
    if tagged:
        source["type"] = branch
    job = models.Job.model_validate({"source": source})
    assert job.source.type == branch  # the right branch, by its const
    dumped = job.model_dump(mode="json", by_alias=True, exclude_unset=True)
    assert dumped == {"source": source}
    dropped = any("discriminator" in w and "does not require" in w for w in warnings)
    assert dropped == (not all(required))
    if all(required):
        with_tag = pydantic.TypeAdapter(models.Job).json_schema()
        assert "discriminator" in json.dumps(with_tag)  # kept where every branch has it


def _kubeflow(tmp: Path) -> Any:
    """kubeflow's ``Artifact``: branches that differ only by the tag's default, so that
    only the discriminator tells them apart, and the tag is required by none."""

    def branch(tag: str) -> dict[str, Any]:
        return {
            "type": "object",
            "properties": {"name": {"type": "string"}, "kind": {"type": "string", "default": tag}},
        }

    mapping = {"model": "#/components/schemas/Model", "doc": "#/components/schemas/Doc"}
    doc = _doc((True, True))
    doc["components"]["schemas"] = {
        "Model": branch("model"),
        "Doc": branch("doc"),
        "Job": {
            "type": "object",
            "required": ["source"],
            "properties": {
                "source": {
                    "oneOf": [{"$ref": ref} for ref in mapping.values()],
                    "discriminator": {"propertyName": "kind", "mapping": mapping},
                }
            },
        },
    }
    return models_of(tmp, "kf_artifacts", doc)


def test_a_dropped_discriminator_still_tells_tagged_branches_apart(tmp_path: Path) -> None:
    """The JSON Schema check reads the discriminator as OpenAPI does (the value names its
    branch): before, every tagged value matched both branches and "valid under more than
    one" oneOf member refused it (kubeflow's artifacts, all 6 operations not driven)."""
    models = _kubeflow(tmp_path)
    for tag in ("model", "doc"):
        job = models.Job.model_validate({"source": {"kind": tag, "name": "x"}})
        assert job.model_dump(by_alias=True, exclude_unset=True) == {
            "source": {"kind": tag, "name": "x"}
        }
    for refused in ({"kind": "other", "name": "x"}, {"name": "no tag matches both"}):
        try:
            models.Job.model_validate({"source": refused})
        except pydantic.ValidationError:
            continue
        raise AssertionError(f"{refused} is not valid for the schema")
