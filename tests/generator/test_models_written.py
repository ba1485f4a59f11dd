"""Generated models and clients read as written by hand (issue 12 items 4-5, issue 9 gaps).

One small document exercises each rule; it is generated once, linted with ``ruff`` and
``mypy --strict``, and a user program that relies on the rules is type-checked with it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import generated_package, lint, run_gen

SPEC = """\
openapi: 3.1.0
info: {title: Written API, version: '1'}
paths:
  /things:
    get:
      operationId: list
      parameters:
        - {name: tags, in: query, schema: {type: array, items: {type: string}}}
        - {name: type, in: query, schema: {type: string}}
      responses:
        '200':
          content:
            application/json: {schema: {type: array, items: {$ref: '#/components/schemas/Thing'}}}
    delete:
      operationId: type
      parameters:
        - {name: type, in: query, schema: {type: string}}
      responses: {'204': {description: gone}}
  /things/{thing_id}:
    get:
      operationId: getThing
      parameters:
        - {name: thing_id, in: path, required: true, schema: {type: string}}
      responses:
        '200': {content: {application/json: {schema: {$ref: '#/components/schemas/Thing'}}}}
    put:
      operationId: putThing
      parameters:
        - {name: thing_id, in: path, required: true, schema: {type: string}}
      requestBody:
        content: {application/json: {schema: {$ref: '#/components/schemas/Thing'}}}
      responses:
        '200': {content: {application/json: {schema: {$ref: '#/components/schemas/Thing'}}}}
  /search:
    post:
      operationId: search
      requestBody:
        content: {application/json: {schema: {$ref: '#/components/schemas/Query'}}}
      responses:
        '200':
          content:
            application/json: {schema: {$ref: '#/components/schemas/Hit'}}
            text/event-stream: {schema: {$ref: '#/components/schemas/TagFilter'}}
components:
  schemas:
    Kind: {type: string, enum: [float, list, plain]}
    ThresholdFilter:
      type: object
      required: [type, value]
      properties: {type: {const: threshold}, value: {type: number}}
    TagFilter:
      type: object
      required: [type, tags]
      properties: {type: {const: tag}, tags: {type: array, items: {type: string}}}
    Filter:
      oneOf:
        - {$ref: '#/components/schemas/ThresholdFilter'}
        - {$ref: '#/components/schemas/TagFilter'}
      discriminator: {propertyName: type}
    Hit:
      oneOf:
        - {$ref: '#/components/schemas/ThresholdFilter'}
        - {$ref: '#/components/schemas/TagFilter'}
    Query:
      type: object
      required: [filter]
      properties:
        filter: {$ref: '#/components/schemas/Filter'}
        kind: {allOf: [{$ref: '#/components/schemas/Kind'}], default: float}
        stream: {type: boolean}
        X-Mode: {type: string}
        labels:
          type: array
          items: {type: object, additionalProperties: {type: string, minLength: 1}}
    Named: {type: object, properties: {name: {type: string, minLength: 1}}}
    NamedCreate:
      type: object
      required: [name]
      properties: {name: {type: string}, note: {type: string}}
    Thing:
      description: A thing; its bases declare name differently.
      allOf:
        - {$ref: '#/components/schemas/Named'}
        - {$ref: '#/components/schemas/NamedCreate'}
        - {type: object, properties: {size: {type: integer}}}
"""

USE = """\
from gmi_ieops.client import EventStream

from g.written.client import AsyncClient, Client
from g.written.models import Hit, Kind, Query, TagFilter, Thing, ThresholdFilter


def build(client: Client) -> list[Thing]:
    thing = Thing(name="a", size=1)
    client.type(type="x")
    return [thing, *client.list(tags=["a"], type="b")]


def query() -> Query:
    label: str = Kind.float_  # a str subclass: usable wherever a string is
    assert label.upper() == "FLOAT"
    return Query(filter=ThresholdFilter(type="threshold", value=0.5), kind=Kind.list_)


def tags(q: Query) -> list[str]:
    return q.filter.tags if isinstance(q.filter, TagFilter) else []


def keywords(client: Client) -> tuple[Hit, Hit, EventStream[TagFilter]]:
    by_model = client.search(query())
    by_fields = client.search(filter=TagFilter(type="tag", tags=[]), kind=Kind.plain, X_Mode="m")
    stream = client.search(filter=TagFilter(type="tag", tags=[]), stream=True)
    return by_model, by_fields, stream


async def keywords_async(client: AsyncClient) -> list[TagFilter]:
    hit: Hit = await client.search(filter=TagFilter(type="tag", tags=[]), stream=False)
    assert hit
    async with await client.search(filter=TagFilter(type="tag", tags=[]), stream=True) as s:
        return [event async for event in s]
"""


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    yield from generated_package(tmp_path_factory.mktemp("written"), "written", SPEC, USE)


def test_output_and_a_user_program_pass_ruff_and_mypy(generated: Path) -> None:
    lint(generated / "g", generated / "use.py", cwd=generated)


def test_method_names_that_shadow_builtins_qualify_the_annotations(generated: Path) -> None:
    client = (generated / "g" / "written" / "client.py").read_text()
    assert "def list(" in client and "tags: builtins.list[str] | None = None" in client
    service = (generated / "g" / "written" / "service.py").read_text()
    assert "import builtins" in service and "tags: builtins.list[str] | None" in service


def test_a_parameter_named_type_leaves_the_no_content_model_callable(generated: Path) -> None:
    client = (generated / "g" / "written" / "client.py").read_text()
    assert "response_model=_NO_CONTENT" in client and "type(None)," not in client


def test_all_of_bases_that_disagree_are_flattened(generated: Path) -> None:
    tree = ast.parse((generated / "g" / "written" / "models.py").read_text())
    thing = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Thing")
    assert [ast.unparse(b) for b in thing.bases] == ["BaseModel"]
    fields = {
        s.target.id: ast.unparse(s.annotation)
        for s in thing.body
        if isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name)
    }
    assert fields == {"name": "str", "note": "str | None", "size": "int | None"}


def test_the_audit_allows_builtins_only_as_safe_types() -> None:
    from ieops_gen.escape import AuditError, audit

    audit("import builtins\n\nx: builtins.list[int] = []\n", "ok.py")
    for bad in ("import builtins\n\nbuiltins.open('f')\n", "import builtins\n\nb = builtins\n"):
        with pytest.raises(AuditError):
            audit(bad, "bad.py")


def test_string_enums_equal_their_values_and_never_shadow_builtins(generated: Path) -> None:
    from g.written.models import (  # type: ignore[import-not-found]  # generated by the fixture
        Kind,
        Query,
        ThresholdFilter,
    )

    assert [m.name for m in Kind] == ["float_", "list_", "plain"]
    assert Kind.float_ == "float" and Kind("list") is Kind.list_
    query = Query.model_validate({"filter": {"type": "tag", "tags": ["a"]}, "kind": "list"})
    assert query.kind is Kind.list_
    q = Query(filter=ThresholdFilter(type="threshold", value=0.5))
    assert q.kind is Kind.float_  # the default of a $ref'd enum, as its member
    assert q.model_dump(mode="json", exclude_unset=True) == {
        "filter": {"type": "threshold", "value": 0.5}
    }


def test_named_unions_are_type_aliases_but_operation_models_stay_classes(generated: Path) -> None:
    source = (generated / "g" / "written" / "models.py").read_text()
    assert "Filter: TypeAlias = Annotated[" in source
    assert 'Field(discriminator="type")' in source
    assert "class Hit(RootModel[" in source  # a response: the runtime validates a model


def test_literal_enums_option(tmp_path: Path) -> None:
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "written.yaml").write_text(SPEC)
    done = run_gen(tmp_path / "schemas", "-o", tmp_path / "lit", "--enums", "literal", "-q")
    assert done.returncode == 0, done.stdout + done.stderr
    source = (tmp_path / "lit" / "written" / "models.py").read_text()
    assert 'Kind: TypeAlias = Literal["float", "list", "plain"]' in source
    assert "Enum" not in source
    lint(tmp_path / "lit", cwd=tmp_path)


def test_a_body_can_be_given_as_keywords(generated: Path) -> None:
    from g.written.models import Query, TagFilter
    from gmi_ieops.client import body_from_fields

    tag = TagFilter(type="tag", tags=["a"])
    body, options = body_from_fields(Query, None, {"filter": tag, "X_Mode": "m", "timeout": 3})
    assert options == {"timeout": 3}
    assert body.model_dump(by_alias=True, exclude_unset=True) == {
        "filter": {"type": "tag", "tags": ["a"]},
        "X-Mode": "m",
    }
    same, _ = body_from_fields(Query, body, {"trace_id": "t"})
    assert same is body
    with pytest.raises(TypeError, match="not both"):
        body_from_fields(Query, body, {"kind": "plain"})
    with pytest.raises(TypeError, match="no field nope"):
        body_from_fields(Query, None, {"filter": tag, "nope": 1})


def test_the_example_worker_builds_models_with_constructors() -> None:
    """Issue 12 item 6: no ``Model.model_validate({...})`` of a dict where a constructor
    type-checks (the example passes ``mypy --strict`` in the project's gate)."""
    root = Path(__file__).resolve().parents[2] / "examples"
    found = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "model_validate"
                and node.args
                and isinstance(node.args[0], ast.Dict)
            ):
                found.append(f"{path.name}:{node.lineno}")
    assert found == []
