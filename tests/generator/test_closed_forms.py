"""A multipart body closed by ``additionalProperties: false`` (at its root or in an
``allOf`` part) generates a closed form: the fields' model forbids other fields and the
route's ``FormSpec`` refuses other parts (``tests/runtime/test_closed_forms.py`` serves
it). The split of the form into fields and files dropped the keyword: OpenAI's
``POST /audio/voice_consents`` took undeclared parts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from ieops_gen.pipeline import run

_FIELDS = {"name": {"type": "string"}, "recording": {"type": "string", "format": "binary"}}
_BODY = {"type": "object", "properties": _FIELDS, "required": ["name", "recording"]}
_CLOSED = {**_BODY, "additionalProperties": False}


@pytest.mark.parametrize(
    ("schema", "closed"),
    [
        (_CLOSED, True),
        ({"allOf": [{"$ref": "#/components/schemas/Consent"}]}, True),
        (_BODY, False),
    ],
    ids=["closed", "closed-part", "open"],
)
def test_a_closed_form_is_generated_closed(
    tmp_path: Path, schema: dict[str, Any], closed: bool
) -> None:
    body = {"content": {"multipart/form-data": {"schema": schema}}, "required": True}
    operation = {
        "operationId": "consent",
        "requestBody": body,
        "responses": {"204": {"description": "ok"}},
    }
    doc = {
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1"},
        "paths": {"/consents": {"post": operation}},
        "components": {"schemas": {"Consent": _CLOSED}},
    }
    spec = tmp_path / "api.json"
    spec.write_text(json.dumps(doc))
    result = run(spec, "api")
    (op,) = result.services[0].operations
    assert op.form_closed is closed
    assert ("closed=True" in result.files["api/routes.py"]) is closed
    form = result.files["api/models.py"].split("class ConsentForm(BaseModel):")[1]
    assert ('extra="forbid"' in form.split("\n\n\n")[0]) is closed
