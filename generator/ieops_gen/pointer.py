"""JSON pointers (RFC 6901): the addresses used in error messages and ``$ref``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def escape(token: str) -> str:
    """Escape one reference token."""
    return token.replace("~", "~0").replace("/", "~1")


def unescape(token: str) -> str:
    """Undo :func:`escape`."""
    return token.replace("~1", "/").replace("~0", "~")


def join(base: str, *tokens: str | int) -> str:
    """``join("/paths", "/v1/x")`` is ``/paths/~1v1~1x``."""
    return base + "".join("/" + escape(str(t)) for t in tokens)


def split(pointer: str) -> list[str]:
    """The unescaped tokens of a pointer (``""`` is the whole document)."""
    if not pointer:
        return []
    if not pointer.startswith("/"):
        raise ValueError(f"JSON pointer must start with '/': {pointer!r}")
    return [unescape(t) for t in pointer[1:].split("/")]


def resolve(document: Any, tokens: Sequence[str]) -> Any:
    """The node at ``tokens``; ``KeyError`` when there is none."""
    node = document
    for token in tokens:
        if isinstance(node, dict):
            if token not in node:
                raise KeyError(token)
            node = node[token]
        elif isinstance(node, list):
            if not token.isdigit() or int(token) >= len(node):
                raise KeyError(token)
            node = node[int(token)]
        else:
            raise KeyError(token)
    return node
