"""Patterns as JSON Schema reads them, written for the engines the models run.

A ``pattern`` is an ECMA-262 regular expression: ``\\d`` is ``[0-9]`` and ``\\w`` is
``[0-9A-Za-z_]``. Python's ``re`` and Rust's ``regex`` (pydantic's engine) read both as
Unicode classes, so a model accepted ``"੮"`` for ``^\\d+$`` where every JSON Schema
validator refuses it (the models' own JSON Schema check, jsonschema-rs, included).
The models get the classes spelled out; the served document keeps the author's pattern.
``\\D`` and ``\\W`` inside a bracket class have no spelling there and are left as they
are; so is ``\\b``, which neither engine can say in a way the other reads, and so are
``\\s`` and ``.``, which differ from ECMA-262 only at a few spaces and line terminators.
"""

from __future__ import annotations

_CLASSES = {"d": "0-9", "w": "0-9A-Za-z_"}


def as_ecma_reads(pattern: str) -> str:
    """``pattern`` with ECMA-262's ASCII ``\\d``, ``\\w``, ``\\D`` and ``\\W`` spelled out."""
    out: list[str] = []
    in_class = False
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\" and index + 1 < len(pattern):
            escaped = pattern[index + 1]
            index += 2
            spelled = _CLASSES.get(escaped.lower())
            if spelled is None or (in_class and escaped.isupper()):
                out.append(char + escaped)
            elif in_class:
                out.append(spelled)
            else:
                out.append(("[" if escaped.islower() else "[^") + spelled + "]")
            continue
        if char == "[" and not in_class:
            in_class = True
        elif char == "]" and in_class:
            in_class = False
        out.append(char)
        index += 1
    return "".join(out)
