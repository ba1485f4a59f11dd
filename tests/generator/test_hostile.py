"""Hostile and awkward specs: names, descriptions and values are data, never code."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import lint, run_gen

EVIL = "__import__('pathlib').Path('PWNED').touch()"

HOSTILE = {
    "openapi": "3.1.0",
    "info": {"title": 'Evil """ title\\', "version": "1", "description": f'"""\n{EVIL}\n"""'},
    "paths": {
        "/x/{class}": {
            "post": {
                "operationId": "import",
                "summary": 'ends with a quote"',
                "description": f'Has """ and \\ and\nnewlines \x00 and {EVIL} """',
                "parameters": [
                    {"name": "class", "in": "path", "required": True, "schema": {"type": "string"}},
                    {"name": 'X-Evil"Header', "in": "header", "schema": {"type": "string"}},
                    {"name": "body", "in": "query", "schema": {"type": "string"}},
                    {"name": "context", "in": "query", "schema": {"type": "string"}},
                    {"name": "for", "in": "query", "schema": {"type": "integer"}},
                    {"name": "my-param", "in": "query", "schema": {"type": "string"}},
                    {"name": "my_param", "in": "query", "schema": {"type": "string"}},
                    {"name": "1st", "in": "query", "schema": {"type": "string"}},
                    {"name": "options", "in": "query", "schema": {"type": "string"}},
                    {"name": "extra", "in": "header", "schema": {"type": "string"}},
                ],
                "requestBody": {
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/class"}}
                    }
                },
                "responses": {
                    "200": {
                        "description": EVIL,
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/Evil-Name"}
                            }
                        },
                    }
                },
            }
        },
        "/y": {
            "get": {
                "operationId": "Import!",
                "summary": EVIL,
                "x-ieops-timeout": 1.5,
                "responses": {
                    "200": {
                        "description": "inline",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "def": {"type": "string", "description": '"""' + EVIL}
                                    },
                                }
                            }
                        },
                    }
                },
            }
        },
    },
    "components": {
        "schemas": {
            "class": {
                "type": "object",
                "description": f'Ends with """{EVIL}',
                "properties": {
                    "lambda": {"type": "string", "default": 'it\'s "quoted"\nand\\n newline'},
                    "mode": {
                        "type": "string",
                        "enum": ['a"b', "c'd", "e\nf", "class", "", "1x", EVIL],
                        "default": 'a"b',
                    },
                    "self": {"type": "integer", "default": 3},
                    "not an identifier": {"type": "boolean"},
                    "None": {"type": "string"},
                },
            },
            "Evil-Name": {"type": "object", "properties": {"x": {"type": "string"}}},
            "Evil_Name": {"type": "object", "properties": {"y": {"type": "string"}}},
            "None": {"type": "object", "properties": {"z": {"type": "string"}}},
        }
    },
}


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hostile")
    (root / "specs").mkdir()
    (root / "specs" / "evil.json").write_text(json.dumps(HOSTILE))
    result = run_gen(root / "specs", "-o", root / "out", "--stubs", root / "stubs", cwd=root)
    assert result.returncode == 0, result.stderr
    return root


def test_output_compiles_passes_lint_and_runs_nothing(hostile: Path) -> None:
    for path in (hostile / "out").rglob("*.py"):
        compile(path.read_text(), str(path), "exec")
    lint(hostile / "out", cwd=hostile)
    probe = (
        "import sys; sys.path.insert(0, '.')\n"
        "import out.evil.routes, out.evil.models, out.evil.service\n"
        "m = out.evil.models\n"
        "print(repr(m.Class().lambda_))\n"
        "print(sorted(e.value for e in m.Mode))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=hostile, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert not (hostile / "PWNED").exists()
    lines = result.stdout.splitlines()
    assert lines[0] == repr('it\'s "quoted"\nand\\n newline')
    assert EVIL in lines[1] and "e\\nf" in lines[1]


def test_names_are_sanitised_and_unique(hostile: Path) -> None:
    service = (hostile / "out" / "evil" / "service.py").read_text()
    assert "async def import_(" in service
    assert "async def import__2(" in service
    for keyword in (
        "class_: str,",
        "body_2: str | None,",
        "context_2: str | None,",
        "for_: int | None,",
        "my_param: str | None,",
        "my_param_2: str | None,",
        "param_1st: str | None,",
        "options_2: str | None,",
        "extra_2: str | None,",
        "x_evil_header: str | None,",
        "body: Class,",
        "context: RequestContext,",
    ):
        assert keyword in service, keyword
    models = (hostile / "out" / "evil" / "models.py").read_text()
    assert "class EvilName(BaseModel)" in models and "class EvilName2(BaseModel)" in models
    assert EVIL not in service.replace("\\", "").split('"""')[0]  # only inside docstrings
    routes = (hostile / "out" / "evil" / "routes.py").read_text()
    assert '"class_": "path"' in routes and "timeout=1.5," in routes
    client = (hostile / "out" / "evil" / "client.py").read_text()
    assert '"options": options_2,' in client and '"extra": extra_2,' in client


def test_stub_for_hostile_spec_lints(hostile: Path) -> None:
    lint(hostile / "stubs", cwd=hostile)


TRUTH = """\
openapi: {version}
info: {{title: truth, version: '1'}}
paths:
  /t:
    post:
      operationId: t
      requestBody: {{content: {{application/json: {{schema: {{$ref: '#/components/schemas/T'}}}}}}}}
      responses: {{'204': {{description: ok}}}}
components:
  schemas:
    T:
      type: object
      required: [req, req_null, req_default]
      properties:
        req: {{type: string}}
        req_null: {null}
        req_default: {{type: string, default: d}}
        opt: {{type: string}}
        opt_null: {null}
        opt_default: {{type: string, default: d}}
        opt_null_default: {null_default}
"""

VERSIONS = {
    "3.1.0": ("{type: [string, 'null']}", "{type: [string, 'null'], default: d}"),
    "3.0.3": ("{type: string, nullable: true}", "{type: string, nullable: true, default: d}"),
}


@pytest.mark.parametrize("version", sorted(VERSIONS))
def test_required_nullable_default_truth_table(tmp_path: Path, version: str) -> None:
    nullable, nullable_default = VERSIONS[version]
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "tt.yaml").write_text(
        TRUTH.format(version=version, null=nullable, null_default=nullable_default)
    )
    assert run_gen(tmp_path / "s", "-o", tmp_path / "g", "-q").returncode == 0
    probe = """
import json, sys
sys.path.insert(0, '.')
from g.tt.models import T
from pydantic import ValidationError
base = {"req": "r", "req_null": None, "req_default": "x"}
def ok(**change):
    data = {**base, **change}
    data = {k: v for k, v in data.items() if v != "<absent>"}
    try:
        return T.model_validate_json(json.dumps(data)).model_dump()
    except ValidationError:
        return "invalid"
rows = {
    "minimal": ok(),
    "req absent": ok(req="<absent>"),
    "req null": ok(req=None),
    "req_null absent": ok(req_null="<absent>"),
    "req_default absent": ok(req_default="<absent>"),
    "opt null": ok(opt=None),
    "opt_default null": ok(opt_default=None),
    "opt_null_default null": ok(opt_null_default=None),
}
print(json.dumps(rows))
"""
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert rows["minimal"] == {
        "req": "r",
        "req_null": None,
        "req_default": "x",
        "opt": None,
        "opt_null": None,
        "opt_default": "d",
        "opt_null_default": "d",
    }
    assert rows["req absent"] == "invalid"
    assert rows["req null"] == "invalid"
    assert rows["req_null absent"] == "invalid"  # required + nullable: must be present
    assert rows["req_default absent"] == "invalid"  # a default does not make a field optional
    assert rows["opt null"]["opt"] is None  # known gap: optional, not nullable, accepts null
    assert rows["opt_default null"] == "invalid"  # optional with default: null rejected
    assert rows["opt_null_default null"]["opt_null_default"] is None
