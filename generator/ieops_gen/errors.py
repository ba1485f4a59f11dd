"""Errors that stop generation, each pointing at the spec text that caused it."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass


def printable(text: str) -> str:
    """``text`` with every non-printing character escaped (``\\x1b``, ``\\u2028``).

    Spec text quoted in a message must not move the cursor, clear the screen or start a
    line of its own that reads like another ``file:line:`` problem.
    """
    if text.isprintable():
        return text
    return "".join(
        ch if ch.isprintable() and unicodedata.category(ch) != "Cf" else ascii(ch)[1:-1]
        for ch in text
    )


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input: ``file:line: json-pointer: message``."""

    file: str
    line: int
    pointer: str
    message: str

    def __str__(self) -> str:
        where = f"{printable(self.file)}:{self.line}: {printable(self.pointer or '#')}"
        return f"{where}: {printable(self.message)}"


class SpecError(Exception):
    """The input is invalid; generation stops and nothing is written (exit code 2)."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = sorted(set(problems), key=lambda p: (p.file, p.line, p.pointer, p.message))
        super().__init__("\n".join(str(p) for p in self.problems))


class GenerationError(Exception):
    """Generation failed for a reason that is not a fault in the spec (exit code 1)."""
