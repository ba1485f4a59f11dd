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
