"""A required name the schema does not declare under ``properties`` is kept by the model.

kserve's vendored OpenAI spec lists ``items`` in ``ListAssistantFilesResponse.required``
but not under its ``properties``: the model accepted ``{..., "items": ...}`` and dropped
``items``, so what the server sent broke the schema and the generated client refused it
(``"items" is a required property``). The name is declared as a field of any value (or of
``additionalProperties``' schema, which such a value must fit).
"""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from ieops_gen.pipeline import run
from ieops_gen.write import write_tree

SPEC = """\
openapi: 3.0.0
info: {title: Req, version: '1'}
paths:
  /files:
    get:
      operationId: list_files
      responses:
        '200':
          description: ok
          content: {application/json: {schema: {$ref: '#/components/schemas/Listing'}}}
  /counts:
    get:
      operationId: counts
      responses:
        '200':
          description: ok
          content: {application/json: {schema: {$ref: '#/components/schemas/Counts'}}}
components:
  schemas:
    Listing:
      type: object
      required: [object, items]
      properties:
        object: {type: string}
    Counts:
      type: object
      required: [total, extra]
      properties:
        total: {type: integer}
      additionalProperties: {type: integer}
"""


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    root = tmp_path_factory.mktemp("required")
    (root / "req.yaml").write_text(SPEC)
    write_tree(root / "req_undeclared", run(root / "req.yaml", "req_undeclared").files)
    sys.path.insert(0, str(root))
    try:
        yield importlib.import_module("req_undeclared.req.models")
    finally:
        sys.path.remove(str(root))
        for name in [m for m in sys.modules if m.startswith("req_undeclared")]:
            del sys.modules[name]


@pytest.mark.parametrize("items", [[1, "a"], None, {"k": [True]}, "text"])
def test_the_undeclared_required_value_survives(models: Any, items: Any) -> None:
    value = {"object": "list", "items": items}
    listing = models.Listing.model_validate(value)
    assert json.loads(listing.model_dump_json(by_alias=True, exclude_unset=True)) == value


def test_it_is_still_required(models: Any) -> None:
    with pytest.raises(ValueError):
        models.Listing.model_validate({"object": "list"})


def test_it_takes_additional_properties_schema(models: Any) -> None:
    counts = models.Counts.model_validate({"total": 1, "extra": 2})
    assert json.loads(counts.model_dump_json(exclude_unset=True)) == {"total": 1, "extra": 2}
    with pytest.raises(ValueError):
        models.Counts.model_validate({"total": 1, "extra": "two"})
