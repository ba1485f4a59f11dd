"""The audit behind the escaping refuses what spec text turned into code would look like."""

from __future__ import annotations

import pytest
from ieops_gen.escape import AuditError, audit, literal, normalise_strings

SAFE = "from pydantic import BaseModel\n\n\nclass A(BaseModel):\n    x: int = len([1])\n"


@pytest.mark.parametrize(
    "source",
    [
        "import os\n",
        "from subprocess import run\n",
        "x = __import__('os')\n",
        "x = open('/etc/passwd')\n",
        "x = eval('1')\n",
        "class A:\n    y = ().__class__.__base__\n",
        "f = lambda: 1\n",
        "def f(:\n",
        # the runtime only through its surfaces (client, handler, typed)
        "from gmi_ieops import handler\n",
        "from gmi_ieops.routing._app import Server\n",
        "from gmi_ieops.storage import FileSystem\n",
    ],
)
def test_audit_refuses(source: str) -> None:
    with pytest.raises(AuditError):
        audit(source, "m.py")


def test_audit_accepts_what_the_generator_writes() -> None:
    audit(SAFE, "m.py")
    audit("from generated.x.models import A\n", "x_impl.py", package="generated")


@pytest.mark.parametrize(
    "value", ["a\u2028b", "\x85", "\u202e", "\r\n", '"""', "\\", "\ud800", "é"]
)
def test_literal_round_trips_and_prints(value: str) -> None:
    text = literal(value)
    assert eval(text) == value
    assert all(ch.isprintable() for ch in text)


def test_normalise_strings_escapes_literals_and_cleans_docstrings() -> None:
    source = 'x = "a\u2028b"\n\n\nclass A:\n    """doc\u2029 \u202etext"""\n'
    out = normalise_strings(source)
    namespace: dict[str, object] = {}
    exec(compile(out, "m", "exec"), namespace)
    assert namespace["x"] == "a\u2028b"
    assert "\u2028" not in out and "\u2029" not in out and "\u202e" not in out
    assert len(out.splitlines()) == out.count("\n")
