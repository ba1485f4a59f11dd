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
import gc
import io
import keyword
import textwrap
import tokenize
import unicodedata
from collections import deque

from .parts import parts

LINE_LENGTH = 100

_SIMPLE = {"\n": "\\n", "\r": "\\r", "\t": "\\t", '"': '\\"', "\\": "\\\\"}


def _printing(ch: str) -> bool:
    return ch.isprintable() and unicodedata.category(ch) != "Cf"


def width(text: str) -> int:
    """Columns ``text`` takes in an editor (and in ruff's line-length check)."""
    if text.isascii():
        return len(text)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def widest(source: str) -> int:
    """Columns of the widest line of ``source`` (its newlines not counted), at C speed for
    ASCII: the layout passes ask this of every module, the largest have a million lines."""
    rows = source.split("\n")
    return max(map(len if source.isascii() else width, rows))


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
    text = str(value)
    if text.isprintable() and '"' not in text and "\\" not in text:
        return '"' + text + '"'  # nothing to escape (``isprintable`` is false for Cf and Cs)
    out = ['"']
    for ch in text:
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
    text = "\n".join(
        line if line.isprintable() else "".join(ch for ch in line if _printing(ch))
        for line in text.split("\n")
    )
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
        # the runtime through its three surfaces, never a module behind them
        # (docs/architecture.md: what generated code imports)
        "gmi_ieops.client",
        "gmi_ieops.handler",
        "gmi_ieops.typed",
    }
)
"""What generated modules may import (and, for stubs, the package too)."""

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

    A large module is checked in parts (:mod:`.parts`), so its whole tree is never held;
    whenever the parts do not parse or find a fault, the module is parsed and checked
    whole, which alone words the message. The garbage collector is paused meanwhile:
    a syntax tree holds no cycles, and collecting while millions of nodes are made tripled
    the time.
    """
    paused = gc.isenabled()
    gc.disable()
    try:
        if len(source) > _WHOLE and _passes_in_parts(source, package):
            return
        try:
            tree = ast.parse(source)
        except SyntaxError as exc:
            message = f"{name}: generated code does not parse: {exc.msg} (line {exc.lineno})"
            raise AuditError(message) from None
        _Audit(name, package).check(tree.body).finish()
    finally:
        if paused:
            gc.enable()


_WHOLE = 200_000
"""Modules up to this many characters are parsed whole (one part would be all of it)."""


def _passes_in_parts(source: str, package: str) -> bool:
    audit = _Audit("", package)
    try:
        for nodes in parts(source):
            if nodes is None:
                return False
            audit.check(nodes)
        audit.finish()
    except AuditError:
        return False
    return True


class _Audit:
    """One pass over the nodes of a module, in the order of ``ast.walk``.

    Loads of names are judged at :meth:`finish`, once every name the module binds is known.
    """

    def __init__(self, name: str, package: str) -> None:
        self.name = name
        self.package = package
        self.bound: set[str] = set()
        # loads of ``builtins`` and of unsafe builtins, in order: (line, name, is the
        # ``builtins`` of a checked ``builtins.<safe>``)
        self.loads: list[tuple[int, str, bool]] = []

    def fail(self, node: ast.AST, message: str) -> AuditError:
        return AuditError(f"{self.name}:{getattr(node, 'lineno', '?')}: {message}")

    def check(self, roots: list[ast.stmt]) -> _Audit:
        queue: deque[ast.AST] = deque(roots)
        pop, push, bound = queue.popleft, queue.append, self.bound
        qualified: set[int] = set()  # ids of the ``builtins`` in checked ``builtins.<safe>``;
        # breadth first, a parent is seen before its children, all within these roots
        while queue:
            node = pop()
            kind = type(node)
            fields = _FIELDS.get(kind)
            if fields is None:
                fields = _FIELDS[kind] = tuple(f for f in kind._fields if f != "ctx")
            for field_name in fields:
                value = getattr(node, field_name, None)
                if value.__class__ is list:
                    for item in value:
                        if isinstance(item, ast.AST):
                            push(item)
                elif isinstance(value, ast.AST):
                    push(value)
            if kind not in _WATCHED:
                continue
            if isinstance(node, ast.Name):
                if node.ctx.__class__ is ast.Load:
                    if node.id == "builtins" or node.id in _UNSAFE_BUILTINS:
                        self.loads.append((node.lineno, node.id, id(node) in qualified))
                else:
                    bound.add(node.id)
                    if keyword.iskeyword(node.id):  # pragma: no cover - the parser refuses it
                        self.loads.append((node.lineno, node.id, False))
            elif isinstance(node, ast.Attribute):
                if node.attr.startswith("__"):
                    raise self.fail(node, f"dunder attribute {node.attr!r}")
                if isinstance(node.value, ast.Name) and node.value.id == "builtins":
                    if node.attr not in SAFE_BUILTINS:
                        raise self.fail(node, f"use of builtin {node.attr!r}")
                    qualified.add(id(node.value))
            elif isinstance(node, ast.arg):
                bound.add(node.arg)
            elif isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                bound.add(node.name)
            elif isinstance(node, ast.ImportFrom):
                self._import_from(node)
            elif isinstance(node, ast.Import):
                # ``import builtins`` alone is allowed, for annotations a method name
                # shadows; every use must be ``builtins.<safe builtin>`` (checked above)
                if [(a.name, a.asname) for a in node.names] != [("builtins", None)]:
                    raise self.fail(node, "unexpected 'import' statement")
            elif isinstance(node, (ast.Global, ast.Nonlocal, ast.Lambda)):
                raise self.fail(node, f"unexpected {kind.__name__}")
        return self

    def _import_from(self, node: ast.ImportFrom) -> None:
        module, package = node.module or "", self.package
        if (
            node.level == 0
            and module not in ALLOWED_MODULES
            and not (package and (module == package or module.startswith(package + ".")))
        ):
            raise self.fail(node, f"import from {module!r} is not allowed")
        self.bound.update(alias.asname or alias.name for alias in node.names)

    def finish(self) -> None:
        """Judge the loads of ``builtins`` and of unsafe builtins the module does not bind."""
        for line, name, qualified in self.loads:
            where = f"{self.name}:{line}"
            if keyword.iskeyword(name):  # pragma: no cover - see check()
                raise AuditError(f"{where}: keyword as a name")
            if name == "builtins" and not qualified:
                raise AuditError(f"{where}: 'builtins' used other than for a type")
            if name in _UNSAFE_BUILTINS and name not in self.bound:
                raise AuditError(f"{where}: use of builtin {name!r}")


_FIELDS: dict[type, tuple[str, ...]] = {}
"""The fields of each node type that may hold nodes (``ctx`` holds only Load/Store/Del)."""
_UNSAFE_BUILTINS = _BUILTINS - SAFE_BUILTINS
_WATCHED = frozenset(
    {
        ast.Name, ast.Attribute, ast.arg, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef,
        ast.ImportFrom, ast.Import, ast.Global, ast.Nonlocal, ast.Lambda,
    }
)  # fmt: skip
"""The node types the audit judges (the parser makes no subclasses)."""
