"""Classes of model-layer failures found by the corpus sweep, each reproduced small."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from ieops_gen.pipeline import run
from ieops_gen.write import write_tree

from .conftest import lint

LONG = "DistributionCredentials" * 5


def _generate(tmp_path: Path, schemas: dict[str, Any], **op: Any) -> Path:
    doc = {
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1"},
        "paths": {
            "/x": {
                "post": {
                    "operationId": "x",
                    "requestBody": {
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/A"}}
                        }
                    },
                    "responses": {"204": {"description": "none"}},
                    **op,
                }
            }
        },
        "components": {"schemas": schemas},
    }
    (tmp_path / "api.json").write_text(json.dumps(doc))
    result = run(tmp_path / "api.json", "gen")
    write_tree(tmp_path / "gen", result.files)
    return tmp_path / "gen"


def test_format_email_imports_without_email_validator(tmp_path: Path) -> None:
    _generate(
        tmp_path,
        {"A": {"type": "object", "properties": {"e": {"type": "string", "format": "email"}}}},
    )
    probe = (
        "import sys; sys.modules['email_validator'] = None\n"
        "from gen.api.models import A\nprint(A(e='x@example.com').e)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "x@example.com"


def test_long_names_and_summaries_stay_within_the_line_length(tmp_path: Path) -> None:
    nested = {
        "type": "object",
        "properties": {
            LONG: {
                "type": "object",
                "properties": {LONG: {"type": "object", "properties": {"v": {"type": "string"}}}},
            }
        },
    }
    out = _generate(
        tmp_path,
        {"A": nested, LONG: {"type": "object", "properties": {"w": {"type": "integer"}}}},
        summary="List Project Member Scopes of a fairly long summary line that reaches far right",
        operationId="listProjectMemberScopesOfAVeryLongOperationIdentifierThatGoesOnAndOn",
    )
    lint(out, cwd=tmp_path)


def test_a_named_union_made_an_alias_leaves_no_unused_import(tmp_path: Path) -> None:
    """Hugging Face's text-generation: the only ``RootModel`` class (a named discriminated
    ``oneOf``) became a ``TypeAlias``, and ``RootModel`` stayed imported (ruff F401)."""

    def member(tag: str) -> dict[str, Any]:
        return {
            "type": "object",
            "required": ["type"],
            "properties": {"type": {"type": "string", "enum": [tag]}},
        }

    out = _generate(
        tmp_path,
        {
            "A": {"type": "object", "properties": {"g": {"$ref": "#/components/schemas/G"}}},
            "G": {"oneOf": [member("a"), member("b")], "discriminator": {"propertyName": "type"}},
        },
    )
    assert "G: TypeAlias" in (out / "api" / "models.py").read_text()
    lint(out, cwd=tmp_path)


def test_a_required_name_that_properties_does_not_declare_is_kept(tmp_path: Path) -> None:
    """Hugging Face's fill-mask output requires ``tokenStr`` but declares ``token_str``: the
    model dropped the undeclared key, so an instance valid for the schema came back
    without it and the client's check refused it. Such a name is a required field of any
    value (of ``additionalProperties``' schema when there is one), with a warning."""
    item = {
        "type": "object",
        "properties": {"token_str": {"type": "string"}},
        "required": ["token_str", "tokenStr"],
    }
    typed = {**item, "required": ["n"], "additionalProperties": {"type": "integer"}}
    out = _generate(tmp_path, {"A": item, "B": typed})
    result = run(tmp_path / "api.json", "gen")
    assert any("tokenStr" in w and "not declare" in w for w in result.warnings), result.warnings
    probe = (
        "import pydantic\nfrom gen.api.models import A, B\n"
        "a = A.model_validate({'token_str': 'x', 'tokenStr': [1]})\n"
        "print(a.model_dump_json(by_alias=True, exclude_unset=True))\n"
        "for bad in ({'token_str': 'x'},):\n"
        "    try: A.model_validate(bad)\n"
        "    except pydantic.ValidationError: print('refused')\n"
        "print(B.model_validate({'n': 3}).model_dump_json(by_alias=True, exclude_unset=True))\n"
        "try: B.model_validate({'n': 'x'})\n"
        "except pydantic.ValidationError: print('refused')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:4] == [
        '{"token_str":"x","tokenStr":[1]}',
        "refused",
        '{"n":3}',
        "refused",
    ]
    lint(out, cwd=tmp_path)


def test_bounds_of_another_type_do_not_bound_the_field(tmp_path: Path) -> None:
    """Hugging Face's table-question-answering: ``coordinates`` items are ``type: array``
    with ``minLength: 2, maxLength: 2``, string keywords JSON Schema ignores on an array;
    the model made them list lengths and refused schema-valid answers."""
    out = _generate(
        tmp_path,
        {
            "A": {
                "type": "object",
                "properties": {
                    "c": {"type": "array", "items": {"type": "integer"}, "maxLength": 2},
                    "s": {"type": "string", "maxItems": 1, "maximum": 1},
                    "n": {"type": ["integer", "null"], "minLength": 5},
                },
            }
        },
    )
    probe = (
        "from gen.api.models import A\n"
        "print(A.model_validate({'c': [1, 2, 3], 's': 'abc', 'n': 7}).model_dump_json())\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == '{"c":[1,2,3],"s":"abc","n":7}'
    lint(out, cwd=tmp_path)
