"""Errors that stop generation, each pointing at the spec text that caused it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input: ``file:line: json-pointer: message``."""

    file: str
    line: int
    pointer: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.pointer or '#'}: {self.message}"


class SpecError(Exception):
    """The input is invalid; generation stops and nothing is written (exit code 2)."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = sorted(set(problems), key=lambda p: (p.file, p.line, p.pointer, p.message))
        super().__init__("\n".join(str(p) for p in self.problems))


class GenerationError(Exception):
    """Generation failed for a reason that is not a fault in the spec (exit code 1)."""
