"""Text passes over generated modules that change no meaning (the layout is ruff's).

Two keep a module within the line length where ``ruff format`` cannot, run on its output
by :mod:`.formatter`: a long string literal (a description in an enum, a pattern, a
summary) is split into an implicit concatenation of pieces inside parentheses (the value
is the same string), and long docstring lines are re-wrapped. The others adjust what the
model layer writes (bare generics, ambiguous or over-long names, ``typing`` generics).
"""

from __future__ import annotations

import ast
import builtins
import io
import re
import tokenize

from .escape import lines as source_lines
from .escape import literal, widest, width, wrap
from .names import AMBIGUOUS

LINE_LENGTH = 100


def _pieces(value: str, columns: int) -> list[str]:
    pieces: list[str] = []
    current = ""
    for char in value:
        candidate = current + char
        if current and width(literal(candidate)) > columns:
            pieces.append(current)
            current = char
        else:
            current = candidate
    pieces.append(current)
    return [literal(piece) for piece in pieces]


def split_long_strings(source: str) -> str:
    """Rewrite lines longer than :data:`LINE_LENGTH` that hold a long one-line string."""
    if widest(source) <= LINE_LENGTH:
        return source
    lines = source_lines(source)
    edits: list[tuple[int, int, int, str]] = []
    previous = ""
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        opener, previous = (
            previous,
            (tok.string if tok.type not in (tokenize.NL, tokenize.COMMENT) else previous),
        )
        if tok.type != tokenize.STRING or tok.start[0] != tok.end[0]:
            continue
        row, col = tok.start
        line = lines[row - 1]
        if width(line.rstrip("\n")) <= LINE_LENGTH or tok.string[:1] not in "\"'":
            continue
        value = ast.literal_eval(tok.string)
        if not isinstance(value, str) or len(tok.string) < 20 or tok.string[:3] in ('"""', "'''"):
            continue  # a docstring is re-wrapped instead (wrap_docstrings)
        indent = len(line) - len(line.lstrip())
        if line.strip() == tok.string and opener in ("(", "[", "{", ","):
            # alone on its line inside brackets already: the pieces need no parentheses
            pad = " " * indent
            pieces = _pieces(value, LINE_LENGTH - indent - 1)
            text = ("\n" + pad).join(pieces)
        else:
            inner = " " * (indent + 4)
            pieces = _pieces(value, LINE_LENGTH - len(inner))
            text = "(\n" + "".join(inner + p + "\n" for p in pieces) + " " * indent + ")"
        edits.append((row, col, tok.end[1], text))
    for row, start, end, text in reversed(edits):
        line = lines[row - 1]
        lines[row - 1] = line[:start] + text + line[end:]
    return "".join(lines)


_BARE = {"list": "list[Any]", "dict": "dict[str, Any]"}


def fill_bare_generics(source: str) -> str:
    """``list`` / ``dict`` used as a type without arguments become ``list[Any]`` etc.

    datamodel-code-generator writes a bare ``list`` for some recursive unions, which
    ``mypy --strict`` rejects; in a models module these names only ever appear as types.
    """
    lines = source_lines(source)
    tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    edits: list[tuple[int, int, int, str]] = []
    for index, tok in enumerate(tokens):
        if tok.type != tokenize.NAME or tok.string not in _BARE:
            continue
        after = tokens[index + 1].string if index + 1 < len(tokens) else ""
        before = tokens[index - 1].string if index else ""
        if after in ("[", "(", ".", "=", ":") or before in (".", "def", "class", "import"):
            continue
        edits.append((tok.start[0], tok.start[1], tok.end[1], _BARE[tok.string]))
    if not edits:
        return source
    for row, start, end, text in reversed(edits):
        line = lines[row - 1]
        lines[row - 1] = line[:start] + text + line[end:]
    result = "".join(lines)
    tree = ast.parse(result)
    has_any = any(
        isinstance(node, ast.ImportFrom)
        and node.module == "typing"
        and any(alias.name == "Any" and alias.asname is None for alias in node.names)
        for node in tree.body
    )
    if not has_any:
        for node in tree.body:
            if isinstance(node, ast.ImportFrom) and node.module == "typing":
                lines = source_lines(result)
                lines.insert(node.end_lineno or node.lineno, "from typing import Any\n")
                return "".join(lines)  # the formatter merges the two statements
        future = "from __future__ import annotations\n"
        if future in result:
            return result.replace(future, future + "\nfrom typing import Any\n", 1)
        return "from typing import Any\n" + result
    return result


def rename_ambiguous_enum_members(source: str, ambiguous: set[str]) -> str:
    """Enum members named ``l``, ``O`` or ``I`` (ruff E741) or like a builtin get a ``_``.

    A member ``float = "float"`` shadows the builtin in the rest of its class body; it
    becomes ``float_ = "float"`` (the value is unchanged), and every ``Enum.float``
    reference in the module (field defaults) follows.
    """
    tree = ast.parse(source)
    lines = source_lines(source)
    edits: list[tuple[int, int, int, str]] = []
    renamed: dict[str, set[str]] = {}
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        is_enum = any(_base_id(b) == "Enum" for b in node.bases)
        for stmt in node.body:
            if (
                isinstance(stmt, ast.Assign)
                and len(stmt.targets) == 1
                and isinstance(stmt.targets[0], ast.Name)
                and (
                    stmt.targets[0].id in ambiguous
                    or (is_enum and stmt.targets[0].id in _BUILTIN_NAMES)
                )
            ):
                target = stmt.targets[0]
                assert target.end_col_offset is not None
                edits.append((target.lineno, target.col_offset, target.end_col_offset, target.id))
                renamed.setdefault(node.name, set()).add(target.id)
    for ref in ast.walk(tree):
        if (
            isinstance(ref, ast.Attribute)
            and isinstance(ref.value, ast.Name)
            and ref.attr in renamed.get(ref.value.id, ())
            and ref.end_lineno == ref.lineno
            and ref.end_col_offset is not None
        ):
            start = ref.end_col_offset - len(ref.attr)
            edits.append((ref.lineno, start, ref.end_col_offset, ref.attr))
    for row, start, end, name in sorted(set(edits), reverse=True):
        line = lines[row - 1].encode()  # ast offsets count UTF-8 bytes
        lines[row - 1] = (line[:start] + (name + "_").encode() + line[end:]).decode()
    return "".join(lines)


_BUILTIN_NAMES = frozenset(n for n in dir(builtins) if not n.startswith("_"))


def _base_id(node: ast.expr) -> str:
    return node.id if isinstance(node, ast.Name) else ""


_TRAILING = re.compile(r"[ \t]+$", re.MULTILINE)


def strip_docstring_spaces(source: str) -> str:
    """Drop the spaces that end lines of a formatted module (W291, W293).

    After ``ruff format`` they can only be inside a multi-line string, and the only ones
    the generator writes are docstrings (field docstrings of the model layer keep the
    spec's line ends; ruff does not touch a string after a field): :func:`.literal` writes
    every other string on one line.
    """
    return _TRAILING.sub("", source) if " \n" in source or "\t\n" in source else source


def wrap_docstrings(source: str) -> str:
    """Re-wrap long docstring lines so the module fits the line length (text unchanged)."""
    if widest(source) <= LINE_LENGTH or all(
        width(line) <= LINE_LENGTH + 1 for line in source_lines(source)
    ):
        return source
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    lines = source_lines(source)
    edits: list[tuple[int, int, int, str]] = []
    for tok in tokens:
        if tok.type != tokenize.STRING or not tok.string.startswith('"""'):
            continue
        (row, col), (end_row, end_col) = tok.start, tok.end
        if all(width(lines[i].rstrip("\n")) <= LINE_LENGTH for i in range(row - 1, end_row)):
            continue
        indent = " " * col
        parts = tok.string[3:-3].split("\n")
        if parts[0].strip():
            parts = ["", indent + parts[0], *parts[1:]]
        if len(parts) < 2 or parts[-1].strip():
            parts.append(indent)
        out: list[str] = []
        for index, line in enumerate(parts):
            text = line.strip()
            if 0 < index < len(parts) - 1 and width(line.rstrip()) > LINE_LENGTH:
                out.extend(indent + chunk for chunk in wrap(text, LINE_LENGTH - col))
            else:
                out.append(line.rstrip() if index < len(parts) - 1 else indent)
        edits.append((row, end_row, end_col, '"""' + "\n".join(out) + '"""'))
    for row, end_row, end_col, text in reversed(edits):
        head = lines[row - 1][: len(lines[row - 1]) - len(lines[row - 1].lstrip())]
        tail = lines[end_row - 1][end_col:]
        lines[row - 1 : end_row] = [head + text + tail]
    return "".join(lines)


CLASS_NAME_LENGTH = 60
"""Longer class names (nested inline models of long names) are cut to this length."""


def shorten_class_names(source: str) -> tuple[str, dict[str, str]]:
    """Give over-long (or ambiguous: ``O``, ``l``) class names a new one; ``(source, renames)``.

    Every ``NAME`` token of an old name is renamed, so references follow; strings and
    comments are untouched. The name keeps its head and its tail (the most specific part).
    """
    tree = ast.parse(source)
    defined = [n.name for n in tree.body if isinstance(n, ast.ClassDef)]
    long = [name for name in defined if len(name) > CLASS_NAME_LENGTH or name in AMBIGUOUS]
    if not long:
        return source, {}
    taken = set(defined)
    renames: dict[str, str] = {}
    half = CLASS_NAME_LENGTH // 2
    for name in long:
        base = name + "Model" if name in AMBIGUOUS else name[:half] + name[-half + 2 :]
        candidate, n = base, 2
        while candidate in taken:
            candidate, n = f"{base}{n}", n + 1
        taken.add(candidate)
        renames[name] = candidate
    rows = source_lines(source)
    edits = [
        (tok.start[0], tok.start[1], tok.end[1], renames[tok.string])
        for tok in tokenize.generate_tokens(io.StringIO(source).readline)
        if tok.type == tokenize.NAME and tok.string in renames
    ]
    for row, start, end, text in reversed(edits):
        rows[row - 1] = rows[row - 1][:start] + text + rows[row - 1][end:]
    return "".join(rows), renames


_TYPING_GENERICS = {"Dict": "dict", "List": "list", "Set": "set", "Tuple": "tuple"}


def modern_generics(source: str) -> str:
    """``Dict[...]`` / ``List[...]`` from the model layer become ``dict[...]`` / ``list[...]``."""
    if not any(name + "[" in source for name in _TYPING_GENERICS):
        return source
    rows = source_lines(source)
    tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    edits = [
        (tok.start[0], tok.start[1], tok.end[1], _TYPING_GENERICS[tok.string])
        for index, tok in enumerate(tokens[:-1])
        if tok.type == tokenize.NAME
        and tok.string in _TYPING_GENERICS
        and tokens[index + 1].string == "["
    ]
    for row, start, end, text in reversed(edits):
        rows[row - 1] = rows[row - 1][:start] + text + rows[row - 1][end:]
    result = "".join(rows)
    tree = ast.parse(result)
    used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module == "typing":
            keep = [a.name for a in node.names if a.name not in _TYPING_GENERICS or a.name in used]
            if len(keep) != len(node.names):
                rows = source_lines(result)
                text = "from typing import " + ", ".join(keep) + "\n" if keep else ""
                rows[node.lineno - 1 : node.end_lineno] = [text]
                result = "".join(rows)
            break
    return result
