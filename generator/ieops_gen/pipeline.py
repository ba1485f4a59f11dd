"""The whole run: find documents, load, validate, build the IR, generate, render."""

from __future__ import annotations

import ast
import os
from dataclasses import dataclass, field
from pathlib import Path

from . import build, emit, formatter, ir, load, models, names, validate
from .errors import GenerationError, Problem, SpecError

SUFFIXES = (".yaml", ".yml", ".json")


@dataclass
class Result:
    """Everything one run produced, before anything is written."""

    files: dict[str, str]
    services: list[ir.Service]
    models: dict[str, models.Models]
    warnings: list[str] = field(default_factory=list)


def discover(schemas: Path, roots: load.Roots, limits: load.Limits = load.LIMITS) -> list[Path]:
    """The OpenAPI documents in ``schemas`` (a file, or a folder's top-level files).

    Every unreadable candidate is reported, not just the first.
    """
    return [path for path, _ in _documents(schemas, roots, limits)]


def _documents(
    schemas: Path, roots: load.Roots, limits: load.Limits
) -> list[tuple[Path, load.SourceFile | None]]:
    """:func:`discover`, with each document as read to look at it (read once, not twice)."""
    if schemas.is_file():
        return [(schemas, None)]
    if not schemas.is_dir():
        raise SpecError([Problem(str(schemas), 1, "", "no such file or directory")])
    found: list[tuple[Path, load.SourceFile | None]] = []
    problems: list[Problem] = []
    for path in sorted(schemas.iterdir()):
        if path.suffix.lower() not in SUFFIXES or not (path.is_file() or path.is_symlink()):
            continue
        try:
            source = load.open_document(path, roots, limits)
        except SpecError as exc:
            problems.extend(exc.problems)
            continue
        if isinstance(source.data, dict) and ("openapi" in source.data or "swagger" in source.data):
            found.append((path, source))
    if problems:
        raise SpecError(problems)
    if not found:
        raise SpecError(
            [Problem(str(schemas), 1, "", "no OpenAPI document (a file with an 'openapi' key)")]
        )
    return found


def run(
    schemas: Path,
    package: str,
    *,
    ref_roots: tuple[Path, ...] = (),
    limits: load.Limits = load.LIMITS,
    lenient: bool = False,
    enums: str = "enum",
) -> Result:
    """Generate the output tree for every document under ``schemas`` (nothing written).

    ``$ref``s read only inside the schemas folder and ``ref_roots``; ``enums`` is
    ``"enum"`` (``class X(str, Enum)``) or ``"literal"`` (``Literal[...]`` aliases).
    """
    if not all(part.isidentifier() for part in package.split(".")):
        raise GenerationError(f"output folder {package!r} is not a Python package path")
    base = schemas if schemas.is_dir() else schemas.parent
    roots = load.Roots(base, ref_roots)
    problems: list[Problem] = []
    bundles: list[tuple[Path, load.Bundle]] = []
    repaired: list[str] = []
    for path, source in _documents(schemas, roots, limits):
        try:
            bundle = load.bundle(path, roots, limits, source)
            repaired.extend(str(p) for p in validate.validate(bundle, lenient))
            _check_operation_count(bundle, limits)
        except SpecError as exc:
            problems.extend(exc.problems)
            continue
        bundles.append((path, bundle))
    if problems:
        raise SpecError(problems)
    modules = names.Namer({"models", "service", "routes", "client"})
    files: dict[str, str] = {}
    services: list[ir.Service] = []
    generated: dict[str, models.Models] = {}
    warnings: list[str] = [f"lenient: {message}" for message in repaired]
    found = [modules.unique(names.snake(path.stem, prefix="api")) for path, _ in bundles]
    classes = names.service_classes(
        [(module, _title(bundle)) for module, (_, bundle) in zip(found, bundles, strict=True)]
    )
    for module, class_name, (_, bundle) in zip(found, classes, bundles, strict=True):
        service = build.build(bundle, module, class_name)
        header = emit.header(service.source)
        result = models.generate(service, header, enums=enums)
        for rel, text in emit.render(service, result, package).items():
            files[f"{module}/{rel}"] = text
        warnings.extend(f"{service.source}: skipped {reason}" for reason in service.skipped)
        # a warning that starts with its pointer gets the file; others are located already
        warnings.extend(
            f"{service.source}: {warning}" if warning.startswith("/") else warning
            for warning in service.warnings
        )
        services.append(service)
        generated[module] = result
    files["__init__.py"] = emit.render_root(services, package)
    return Result(formatter.format_files(files, package), services, generated, warnings)


def _title(bundle: load.Bundle) -> object:
    info = bundle.document.get("info")
    return info.get("title") if isinstance(info, dict) else None


def _check_operation_count(bundle: load.Bundle, limits: load.Limits) -> None:
    paths = bundle.document.get("paths")
    count = sum(
        1
        for item in (paths.values() if isinstance(paths, dict) else ())
        if isinstance(item, dict)
        for method in validate.HTTP_METHODS
        if isinstance(item.get(method), dict)
    )
    if count > limits.max_operations:
        raise SpecError(
            [bundle.problem("/paths", f"{count} operations; the limit is {limits.max_operations}")]
        )


def stub_path(stubs: Path, service: ir.Service) -> Path:
    """Where the handler stub of ``service`` lives."""
    return stubs / f"{service.module}_impl.py"


def stub_class(service: ir.Service) -> str:
    """The class name written in a new stub."""
    return service.class_name + "Impl"


def required_methods(service: ir.Service) -> dict[str, str]:
    """Method name -> route, for every method an implementation needs."""
    required = {}
    for op in service.operations:
        required[op.method_name] = op.label
        if op.stream_method_name:
            required[op.stream_method_name] = op.label + " (stream)"
    return required


def missing_in_stub(path: Path, service: ir.Service) -> list[str] | None:
    """Methods the stub's implementation class lacks; ``None`` when no such class is found."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and any(
            (isinstance(b, ast.Name) and b.id == service.class_name)
            or (isinstance(b, ast.Attribute) and b.attr == service.class_name)
            for b in node.bases
        ):
            defined = {
                item.name
                for item in node.body
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef))
            }
            return [
                f"{name} ({route})"
                for name, route in required_methods(service).items()
                if name not in defined
            ]
    return None


def _create(path: Path, text: str) -> bool:
    """Create ``path`` with ``text``; never through a symlink, never over an existing entry."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags, 0o666)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)
    return True


def stubs(result: Result, directory: Path, package: str, write: bool) -> list[tuple[str, bool]]:
    """Write missing stubs (when ``write``); report the methods existing stubs lack.

    Each message comes with whether it is a problem (``False``: a note, such as a stub
    written)."""
    messages: list[tuple[str, bool]] = []
    for service in result.services:
        path = stub_path(directory, service)
        if path.is_symlink() or (path.exists() and not path.is_file()):
            messages.append((f"{path}: not a regular file; stub left alone", True))
            continue
        if not path.exists():
            if write:
                directory.mkdir(parents=True, exist_ok=True)
                text = emit.render_stub(
                    service, result.models[service.module], package, stub_class(service)
                )
                if _create(path, text):
                    messages.append((f"wrote stub {path}", False))
                else:
                    messages.append(
                        (f"{path}: exists (a link or special file); stub not written", True)
                    )
            continue
        try:
            missing = missing_in_stub(path, service)
        except (OSError, SyntaxError, ValueError) as exc:
            messages.append(
                (f"{path}: cannot read the stub ({type(exc).__name__}); not checked", True)
            )
            continue
        if missing is None:
            messages.append((f"{path}: no subclass of {service.class_name} found", True))
        elif missing:
            messages.append(
                (f"{path}: {service.class_name} gained operations; add: {', '.join(missing)}", True)
            )
    return messages
