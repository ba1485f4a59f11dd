"""Read YAML/JSON spec files and bundle relative ``$ref``s into one document.

Values are read with the fast loaders; line numbers are found only when an error needs
one, by composing the file's YAML node tree and walking it to the pointer. External
references (``other.yaml#/X``) are copied into the root document's ``components`` so the
rest of the pipeline, and the bundled ``openapi.json``, see one self-contained document.
"""

from __future__ import annotations

import copy
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import yaml

from . import pointer as jp
from . import refs
from .errors import Problem, SpecError

_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_NOT_JSON = ("binary", "set", "timestamp", "omap", "pairs")


@dataclass(frozen=True)
class Limits:
    """Bounds on what one input may cost; each overrun is a clear spec error."""

    max_bytes: int = 20 * 1024 * 1024
    """Size of one file (``--max-spec-size`` in MiB raises it)."""
    max_depth: int = 100
    """Nesting of mappings and lists (the public corpus stays under 35)."""
    max_values: int = 2_000_000
    """Values in one file after YAML aliases are expanded (an alias bomb stops here)."""
    max_operations: int = 20_000
    """Operations in one document (10,000 generate in well under a minute)."""


LIMITS = Limits()


def _check_keys(node: yaml.MappingNode) -> None:
    """JSON objects: keys are unique scalars (a repeated path would silently vanish)."""
    seen: set[tuple[str, Any]] = set()
    for key_node, _ in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            raise yaml.constructor.ConstructorError(
                None, None, "a mapping key must be a string or number", key_node.start_mark
            )
        key = (key_node.tag, key_node.value)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key_node.value!r}", key_node.start_mark
            )
        seen.add(key)


def _construct_mapping(
    self: yaml.constructor.SafeConstructor, node: yaml.MappingNode, deep: bool = False
) -> dict[Any, Any]:
    _check_keys(node)
    return dict(yaml.constructor.SafeConstructor.construct_mapping(self, node, deep))


def _refuse_tag(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    raise yaml.constructor.ConstructorError(
        None,
        None,
        f"YAML tag {node.tag.replace('tag:yaml.org,2002:', '!!')} is not JSON data",
        node.start_mark,
    )


_Loader: type[yaml.SafeLoader] | type[yaml.CSafeLoader]
if getattr(yaml, "__with_libyaml__", False):

    class _FastLoader(yaml.CSafeLoader):
        """Safe loader for spec documents (libyaml parser): JSON data only."""

        construct_mapping = _construct_mapping

    _Loader = _FastLoader
else:  # pragma: no cover - PyYAML without libyaml

    class _PureLoader(yaml.SafeLoader):
        """Safe loader for spec documents: JSON data only."""

        construct_mapping = _construct_mapping

    _Loader = _PureLoader

_Loader.yaml_implicit_resolvers = {
    key: [(tag, rx) for tag, rx in resolvers if tag != _TIMESTAMP]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.yaml_constructors = dict(_Loader.yaml_constructors)
for _tag in _NOT_JSON:
    _Loader.yaml_constructors[f"tag:yaml.org,2002:{_tag}"] = _refuse_tag


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
    if key is None:
        return "null"
    return key if isinstance(key, str) else str(key)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a finite JSON number")


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(key)
        result[key] = value
    return result


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _measure(data: Any, limits: Limits) -> tuple[str, str] | None:
    """``(pointer, message)`` for the first value past the limits, else ``None``.

    Walks the data as the rest of the pipeline will see it (aliases expanded), so the
    cost is bounded by ``max_values`` however the file was written.
    """
    count = 0
    stack: list[tuple[Any, int, tuple[Any, ...] | None]] = [(data, 1, None)]
    while stack:
        value, depth, trail = stack.pop()
        count += 1
        if count > limits.max_values:
            return _trail(trail), (
                f"more than {limits.max_values} values (YAML aliases expand the document "
                "past the limit)"
            )
        if isinstance(value, float) and (value != value or value in (_INF, -_INF)):
            return _trail(trail), f"{value} is not a finite JSON number"
        if isinstance(value, (dict, list)):
            if depth > limits.max_depth:
                if _recursive(data):
                    return _trail(trail), "a YAML alias refers to itself (a recursive alias)"
                return _trail(trail), f"nested deeper than {limits.max_depth} levels"
            items = value.items() if isinstance(value, dict) else enumerate(value)
            stack.extend((sub, depth + 1, (trail, key)) for key, sub in items)
    return None


_INF = float("inf")


def _trail(trail: tuple[Any, ...] | None) -> str:
    tokens: list[str] = []
    while trail is not None:
        trail, key = trail
        tokens.append(_key(key))
    return jp.join("", *reversed(tokens))


def _recursive(data: Any) -> bool:
    path: set[int] = set()

    def visit(value: Any, depth: int) -> bool:
        if not isinstance(value, (dict, list)) or depth > LIMITS.max_depth + 1:
            return False
        if id(value) in path:
            return True
        path.add(id(value))
        children = value.values() if isinstance(value, dict) else value
        found = any(visit(child, depth + 1) for child in children)
        path.discard(id(value))
        return found

    return visit(data, 0)


def _line_of_offset(raw: bytes, offset: int) -> int:
    return raw.count(b"\n", 0, offset) + 1


def read_file(path: Path, display: str, limits: Limits = LIMITS) -> SourceFile:
    """Parse one YAML or JSON file as JSON data; any fault is a :class:`SpecError`."""

    def problem(line: int, message: str, pointer: str = "") -> SpecError:
        return SpecError([Problem(display, line, pointer, message)])

    try:
        size = path.stat().st_size
        if size > limits.max_bytes:
            raise problem(
                1,
                f"file is larger than the limit ({size} > {limits.max_bytes} bytes; "
                "raise it with --max-spec-size)",
            )
        raw = path.read_bytes()
    except (OSError, RuntimeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise problem(1, f"cannot read file: {reason}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = _line_of_offset(raw, exc.start)
        raise problem(line, f"not UTF-8 text (byte 0x{raw[exc.start]:02x})") from None
    try:
        if path.suffix.lower() == ".json":
            data = json.loads(
                text, parse_constant=_refuse_constant, object_pairs_hook=_unique_pairs
            )
        else:
            data = yaml.load(text, Loader=_Loader)
    except _DuplicateKey as exc:
        raise problem(1, f"invalid JSON: duplicate key {exc.key!r}") from None
    except json.JSONDecodeError as exc:
        raise problem(exc.lineno, f"invalid JSON: {exc.msg}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = int(mark.line) + 1 if mark is not None else 1
        reason = getattr(exc, "problem", None) or str(exc)
        raise problem(line, f"invalid YAML: {reason}") from None
    except RecursionError:
        raise problem(1, f"nested deeper than {limits.max_depth} levels") from None
    except ValueError as exc:  # integers past Python's digit limit, NaN/Infinity
        message = str(exc)
        if "integer" in message or "digits" in message:
            message = "integer literal too large (more than 4300 digits)"
        raise problem(1, message) from None
    over = _measure(data, limits)
    source = SourceFile(path=path, display=display, text=text, data=None)
    if over is not None:
        pointer, message = over
        raise problem(source.line_of(pointer) if len(text) < 2**22 else 1, message, pointer)
    source.data = _normalise(data)
    return source


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
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")


class Roots:
    """The folders ``$ref``s may read from: the schemas folder, plus any named explicitly."""

    def __init__(self, base: Path, extra: tuple[Path, ...] = ()) -> None:
        self.base = Path(os.path.realpath(base))
        self.folders = (self.base, *(Path(os.path.realpath(p)) for p in extra))

    def contain(self, path: Path) -> Path | None:
        """The real path of ``path`` when it lies inside a root, else ``None``.

        Symlinks are resolved first, so a link inside the folder that points out of it is
        outside; a symlink loop raises :class:`OSError`.
        """
        plain = Path(os.path.normpath(os.path.abspath(path)))
        if not self._inside(plain):
            return None  # refused before anything on the way is looked at
        real = Path(os.path.realpath(path, strict=True))
        return real if self._inside(real) else None

    def _inside(self, path: Path) -> bool:
        return any(path == root or root in path.parents for root in self.folders)

    def display(self, path: Path) -> str:
        try:
            return path.relative_to(self.base).as_posix()
        except ValueError:
            return path.name


class _Bundler:
    def __init__(self, root: SourceFile, roots: Roots, limits: Limits) -> None:
        self.root = root
        self.roots = roots
        self.limits = limits
        self.files: dict[Path, SourceFile] = {root.path: root}
        self.document: dict[str, Any] = copy.deepcopy(root.data)
        self.hoisted: dict[tuple[Path, str], str] = {}  # (file, pointer) -> bundled $ref
        self.origins: dict[str, tuple[SourceFile, str]] = {}
        self.problems: list[Problem] = []
        components = self.document.get("components")
        if components is None:
            components = self.document["components"] = {}
        self.taken: dict[str, set[str]] = (
            {
                section: set(values)
                for section, values in components.items()
                if isinstance(values, dict)
            }
            if isinstance(components, dict)
            else {}
        )

    def refuse(self, source: SourceFile, where: str, message: str) -> None:
        self.problems.append(Problem(source.display, source.line_of(where), where, message))

    def file(self, path: Path, source: SourceFile, where: str, ref: str) -> SourceFile | None:
        try:
            real = self.roots.contain(path)
        except FileNotFoundError:
            self.refuse(source, where, f"$ref file not found: {ref}")
            return None
        except (OSError, RuntimeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "unreadable"
            self.refuse(source, where, f"$ref file cannot be read ({reason}): {ref}")
            return None
        if real is None:
            self.refuse(source, where, f"$ref leaves the schemas folder: {ref}")
            return None
        if real not in self.files:
            if not real.is_file():
                self.refuse(source, where, f"$ref file not found: {ref}")
                return None
            try:
                self.files[real] = read_file(real, self.roots.display(real), self.limits)
            except SpecError as exc:
                self.problems.extend(exc.problems)
                return None
        return self.files[real]

    def walk(self, node: Any, source: SourceFile, here: str) -> None:
        """Rewrite the refs in ``node``, read from ``source`` at pointer ``here``."""
        for holder, where in list(refs.references(node, here)):
            new = self.rewrite(holder["$ref"], source, jp.join(where, "$ref"))
            if new is not None:
                holder["$ref"] = new

    def rewrite(self, ref: str, source: SourceFile, where: str) -> str | None:
        scheme = _SCHEME.match(ref)
        if scheme:
            if scheme.group(1).lower() == "file":
                self.refuse(source, where, f"$ref leaves the schemas folder: {ref}")
            else:
                self.refuse(
                    source,
                    where,
                    f"remote $ref is not supported (copy the file next to the spec): {ref}",
                )
            return None
        target, _, fragment = ref.partition("#")
        fragment = unquote(fragment)
        if not target and source is self.root:
            return None  # local to the root: already in the bundle
        if fragment and not fragment.startswith("/"):
            self.refuse(source, where, f"$ref fragment must be a JSON pointer: {ref}")
            return None
        target_file = source
        if target:
            relative = unquote(target)
            if os.path.isabs(relative):
                self.refuse(source, where, f"$ref leaves the schemas folder: {ref}")
                return None
            found = self.file(source.path.parent / relative, source, where, ref)
            if found is None:
                return None
            target_file = found
        if target_file is self.root:
            return "#" + fragment
        key = (target_file.path, fragment)
        if key in self.hoisted:
            return self.hoisted[key]
        try:
            value = jp.resolve(target_file.data, jp.split(fragment))
        except KeyError:
            self.refuse(source, where, f"$ref target not found: {ref}")
            return None
        if not isinstance(self.document.get("components"), dict):
            self.refuse(source, where, "'components' must be a mapping")
            return None
        match = _SECTION.match(fragment)
        section = match.group(1) if match else "schemas"
        base = jp.unescape(match.group(2)) if match else _name_for(fragment, value, target_file)
        name = self.unique(section, base)
        bundled = jp.join("/components", section, name)
        self.hoisted[key] = "#" + bundled
        copied = copy.deepcopy(value)
        holder = self.document["components"].setdefault(section, {})
        if not isinstance(holder, dict):
            self.refuse(source, where, f"'components.{section}' must be a mapping")
            return None
        holder[name] = copied
        self.origins[bundled] = (target_file, fragment)
        self.walk(copied, target_file, fragment)
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


def open_document(path: Path, roots: Roots, limits: Limits = LIMITS) -> SourceFile:
    """Read one document of the schemas folder, refusing one that lives outside it."""
    display = roots.display(Path(os.path.abspath(path)))
    try:
        real = roots.contain(path)
    except (OSError, RuntimeError):
        raise SpecError([Problem(display, 1, "", "cannot read file (a symlink loop?)")]) from None
    if real is None:
        raise SpecError([Problem(display, 1, "", "the document leaves the schemas folder")])
    source = read_file(real, display, limits)
    return source


def bundle(
    path: Path,
    roots: Roots | Path | None = None,
    limits: Limits = LIMITS,
    root: SourceFile | None = None,
) -> Bundle:
    """Load ``path`` and copy everything its relative ``$ref``s reach into one document.

    ``root`` is ``path`` as :func:`open_document` already read it, if it did.
    """
    if not isinstance(roots, Roots):
        roots = Roots(roots if roots is not None else path.parent)
    if root is None:
        root = open_document(path, roots, limits)
    if not isinstance(root.data, dict):
        raise SpecError([Problem(root.display, 1, "", "a spec document must be a mapping")])
    bundler = _Bundler(root, roots, limits)
    # paths first, then components, so names are stable in document order
    bundler.walk(bundler.document, root, "")
    if bundler.problems:
        raise SpecError(bundler.problems)
    components = bundler.document.get("components")
    if components == {} and "components" not in root.data:
        del bundler.document["components"]
    return Bundle(root, bundler.document, bundler.files, bundler.origins)
