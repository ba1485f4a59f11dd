"""Models read as if hand-written: null in an enum means ``| None``, inline unions stay inline."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import lint, run_gen

SPEC = """\
openapi: {version}
info: {{title: shapes, version: '1'}}
paths:
  /r:
    post:
      operationId: r
      requestBody:
        content: {{application/json: {{schema: {{$ref: '#/components/schemas/Req'}}}}}}
      responses: {{'204': {{description: ok}}}}
components:
  schemas:
    Reason: {reason}
    Tags: {{type: array, items: {{type: string}}, maxItems: 2}}
    Req:
      type: object
      required: [input, reason, mode]
      properties:
        input:
          description: One text or many.
          oneOf:
            - {{type: string, minLength: 1}}
            - {{type: array, minItems: 1, items: {{type: string}}}}
        reason: {{$ref: '#/components/schemas/Reason'}}
        reasons: {{type: array, items: {{$ref: '#/components/schemas/Reason'}}}}
        mode: {{enum: [fast, slow, null], description: How hard to try.}}
        tags: {{$ref: '#/components/schemas/Tags'}}
        pair:
          oneOf:
            - {{type: integer, minimum: 0}}
            - {{type: array, items: {{oneOf: [{{type: string, maxLength: 3}}, {{type: integer}}]}}}}
"""

REASON = {
    "3.1.0": "{type: [string, 'null'], enum: [stop, length, null]}",
    "3.0.3": "{type: string, nullable: true, enum: [stop, length, null]}",
}

USE = """\
from g.sh.models import Req, Tags


def build() -> Req:
    return Req(input=["a", "b"], reason=None, mode=None, tags=Tags(["x"]), pair=[1, "abc"])
"""

PROBE = """
import json, sys
sys.path.insert(0, '.')
from pydantic import ValidationError
from g.sh.models import Req, Reason, Mode
base = {"input": "a", "reason": "stop", "mode": "fast"}
def ok(**change):
    data = {k: v for k, v in {**base, **change}.items() if v != "<absent>"}
    try:
        return Req.model_validate_json(json.dumps(data)).model_dump(mode="json")
    except ValidationError:
        return "invalid"
print(json.dumps({
    "reason": [m.value for m in Reason],
    "mode": [m.value for m in Mode],
    "list input": ok(input=["a", "b"]),
    "empty string": ok(input=""),
    "empty list": ok(input=[]),
    "null reason": ok(reason=None),
    "absent reason": ok(reason="<absent>"),
    "bad reason": ok(reason="bogus"),
    "reasons": ok(reasons=[None, "length"]),
    "null mode": ok(mode=None),
    "pair": ok(pair=["abc", 2]),
    "long pair": ok(pair=["abcd"]),
    "negative pair": ok(pair=-1),
    "tags": ok(tags=["a", "b", "c"]),
}))
"""


@pytest.mark.parametrize("version", sorted(REASON))
def test_nullable_enums_and_inline_unions(tmp_path: Path, version: str) -> None:
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "sh.yaml").write_text(SPEC.format(version=version, reason=REASON[version]))
    result = run_gen(tmp_path / "s", "-o", tmp_path / "g", "-q")
    assert result.returncode == 0, result.stderr
    source = (tmp_path / "g" / "sh" / "models.py").read_text()
    assert "NoneType" not in source
    # named schemas keep their classes; inline union members get none
    classes = {n.name for n in ast.parse(source).body if isinstance(n, ast.ClassDef)}
    assert classes == {"Reason", "Tags", "Mode", "Req"}
    for line in (
        "input: Annotated[str, Field(min_length=1)] | Annotated[list[str], Field(min_length=1)]",
        "reason: Reason | None\n",
        "reasons: list[Reason | None] | None = None",
        "mode: Mode | None\n",
        "tags: Tags | None = None",
    ):
        assert line in source, line
    (tmp_path / "use.py").write_text(USE)
    lint(tmp_path / "g", tmp_path / "use.py", cwd=tmp_path)  # input=[...] type-checks
    probe = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=tmp_path, capture_output=True, text=True
    )
    assert probe.returncode == 0, probe.stderr
    rows = json.loads(probe.stdout)
    assert rows["reason"] == ["stop", "length"] and rows["mode"] == ["fast", "slow"]
    assert rows["list input"]["input"] == ["a", "b"]
    assert rows["empty string"] == rows["empty list"] == "invalid"  # constraints kept
    assert rows["null reason"]["reason"] is None
    assert rows["absent reason"] == "invalid"  # required, though nullable
    assert rows["bad reason"] == "invalid"
    assert rows["reasons"]["reasons"] == [None, "length"]
    assert rows["null mode"]["mode"] is None
    assert rows["pair"]["pair"] == ["abc", 2]
    assert rows["long pair"] == rows["negative pair"] == rows["tags"] == "invalid"
