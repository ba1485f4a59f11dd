"""Spec text into Python source: one escaping function per context, and an audit.

Names become identifiers in :mod:`names`. Everything else from a spec or a file name
reaches generated code through exactly one of these: :func:`comment` (a ``#`` line),
:func:`docstring` (the body of a docstring) or :func:`literal` (a string literal). In
literals, every non-printing character (line and paragraph separators, bidirectional
controls, C0/C1 controls) is escaped; from comments and docstrings it is removed, so a
reader's editor and Python's tokenizer always see the same lines.

:func:`normalise_strings` applies the same rules to modules written by other tools
(datamodel-code-generator), and :func:`audit` proves, on every generated module, that it
imports only from the allow-list and holds no names it could call to do harm.
"""

from __future__ import annotations

import ast
import builtins
import io
import keyword
import textwrap
import tokenize
import unicodedata

LINE_LENGTH = 100

_SIMPLE = {"\n": "\\n", "\r": "\\r", "\t": "\\t", '"': '\\"', "\\": "\\\\"}


def _printing(ch: str) -> bool:
    return ch.isprintable() and unicodedata.category(ch) != "Cf"


def width(text: str) -> int:
    """Columns ``text`` takes in an editor (and in ruff's line-length check)."""
    if text.isascii():
        return len(text)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def visible(text: str) -> str:
    """``text`` without the characters that do not print (newlines become spaces)."""
    text = text.replace("\r\n", " ").replace("\n", " ").replace("\r", " ").replace("\t", " ")
    return "".join(ch for ch in text if _printing(ch))


def comment(text: str, width: int = 50) -> str:
    """``text`` for the inside of a one-line ``#`` comment (shortened past ``width``)."""
    text = visible(text)
    return text if len(text) <= width else text[: width - 3] + "..."


def literal(value: object) -> str:
    """A double-quoted Python string literal holding ``value`` as data."""
    out = ['"']
    for ch in str(value):
        if ch in _SIMPLE:
            out.append(_SIMPLE[ch])
        elif _printing(ch) and not (0xD800 <= ord(ch) <= 0xDFFF):
            out.append(ch)
        elif ord(ch) <= 0xFF:
            out.append(f"\\x{ord(ch):02x}")
        elif ord(ch) <= 0xFFFF:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    out.append('"')
    return "".join(out)


def _docstring_text(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    text = "\n".join("".join(ch for ch in line if _printing(ch)) for line in text.split("\n"))
    text = text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    if text.endswith('"'):
        text = text[:-1] + '\\"'
    return text


def docstring(text: str | None, indent: int = 4) -> str:
    """The body of a docstring: escaped (no closing quotes, nothing non-printing), wrapped."""
    if not text:
        return ""
    text = _docstring_text(text)
    pad = " " * indent
    out: list[str] = []
    for line in text.strip().split("\n"):
        line = line.rstrip()
        if indent + width(line) + 3 <= LINE_LENGTH:
            out.append(line)
        else:
            out.extend(wrap(line, LINE_LENGTH - indent - 3) or [line])
    body = ("\n" + pad).join(out).replace("\n" + pad + "\n", "\n\n").replace(pad + "\n", "\n")
    if body.endswith('"') and not body.endswith('\\"'):
        body = body[:-1] + '\\"'
    return body


def wrap(text: str, columns: int) -> list[str]:
    """``textwrap.wrap`` by display columns: wide characters count twice."""
    extra = width(text) - len(text)
    return textwrap.wrap(
        text, max(20, columns - extra), break_long_words=False, break_on_hyphens=False
    )


def lines(source: str) -> list[str]:
    """The lines of ``source`` as Python's tokenizer counts them (``\\n`` ends a line).

    ``str.splitlines`` also breaks at U+2028, U+0085, form feeds and more, which would put
    the tokenizer's row numbers and the text out of step.
    """
    return io.StringIO(source).readlines()


def normalise_strings(source: str) -> str:
    """Escape non-printing characters in every string literal of ``source``.

    Docstrings (triple-quoted) lose them instead. The values of other literals are
    unchanged: they are rewritten as :func:`literal` writes them.
    """
    if all(_printing(ch) or ch == "\n" for ch in set(source)):
        return source
    rows = lines(source)
    edits: list[tuple[int, int, int, int, str]] = []
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type != tokenize.STRING or all(_printing(ch) or ch == "\n" for ch in tok.string):
            continue
        prefix = tok.string[: len(tok.string) - len(tok.string.lstrip("rRbBuU"))]
        if "b" in prefix.lower():
            continue
        value = ast.literal_eval(tok.string)
        if tok.string[len(prefix) :].startswith(('"""', "'''")):
            text = '"""' + _docstring_text(value) + '"""'
        else:
            text = literal(value)
        edits.append((*tok.start, *tok.end, text))
    for row, col, end_row, end_col, text in reversed(edits):
        head = rows[row - 1][:col]
        tail = rows[end_row - 1][end_col:]
        rows[row - 1 : end_row] = [head + text + tail]
    return "".join(rows)


ALLOWED_MODULES = frozenset(
    {
        "__future__",
        "abc",
        "collections.abc",
        "datetime",
        "decimal",
        "enum",
        "ipaddress",
        "pathlib",
        "typing",
        "typing_extensions",
        "uuid",
        "annotated_types",
        "pydantic",
        "pydantic.networks",
        "pydantic.types",
        "starlette.applications",
        "fastapi",
        "gmi_ieops",
    }
)
"""What generated modules may import (``gmi_ieops.*`` and, for stubs, the package too)."""

SAFE_BUILTINS = frozenset(
    {
        "str", "int", "float", "bool", "bytes", "list", "dict", "set", "frozenset", "tuple",
        "object", "type", "None", "True", "False", "Ellipsis", "super", "isinstance",
        "NotImplementedError", "ValueError", "TypeError", "len", "staticmethod", "classmethod",
        "property", "__name__",
    }
)  # fmt: skip
_BUILTINS = frozenset(dir(builtins))


class AuditError(Exception):
    """A generated module holds something the generator never writes on purpose."""


def audit(source: str, name: str, package: str = "") -> None:
    """Check that ``source`` imports from the allow-list and can call nothing unsafe.

    A defence behind the escaping: if spec text ever became code, it would show here as
    a foreign import, a builtin such as ``open`` or ``__import__``, or a dunder attribute.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        message = f"{name}: generated code does not parse: {exc.msg} (line {exc.lineno})"
        raise AuditError(message) from None
    bound: set[str] = set()
    qualified: set[int] = set()  # ``builtins`` names that are checked ``builtins.<safe>``
    for node in ast.walk(tree):
        # ``import builtins`` alone is allowed, for annotations a method name shadows; every
        # use must be ``builtins.<safe builtin>`` (checked below)
        if isinstance(node, ast.Import) and [(a.name, a.asname) for a in node.names] != [
            ("builtins", None)
        ]:
            raise AuditError(f"{name}:{node.lineno}: unexpected 'import' statement")
        if isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if (
                node.level == 0
                and module not in ALLOWED_MODULES
                and not module.startswith("gmi_ieops.")
                and not (package and (module == package or module.startswith(package + ".")))
            ):
                raise AuditError(f"{name}:{node.lineno}: import from {module!r} is not allowed")
            bound.update(alias.asname or alias.name for alias in node.names)
        elif isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            bound.add(node.id)
        elif isinstance(node, ast.Attribute) and node.attr.startswith("__"):
            raise AuditError(f"{name}:{node.lineno}: dunder attribute {node.attr!r}")
        elif (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "builtins"
        ):
            if node.attr not in SAFE_BUILTINS:
                raise AuditError(f"{name}:{node.lineno}: use of builtin {node.attr!r}")
            qualified.add(id(node.value))
        elif isinstance(node, (ast.Global, ast.Nonlocal, ast.Lambda)):
            raise AuditError(f"{name}:{node.lineno}: unexpected {type(node).__name__}")
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            if node.id == "builtins" and id(node) not in qualified:
                raise AuditError(f"{name}:{node.lineno}: 'builtins' used other than for a type")
            if node.id in _BUILTINS and node.id not in SAFE_BUILTINS and node.id not in bound:
                raise AuditError(f"{name}:{node.lineno}: use of builtin {node.id!r}")
        elif isinstance(node, ast.Name) and keyword.iskeyword(node.id):  # pragma: no cover
            raise AuditError(f"{name}:{node.lineno}: keyword as a name")
