"""Turn names from a spec into safe, stable Python identifiers.

Spec names are data: keywords get a trailing ``_``, anything that is not an identifier is
rewritten, and duplicates after sanitising get numbered suffixes in document order, so
the same spec always yields the same names.
"""

from __future__ import annotations

import keyword
import re
import unicodedata

AMBIGUOUS = {"l", "O", "I"}
"""Names ruff (E741/E742) rejects as easy to misread."""

_WORD = re.compile(r"[A-Z]+(?=[A-Z][a-z0-9])|[A-Z]?[a-z0-9]+|[A-Z]+|[0-9]+")


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def words(text: str) -> list[str]:
    """Split ``createChatCompletion`` / ``get-model_v2`` into lower-case words."""
    return [w.lower() for w in _WORD.findall(_ascii(text))]


def _safe(name: str, prefix: str) -> str:
    if not name:
        name = prefix
    elif name[0].isdigit():
        name = f"{prefix}_{name}"
    if keyword.iskeyword(name) or keyword.issoftkeyword(name) or name in ("self", "cls"):
        name += "_"
    return name


def snake(text: str, prefix: str = "op") -> str:
    """A snake_case identifier for ``text`` (method and parameter names)."""
    return _safe("_".join(words(text)), prefix)


def pascal(text: str, prefix: str = "Model") -> str:
    """A PascalCase identifier for ``text`` (class names)."""
    name = "".join(w[:1].upper() + w[1:] for w in words(text))
    if not name or name[0].isdigit():
        name = prefix + name
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        name += prefix
    return name


def class_name(text: str) -> str:
    """A spec's schema name as a class name, the way datamodel-code-generator writes it.

    An identifier keeps its spelling with each ``_``-separated part capitalised
    (``chat_message`` -> ``ChatMessage``, ``HTTPError`` stays); anything else goes through
    :func:`pascal`.
    """
    if text.isidentifier() and text.isascii():
        name = "".join(part[:1].upper() + part[1:] for part in text.split("_") if part)
        if name and not keyword.iskeyword(name) and not keyword.issoftkeyword(name):
            return name + "Model" if name in AMBIGUOUS else name
    return pascal(text)


def shorten(name: str, limit: int) -> str:
    """``name`` cut to ``limit`` characters, keeping its head and its tail."""
    if len(name) <= limit:
        return name
    half = limit // 2
    return name[:half].rstrip("_") + "_" + name[-(limit - half - 1) :].lstrip("_")


class Namer:
    """Hands out unique names; a clash gets ``_2``, ``_3``, ... in the order asked."""

    def __init__(self, reserved: set[str] | None = None) -> None:
        self.taken: set[str] = set(reserved or ())

    def unique(self, name: str, sep: str = "_") -> str:
        candidate, n = name, 2
        while candidate in self.taken:
            candidate, n = f"{name}{sep}{n}", n + 1
        self.taken.add(candidate)
        return candidate
