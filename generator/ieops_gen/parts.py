"""A large module parsed in parts, so auditing it never holds its whole syntax tree.

Python's syntax trees take about 40 times the memory of their source: the client of a
10,000-operation document (29 MB) would need 1.2 GB at once. :func:`parts` cuts the
source at statement starts into pieces of about :data:`PART_LINES` lines and parses each
alone; a piece that starts inside a class body (a method at four spaces) is parsed under a
stand-in ``class`` line. Every node of the module is then a node of exactly one part:

- a cut inside a string, brackets or a backslash continuation leaves the piece before it
  unterminated, which does not parse;
- a piece at four spaces must follow a class whose body is at four spaces, so the line
  belongs to that class body in the module as it does under the stand-in.

When a piece does not parse or does not follow a class, :func:`parts` yields ``None``
and the caller parses the module whole, as before: cutting only ever saves memory and
time, it never decides what the audit sees.
"""

from __future__ import annotations

import ast
import io
import itertools
from collections.abc import Iterator

PART_LINES = 4000
"""Lines per part (about 100 KB of source, 4 MB of tree)."""

_STAND_IN = "class _IeopsGenPart:\n"
_TOP = ("class ", "def ", "async def ", "@", "from ", "import ")
_MEMBER = tuple("    " + start for start in ("def ", "async def ", "@"))


def _cuts(rows: list[str]) -> list[int]:
    """Row indexes where a part may start: a statement start after a blank line."""
    cuts = [0]
    last = 0
    for index in range(1, len(rows)):
        if index - last < PART_LINES or rows[index - 1] != "\n":
            continue
        row = rows[index]
        if row.startswith(_TOP) or row.startswith(_MEMBER):
            cuts.append(index)
            last = index
    return cuts


def _opens_class_body(statement: ast.stmt) -> bool:
    """A ``class`` whose body starts on a later line at four spaces."""
    return (
        isinstance(statement, ast.ClassDef)
        and statement.body[0].lineno > statement.lineno
        and statement.body[0].col_offset == 4
    )


def parts(source: str) -> Iterator[list[ast.stmt] | None]:
    """The top-level statements of each part of ``source``, one part at a time.

    A ``None`` ends the parts: parse the module whole instead. Only the part being looked
    at is held, as long as the caller drops each list once it has checked it.
    """
    rows = io.StringIO(source).readlines()  # as the tokenizer counts lines (escape.lines)
    cuts = [*_cuts(rows), len(rows)]
    in_class = False  # the last top-level statement so far opens a class body at 4 spaces
    for start, end in itertools.pairwise(cuts):
        text = "".join(rows[start:end])
        member = text.startswith("    ")
        if member and not in_class:
            yield None
            return
        try:
            body = ast.parse(_STAND_IN + text if member else text).body
        except SyntaxError:
            yield None
            return
        if not body:
            continue
        in_class = (member and len(body) == 1) or _opens_class_body(body[-1])
        if member:
            stand_in = body[0]
            assert isinstance(stand_in, ast.ClassDef)
            yield [*stand_in.body, *body[1:]]
        else:
            yield body
