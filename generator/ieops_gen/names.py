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


SERVICE_NAME_LENGTH = 40
"""A title that makes a longer class name falls back to the file name."""

_GENERIC_TAIL = {"api", "apis", "service", "openapi", "rest", "http"}
"""Trailing title words that say nothing about the service (``OpenAI API``)."""


def title_class(title: object) -> str | None:
    """The class-name stem a spec's ``info.title`` gives, or ``None`` when it gives none.

    Words are the title's runs of ASCII letters and digits (accents dropped); each gets a
    capital first letter and keeps the rest as written, so acronyms stay whole (PEP 8:
    ``OpenAI API`` -> ``OpenAI``, ``Text Generation Inference`` ->
    ``TextGenerationInference``). Trailing words that name no service (``API``,
    ``Service``, ``REST``, ...) are dropped. ``None`` for a title that leaves nothing, starts
    with a digit or is over :data:`SERVICE_NAME_LENGTH` characters.
    """
    if not isinstance(title, str):
        return None
    found = re.findall(r"[A-Za-z0-9]+", _ascii(title))
    while found and found[-1].lower() in _GENERIC_TAIL:
        found.pop()
    name = "".join(word[:1].upper() + word[1:] for word in found)
    if not name or name[0].isdigit() or len(name + "Service") > SERVICE_NAME_LENGTH:
        return None
    return name


def service_classes(documents: list[tuple[str, object]]) -> list[str]:
    """The service class of each ``(module, info.title)`` of one schemas folder.

    ``<title>Service`` (:func:`title_class`), else ``<file name>Service``. Two documents
    whose titles give one name (the Cog documents are all ``Cog``) both use their file
    names: which one would keep the title would depend on the set of files. Decided on
    the whole folder, so it is the same whatever the order.
    """
    fallback = [pascal(module, prefix="Api") + "Service" for module, _ in documents]
    chosen = [
        (stem + "Service" if (stem := title_class(title)) else fallback[index])
        for index, (_, title) in enumerate(documents)
    ]
    for _ in range(len(documents) + 1):
        counts: dict[str, int] = {}
        for name in chosen:
            counts[name] = counts.get(name, 0) + 1
        clashing = [i for i, name in enumerate(chosen) if counts[name] > 1]
        if not clashing or all(chosen[i] == fallback[i] for i in clashing):
            break
        for index in clashing:
            chosen[index] = fallback[index]
    unique = Namer()
    return [unique.unique(name, sep="") for name in chosen]  # file names that still clash
