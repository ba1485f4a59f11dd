"""The audit of a large module in parts sees every node the whole-module audit sees.

Parts are cut small here (a few lines) so that the modules of these tests are split as a
10,000-operation client is.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from ieops_gen import escape, parts
from ieops_gen.escape import AuditError, audit

ROOT = Path(__file__).resolve().parents[3]
GENERATED = sorted((ROOT / "generated").rglob("*.py"))

# What the generator writes, in miniature: imports, a class with methods at four spaces,
# a long top-level function after it.
HEAD = "from __future__ import annotations\n\nfrom pydantic import BaseModel\n"
CLASS = '\n\nclass Client(BaseModel):\n    """A client."""\n' + "".join(
    f'\n    def op{i}(self, x: int) -> int:\n        """Op {i}."""\n        return len([x])\n'
    for i in range(12)
)
ROUTES = (
    "\n\ndef routes() -> list[int]:\n    return [\n"
    + "".join(f"        {i},\n" for i in range(12))
    + "    ]\n"
)
PADDING = HEAD + CLASS + ROUTES


@pytest.fixture
def small_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parts, "PART_LINES", 3)
    monkeypatch.setattr(escape, "_WHOLE", 0)


def _nodes(trees: list[ast.stmt]) -> list[str]:
    """Every node but classes (the ones that parts cut), and the names of the classes."""
    return sorted(
        f"class {node.name}" if isinstance(node, ast.ClassDef) else ast.dump(node)
        for tree in trees
        for node in ast.walk(tree)
    )


def _split(source: str) -> list[list[ast.stmt] | None]:
    return list(parts.parts(source))


@pytest.mark.usefixtures("small_parts")
@pytest.mark.parametrize("path", GENERATED, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_generated_modules_split_into_parts_holding_every_node(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    found = _split(source)
    assert None not in found
    statements = [node for nodes in found if nodes is not None for node in nodes]
    whole = ast.parse(source).body
    assert _nodes(statements) == _nodes(whole)
    if source.count("\n") > 50:
        assert len(found) > 2
    if path.name == "client.py":  # classes of many methods
        assert len(found) > 10


@pytest.mark.usefixtures("small_parts")
@pytest.mark.parametrize(
    "fault",
    [
        "import os\n",
        "from subprocess import run\n",
        "x = __import__('os')\n",
        "x = open('/etc/passwd')\n",
        "class A:\n    y = ().__class__.__base__\n",
        "f = lambda: 1\n",
        "def f(:\n",
        "import builtins\n\nb = builtins\n",
    ],
)
@pytest.mark.parametrize("where", [0, 1, 2, 3])
def test_a_fault_anywhere_in_a_split_module_is_refused_as_whole(fault: str, where: int) -> None:
    pieces = [HEAD, CLASS, ROUTES]
    pieces.insert(where, "\n\n" + fault)
    source = "".join(pieces)
    with pytest.raises(AuditError) as in_parts:
        audit(source, "m.py")
    with pytest.raises(AuditError) as whole:
        monkeypatch_free_whole_audit(source)
    assert str(in_parts.value) == str(whole.value)


def monkeypatch_free_whole_audit(source: str) -> None:
    """The audit as it was before parts: the module parsed whole."""
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise AuditError(
            f"m.py: generated code does not parse: {exc.msg} (line {exc.lineno})"
        ) from None
    escape._Audit("m.py", "").check(tree.body).finish()


@pytest.mark.usefixtures("small_parts")
def test_a_method_inside_a_method_member_is_refused_like_a_member() -> None:
    member = "    def evil(self) -> None:\n        open('x')\n"
    source = PADDING.replace("\n\ndef routes()", "\n" + member + "\n\ndef routes()")
    with pytest.raises(AuditError, match="use of builtin 'open'"):
        audit(source, "m.py")


@pytest.mark.usefixtures("small_parts")
@pytest.mark.parametrize(
    "text",
    [
        # a cut would land inside a string: the part before it does not parse
        'class A:\n    x = """\n\n    def f(self) -> None: ...\n\nimport os\n"""\n',
        "x = (\n    a\n\n@ b\n)\n",  # in brackets
        # a member at four spaces after a function, not a class
        "def f() -> None:\n    y = 1\n\n    def g() -> None: ...\n",
    ],
)
def test_cuts_that_do_not_parse_alone_fall_back_to_the_whole_module(text: str) -> None:
    source = PADDING + "\n\n" + text
    assert _split(source)[-1] is None
    audit(source, "m.py")  # data in strings, a nested function: all fine when whole


@pytest.mark.usefixtures("small_parts")
def test_a_hidden_import_after_a_string_that_looks_like_members_is_refused() -> None:
    source = PADDING + '\n\nx = """\n\n    def f(self) -> None: ...\n"""\n\nimport os\n'
    with pytest.raises(AuditError, match="unexpected 'import' statement"):
        audit(source, "m.py")
