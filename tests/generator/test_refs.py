"""``$ref`` inside instance data is data: one walk (refs.references) for every step."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ieops_gen.pipeline import run


def _spec(tmp_path: Path, thing: dict[str, Any]) -> Path:
    ref = {"$ref": "#/components/schemas/thing_x"}
    doc = {
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1"},
        "paths": {
            "/a": {
                "post": {
                    "operationId": "a",
                    "requestBody": {"content": {"application/json": {"schema": ref}}},
                    "responses": {
                        "200": {
                            "description": "ok",
                            "content": {"application/json": {"schema": ref}},
                        }
                    },
                }
            }
        },
        "components": {"schemas": {"thing_x": thing}},
    }
    path = tmp_path / "t.json"
    path.write_text(json.dumps(doc))
    return path


def test_a_ref_in_an_example_is_not_followed(tmp_path: Path) -> None:
    thing = {
        "type": "object",
        "properties": {"n": {"type": "object"}},
        "example": {"n": {"$ref": "#/not/here"}},
        "x-vendor": {"$ref": "#/not/there"},
    }
    (service,) = run(_spec(tmp_path, thing), "t").services  # was: KeyError 'not'
    assert "ThingX" in service.schemas


def test_a_ref_in_a_default_is_kept_as_written(tmp_path: Path) -> None:
    data = {"$ref": "#/components/schemas/thing_x"}
    thing = {
        "type": "object",
        "properties": {
            "meta": {"type": "object", "default": data},
            "kind": {"enum": [data, "plain"]},
        },
    }
    (service,) = run(_spec(tmp_path, thing), "t").services
    properties = service.schemas["ThingX"]["properties"]
    assert properties["meta"]["default"] == data  # was rewritten to .../ThingX
    assert properties["kind"]["enum"][0] == data
