"""Free-form objects exploded into the query: more than one per operation is a warning.

``style: form, explode: true`` spreads an object's keys over the query; a free-form object
(no ``properties``) collects every key that no other parameter claims, so a second one
can never receive anything (``docs/generator.md``). The generator says so, located, and
still generates.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from ieops_gen.pipeline import run

FREE = {"type": "object", "additionalProperties": {}}


def _spec(tmp_path: Path, *params: dict[str, Any], path_level: list[Any] | None = None) -> Path:
    item: dict[str, Any] = {
        "get": {
            "operationId": "search",
            "parameters": list(params),
            "responses": {"200": {"description": "ok"}},
        }
    }
    if path_level:
        item["parameters"] = path_level
    doc = {
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1"},
        "paths": {"/search": item},
    }
    path = tmp_path / "api.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def _free(result: Any) -> list[str]:
    return [w for w in result.warnings if "free-form objects exploded" in w]


def test_two_free_form_exploded_objects_warn_with_file_line_and_pointer(tmp_path: Path) -> None:
    spec = _spec(
        tmp_path,
        {"name": "limit", "in": "query", "schema": {"type": "integer"}},
        {"name": "filters", "in": "query", "schema": FREE},
        {"name": "extra", "in": "query", "schema": {"type": "object"}},
    )
    result = run(spec, "g")
    (warning,) = _free(result)
    match = re.match(r"^(.+?):(\d+): (/\S+): ", warning)
    assert match, warning
    assert match.group(1).endswith("api.yaml")
    assert match.group(3) == "/paths/~1search/get/parameters/2"
    line = spec.read_text().splitlines()[int(match.group(2)) - 1]
    assert line.strip() == "- name: extra", line
    assert "only 'filters' collects" in warning
    assert result.files  # a warning, not an error


def test_path_level_parameters_count_too(tmp_path: Path) -> None:
    spec = _spec(
        tmp_path,
        {"name": "filters", "in": "query", "schema": FREE},
        path_level=[{"name": "more", "in": "query", "schema": FREE}],
    )
    (warning,) = _free(run(spec, "g"))
    assert "/paths/~1search/parameters/0" in warning, warning


@pytest.mark.parametrize(
    "second",
    [
        {"name": "box", "in": "query", "schema": {"type": "object", "properties": {"a": {}}}},
        {"name": "deep", "in": "query", "style": "deepObject", "schema": FREE},
        {"name": "joined", "in": "query", "explode": False, "schema": FREE},
        {"name": "X-Meta", "in": "header", "schema": FREE},
    ],
    ids=["declared", "deepObject", "not exploded", "header"],
)
def test_one_free_form_object_beside_others_does_not_warn(
    tmp_path: Path, second: dict[str, Any]
) -> None:
    spec = _spec(tmp_path, {"name": "filters", "in": "query", "schema": FREE}, second)
    assert _free(run(spec, "g")) == []


@pytest.mark.parametrize(
    "schema",
    [
        {},
        {"anyOf": [{"type": "boolean"}, {}]},  # huggingface-hub's includeInvitees
        {"anyOf": [{"type": "array", "items": {"type": "string"}}, {}]},
        {"oneOf": [{"type": "object", "properties": {"a": {"type": "string"}}}, {}]},
        # an object beside scalars or arrays (huggingface-hub's owner): mixed
        {"anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "string"}, FREE]},
        {
            "anyOf": [
                {"type": "string"},
                {"type": "object", "properties": {"a": {"type": "string"}}},
            ]
        },
    ],
)
def test_a_parameter_that_takes_anything_is_written_untyped(tmp_path: Path, schema: Any) -> None:
    """Any member that is untyped makes the parameter untyped on the wire: JSON text for an
    array or object, as the server reads it (``routing/_request.py``'s ``any`` shape)."""
    result = run(_spec(tmp_path, {"name": "value", "in": "query", "schema": schema}), "api")
    assert '"value": untyped(value),' in result.files["api/client.py"]


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "string"},
        {"anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "string"}]},
        {"type": "object", "additionalProperties": {"type": "string"}},
    ],
)
def test_a_typed_parameter_is_written_by_its_style(tmp_path: Path, schema: Any) -> None:
    result = run(_spec(tmp_path, {"name": "value", "in": "query", "schema": schema}), "api")
    assert '"value": value,' in result.files["api/client.py"]
