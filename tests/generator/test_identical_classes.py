"""Identical classes the model layer makes are generated once (issue 12).

datamodel-code-generator makes a class for every inline enum and object it meets and
numbers the repeats (``Purpose``, ``Purpose2``); ieops-gen keeps one class per name and
shape. Different names are different concepts and stay apart, as do named schemas.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import generated_package, lint

SPEC = """\
openapi: 3.1.0
info: {title: Dups, version: '1'}
paths:
  /files:
    post:
      operationId: createFile
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [purpose]
              properties:
                purpose: {type: string, enum: [batch, vision], description: What it is for.}
                mode: {type: string, enum: [batch, vision]}
                order: {type: string, enum: [asc, desc], default: desc}
                level: {type: integer, enum: [1, 2]}
                limits: {type: object, properties: {max: {type: integer}}}
      responses:
        '200':
          content:
            application/json:
              schema:
                type: object
                properties:
                  purpose: {type: string, enum: [batch, vision]}
                  level: {type: integer, enum: [1, 2]}
                  limits: {type: object, properties: {max: {type: integer}}}
                  other: {type: string, enum: [batch, vision, extra]}
  /orders:
    get:
      operationId: listOrders
      responses:
        '200':
          content:
            application/json:
              schema:
                type: object
                properties:
                  order: {$ref: '#/components/schemas/Order'}
                  sort: {$ref: '#/components/schemas/Sort'}
components:
  schemas:
    Order: {type: string, enum: [asc, desc]}
    Sort: {type: string, enum: [asc, desc]}
"""

USE = """\
from g.dups.models import (
    CreateFileRequest,
    CreateFileResponse,
    Level,
    Limits,
    Mode,
    Order,
    Purpose,
)


def build() -> CreateFileRequest:
    return CreateFileRequest(
        purpose=Purpose.batch, mode=Mode.vision, order=Order.asc, level=Level.integer_1,
        limits=Limits(max=3),
    )


def same(reply: CreateFileResponse) -> tuple[Purpose | None, Level | None, Limits | None]:
    return reply.purpose, reply.level, reply.limits
"""


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    yield from generated_package(tmp_path_factory.mktemp("dups"), "dups", SPEC, USE)


def _classes(root: Path) -> dict[str, ast.ClassDef]:
    tree = ast.parse((root / "g" / "dups" / "models.py").read_text())
    return {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)}


def _fields(cls: ast.ClassDef) -> dict[str, str]:
    return {
        s.target.id: ast.unparse(s.annotation)
        for s in cls.body
        if isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name)
    }


def test_identical_enums_and_models_of_one_name_are_generated_once(generated: Path) -> None:
    classes = _classes(generated)
    assert {"Purpose", "Level", "Limits"} <= set(classes)
    assert not {"Purpose1", "Purpose2", "Level1", "Limits1"} & set(classes), sorted(classes)
    reply = _fields(classes["CreateFileResponse"])
    assert reply["purpose"] == "Purpose | None"
    assert reply["level"] == "Level | None"
    assert reply["limits"] == "Limits | None"


def test_an_inline_enum_merges_into_the_named_schema_of_its_name(generated: Path) -> None:
    classes = _classes(generated)
    assert "Order1" not in classes, sorted(classes)
    assert _fields(classes["CreateFileRequest"])["order"] == "Order"
    source = (generated / "g" / "dups" / "models.py").read_text()
    assert "order: Order = Order.desc" in source


def test_other_names_other_members_and_named_schemas_stay_apart(generated: Path) -> None:
    classes = _classes(generated)
    assert {"Mode", "Other", "Sort", "Order"} <= set(classes)  # Sort == Order, but named
    assert _fields(classes["CreateFileRequest"])["mode"] == "Mode | None"


def test_the_merged_module_passes_ruff_and_mypy_and_validates(generated: Path) -> None:
    lint(generated / "g", generated / "use.py", cwd=generated)
    from g.dups.models import CreateFileResponse, Level, Purpose

    reply = CreateFileResponse.model_validate_json(b'{"purpose": "vision", "level": 2}')
    assert reply.purpose is Purpose.vision and reply.level is Level.integer_2
