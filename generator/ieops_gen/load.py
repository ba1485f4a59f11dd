"""Read YAML/JSON spec files and bundle relative ``$ref``s into one document.

Values are read with the fast loaders; line numbers are found only when an error needs
one, by composing the file's YAML node tree and walking it to the pointer. External
references (``other.yaml#/X``) are copied into the root document's ``components`` so the
rest of the pipeline, and the bundled ``openapi.json``, see one self-contained document.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import yaml

from . import pointer as jp
from .errors import Problem, SpecError

_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_Loader: type[yaml.SafeLoader] | type[yaml.CSafeLoader]
if getattr(yaml, "__with_libyaml__", False):

    class _FastLoader(yaml.CSafeLoader):
        """Safe loader that keeps dates as strings: a spec is JSON data, not YAML objects."""

    _Loader = _FastLoader
else:  # pragma: no cover - PyYAML without libyaml

    class _PureLoader(yaml.SafeLoader):
        """Safe loader that keeps dates as strings: a spec is JSON data, not YAML objects."""

    _Loader = _PureLoader

_Loader.yaml_implicit_resolvers = {
    key: [(tag, rx) for tag, rx in resolvers if tag != _TIMESTAMP]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass
class SourceFile:
    """One file read from disk, with its data and (lazily) its node tree for line numbers."""

    path: Path
    display: str
    text: str
    data: Any
    _root: yaml.Node | None = field(default=None, repr=False)
    _composed: bool = field(default=False, repr=False)

    def line_of(self, pointer: str) -> int:
        """1-based line of the node at ``pointer``, or of its nearest existing parent."""
        if not self._composed:
            self._composed = True
            try:
                self._root = yaml.compose(self.text, Loader=_Loader)
            except yaml.YAMLError:
                self._root = None
        node = self._root
        if node is None:
            return 1
        try:
            tokens = jp.split(pointer)
        except ValueError:
            return 1
        for token in tokens:
            child: yaml.Node | None = None
            if isinstance(node, yaml.MappingNode):
                for key, value in node.value:
                    if isinstance(key, yaml.ScalarNode) and str(key.value) == token:
                        child = value
                        break
            elif (
                isinstance(node, yaml.SequenceNode)
                and token.isdigit()
                and int(token) < len(node.value)
            ):
                child = node.value[int(token)]
            if child is None:
                break
            node = child
        return int(node.start_mark.line) + 1


def _normalise(value: Any) -> Any:
    """JSON data model: mapping keys become strings (YAML reads ``200:`` as an int)."""
    if isinstance(value, dict):
        return {_key(k): _normalise(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalise(v) for v in value]
    return value


def _key(key: Any) -> str:
    if isinstance(key, bool):
        return "true" if key else "false"
    return key if isinstance(key, str) else str(key)


def read_file(path: Path, display: str) -> SourceFile:
    """Parse one YAML or JSON file; a syntax error is a :class:`SpecError` with its line."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError([Problem(display, 1, "", f"cannot read file: {exc}")]) from None
    try:
        if path.suffix.lower() == ".json":
            data = json.loads(text)
        else:
            data = _normalise(yaml.load(text, Loader=_Loader))
    except json.JSONDecodeError as exc:
        raise SpecError([Problem(display, exc.lineno, "", f"invalid JSON: {exc.msg}")]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = int(mark.line) + 1 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc)
        raise SpecError([Problem(display, line, "", f"invalid YAML: {problem}")]) from None
    return SourceFile(path=path, display=display, text=text, data=data)


@dataclass
class Bundle:
    """The root document with every external ``$ref`` copied in, and where each part came from."""

    root: SourceFile
    document: dict[str, Any]
    files: dict[Path, SourceFile]
    # bundled pointer prefix -> (file, pointer prefix in that file), for error locations
    origins: dict[str, tuple[SourceFile, str]]

    def locate(self, pointer: str) -> Problem:
        """A :class:`Problem` template (message empty) for a pointer into the bundle."""
        best = ""
        for prefix in self.origins:
            if (pointer == prefix or pointer.startswith(prefix + "/")) and len(prefix) > len(best):
                best = prefix
        if best:
            source, base = self.origins[best]
            original = base + pointer[len(best) :]
        else:
            source, original = self.root, pointer
        return Problem(source.display, source.line_of(original), original, "")

    def problem(self, pointer: str, message: str) -> Problem:
        """``file:line: pointer: message`` for a pointer into the bundled document."""
        where = self.locate(pointer)
        return Problem(where.file, where.line, where.pointer, message)


_SECTION = re.compile(r"^/components/([A-Za-z]+)/([^/]+)$")
_REMOTE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


class _Bundler:
    def __init__(self, root: SourceFile, base_dir: Path) -> None:
        self.root = root
        self.base_dir = base_dir
        self.files: dict[Path, SourceFile] = {root.path.resolve(): root}
        self.document: dict[str, Any] = copy.deepcopy(root.data)
        self.hoisted: dict[tuple[Path, str], str] = {}  # (file, pointer) -> bundled $ref
        self.origins: dict[str, tuple[SourceFile, str]] = {}
        self.problems: list[Problem] = []
        components = self.document.setdefault("components", {})
        self.taken: dict[str, set[str]] = {
            section: set(values)
            for section, values in components.items()
            if isinstance(values, dict)
        }

    def file(self, path: Path, source: SourceFile, where: str) -> SourceFile | None:
        resolved = path.resolve()
        if resolved not in self.files:
            display = _display(resolved, self.base_dir)
            if not resolved.is_file():
                line = source.line_of(where)
                self.problems.append(
                    Problem(source.display, line, where, f"$ref file not found: {display}")
                )
                return None
            try:
                self.files[resolved] = read_file(resolved, display)
            except SpecError as exc:
                self.problems.extend(exc.problems)
                return None
        return self.files[resolved]

    def walk(self, node: Any, source: SourceFile, here: str, at: str) -> None:
        """Rewrite refs in ``node`` (read from ``source`` at ``here``; placed at ``at``)."""
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str):
                new = self.rewrite(ref, source, jp.join(here, "$ref"))
                if new is not None:
                    node["$ref"] = new
            for key, value in list(node.items()):
                if key != "$ref":
                    self.walk(value, source, jp.join(here, key), jp.join(at, key))
        elif isinstance(node, list):
            for index, value in enumerate(node):
                self.walk(value, source, jp.join(here, index), jp.join(at, index))

    def rewrite(self, ref: str, source: SourceFile, where: str) -> str | None:
        if _REMOTE.match(ref):
            self.problems.append(
                Problem(
                    source.display,
                    source.line_of(where),
                    where,
                    f"remote $ref is not supported (copy the file next to the spec): {ref}",
                )
            )
            return None
        target, _, fragment = ref.partition("#")
        fragment = unquote(fragment)
        if not target and source is self.root:
            return None  # local to the root: already in the bundle
        if fragment and not fragment.startswith("/"):
            self.problems.append(
                Problem(
                    source.display,
                    source.line_of(where),
                    where,
                    f"$ref fragment must be a JSON pointer: {ref}",
                )
            )
            return None
        target_file = source
        if target:
            found = self.file(source.path.parent / unquote(target), source, where)
            if found is None:
                return None
            target_file = found
        if target_file is self.root:
            return "#" + fragment
        key = (target_file.path.resolve(), fragment)
        if key in self.hoisted:
            return self.hoisted[key]
        try:
            value = jp.resolve(target_file.data, jp.split(fragment))
        except KeyError:
            self.problems.append(
                Problem(
                    source.display, source.line_of(where), where, f"$ref target not found: {ref}"
                )
            )
            return None
        match = _SECTION.match(fragment)
        section = match.group(1) if match else "schemas"
        base = jp.unescape(match.group(2)) if match else _name_for(fragment, value, target_file)
        name = self.unique(section, base)
        bundled = jp.join("/components", section, name)
        self.hoisted[key] = "#" + bundled
        copied = copy.deepcopy(value)
        self.document["components"].setdefault(section, {})[name] = copied
        self.origins[bundled] = (target_file, fragment)
        self.walk(copied, target_file, fragment, bundled)
        return "#" + bundled

    def unique(self, section: str, base: str) -> str:
        base = re.sub(r"[^A-Za-z0-9._-]", "_", base) or "Schema"
        taken = self.taken.setdefault(section, set())
        name, n = base, 2
        while name in taken:
            name, n = f"{base}{n}", n + 1
        taken.add(name)
        return name


def _name_for(fragment: str, value: Any, source: SourceFile) -> str:
    tokens = jp.split(fragment)
    if tokens:
        return tokens[-1]
    title = value.get("title") if isinstance(value, dict) else None
    if isinstance(title, str) and title.strip():
        return "".join(part[:1].upper() + part[1:] for part in re.split(r"\W+", title) if part)
    stem = source.path.name.split(".")[0]
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[\W_]+", stem) if part)


def _display(path: Path, base_dir: Path) -> str:
    try:
        return path.relative_to(base_dir.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def bundle(path: Path, base_dir: Path | None = None) -> Bundle:
    """Load ``path`` and copy everything its relative ``$ref``s reach into one document."""
    base = base_dir if base_dir is not None else path.parent
    root = read_file(path, _display(path.resolve(), base))
    if not isinstance(root.data, dict):
        raise SpecError([Problem(root.display, 1, "", "a spec document must be a mapping")])
    bundler = _Bundler(root, base)
    # paths first, then components, so names are stable in document order
    bundler.walk(bundler.document, root, "", "")
    if bundler.problems:
        raise SpecError(bundler.problems)
    components = bundler.document.get("components")
    if components == {} and "components" not in root.data:
        del bundler.document["components"]
    return Bundle(root, bundler.document, bundler.files, bundler.origins)
