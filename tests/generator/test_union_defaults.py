"""A default on a union of plain scalar types is kept: FastAPI writes every
``x: bool | None = False`` as ``anyOf: [{type: boolean}, {type: null}], default: false``
(invokeai's ``inplace``, ``crop_visible``, ``include_images`` query parameters, 36 fields),
and the generator dropped it as "not fitting the schema's type", so an absent parameter
arrived as ``None`` instead of its default. A scalar default that fits one plain branch
(no ``$ref``, ``enum``, ``const``, ``format`` or constraint) is written; any other union
default is still dropped with a warning. Checked over drawn branch sets and defaults."""

from __future__ import annotations

import importlib
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from ieops_gen.pipeline import run
from ieops_gen.write import write_tree

_BRANCHES = {
    "boolean": {"type": "boolean"},
    "integer": {"type": "integer"},
    "number": {"type": "number"},
    "string": {"type": "string"},
    "numbers": {"type": "array", "items": {"type": "number"}},
}
_VALUES: dict[str, Any] = {"boolean": False, "integer": 0, "number": 3.5, "string": "fp16"}
_ROOT = Path(tempfile.mkdtemp(prefix="udef-"))
_count = [0]


def _generate(
    schema: dict[str, Any], components: dict[str, Any] | None = None
) -> tuple[Any, list[str]]:
    _count[0] += 1
    name = f"udef{_count[0]}"
    doc = {
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1"},
        "paths": {
            "/x": {
                "post": {
                    "operationId": "x",
                    "parameters": [{"name": "p", "in": "query", "schema": schema}],
                    "requestBody": {
                        "content": {
                            "application/json": {
                                "schema": {"type": "object", "properties": {"f": schema}}
                            }
                        }
                    },
                    "responses": {"204": {"description": "none"}},
                }
            }
        },
        "components": {"schemas": components or {}},
    }
    (_ROOT / f"{name}.json").write_text(json.dumps(doc))
    result = run(_ROOT / f"{name}.json", name)
    write_tree(_ROOT / name, result.files)
    sys.path.insert(0, str(_ROOT))
    try:
        return importlib.import_module(f"{name}.{name}.models"), result.warnings
    finally:
        sys.path.remove(str(_ROOT))


@settings(max_examples=12, deadline=None)
@given(
    kinds=st.lists(st.sampled_from(sorted(_BRANCHES)), min_size=1, max_size=3, unique=True),
    nullable=st.booleans(),
    value=st.sampled_from(sorted(_VALUES)),
)
def test_a_scalar_default_of_a_plain_union_is_kept(
    kinds: list[str], nullable: bool, value: str
) -> None:
    branches = [_BRANCHES[k] for k in kinds] + ([{"type": "null"}] if nullable else [])
    if len(branches) < 2:
        branches.append({"type": "null"})
    default = _VALUES[value]
    models, warnings = _generate({"anyOf": branches, "default": default})
    fits = value in kinds or (value == "integer" and "number" in kinds)
    params = next(getattr(models, n) for n in dir(models) if n.endswith("Params"))
    body = next(getattr(models, n) for n in dir(models) if n.endswith("Request"))
    for model, field in ((params, "p"), (body, "f")):
        got = model.model_fields[field].default
        assert got == (default if fits else None), (kinds, value, got)
    dropped = [w for w in warnings if "ignored" in w and "default" in w]
    assert bool(dropped) == (not fits), warnings


def test_a_default_on_a_union_with_a_reference_or_a_constraint_is_still_dropped() -> None:
    """A ``$ref`` branch is a class; a constrained one a root model of its own, which took
    the default too (invokeai's ``guidance_scale_low_noise``: ``minimum: 0``): mypy refused
    the plain default for it."""
    for branch, components in (
        ({"$ref": "#/components/schemas/V"}, {"V": {"type": "string", "enum": ["a", "b"]}}),
        ({"type": "number", "minimum": 0}, {}),
    ):
        schema = {"anyOf": [branch, {"type": "null"}], "default": 4.0 if components == {} else "a"}
        models, warnings = _generate(schema, components)
        params = next(getattr(models, n) for n in dir(models) if n.endswith("Params"))
        assert params.model_fields["p"].default is None
        assert any("ignored" in w for w in warnings)
