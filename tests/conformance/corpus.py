"""The documents of the sweep, and the build stage: generate, ruff, mypy --strict, import.

Documents: every OpenAPI 3.x file under ``../shared/specs`` (found relative to the repo
root, like ``tests/generator/conftest.py``) and every top-level document in ``schemas/``.
A new file in either place joins the sweep with no code change. The Hugging Face task
schemas (``huggingface-tasks/``, JSON Schema with no OpenAPI document) join as one
document per task that ``hf_tasks.py`` writes into a temp dir for the session.

Counts come from ``CONFORMANCE_EXAMPLES`` (hypothesis examples per operation and client,
default 2 for CI) and ``CONFORMANCE_MAX_BYTES`` (documents larger than this are swept only
in the soak, default 150 kB for CI; ``0`` means no limit). ``CONFORMANCE_ONLY=wire/,schemas/``
builds only documents under those prefixes (for a quick run; the table test then skips).
"""

from __future__ import annotations

import atexit
import importlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .hf_tasks import write_all

ROOT = Path(__file__).resolve().parents[2]
SPECS = ROOT.parent / "shared" / "specs"
SCHEMAS = ROOT / "schemas"
WIRE = Path(__file__).with_name("specs")  # small documents, one per class of wire behaviour
HF_TASKS = SPECS / "huggingface-tasks"
SKIP_FOLDERS = ("json-schema-test-suite/", "huggingface-tasks/")


def examples() -> int:
    return max(1, int(os.environ.get("CONFORMANCE_EXAMPLES", "2")))


def max_bytes() -> int:
    return int(os.environ.get("CONFORMANCE_MAX_BYTES", "150000"))


def soak() -> bool:
    """A run other than the CI pass (the table records only the CI pass)."""
    return examples() != 2 or max_bytes() != 150000 or bool(os.environ.get("CONFORMANCE_ONLY"))


@dataclass
class Document:
    """One OpenAPI document of the corpus."""

    rel: str  # "specs/lorax/openapi.json" or "schemas/chat.yaml"
    path: Path
    version: str
    size: int

    @property
    def package(self) -> str:
        stem = self.rel.rsplit(".", 1)[0]
        return "conf_" + "".join(c if c.isalnum() else "_" for c in stem)

    @property
    def selected(self) -> bool:
        """Under one of the ``CONFORMANCE_ONLY`` prefixes (every document when unset)."""
        only = os.environ.get("CONFORMANCE_ONLY")
        return not only or self.rel.startswith(tuple(only.split(",")))

    @property
    def in_ci(self) -> bool:
        if not self.selected:
            return False
        if not self.rel.startswith("specs/"):
            return True
        limit = max_bytes()
        return limit == 0 or self.size <= limit


@dataclass
class Built:
    """A document after the build stage."""

    doc: Document
    stage: str = "pass"  # the first stage that failed, or "pass"
    reason: str = ""
    seconds: float = 0.0
    result: Any = None  # ieops_gen.pipeline.Result
    warnings: list[str] = field(default_factory=list)
    modules: dict[str, Any] = field(default_factory=dict)
    lenient: bool = False  # strict mode refused it; generated with lenient=True

    @property
    def ok(self) -> bool:
        return self.stage == "pass"


def _load(path: Path) -> Any:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        return json.loads(text)
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def documents() -> list[Document]:
    """Every document of the sweep: ``schemas/``, the wire-class documents, the corpus."""
    found: list[Document] = []
    roots = [(SCHEMAS, "schemas", False), (WIRE, "wire", False)]
    if SPECS.is_dir():
        roots.append((SPECS, "specs", True))
    for base, label, recursive in roots:
        paths = sorted(base.rglob("*") if recursive else base.iterdir())
        for path in paths:
            rel = path.relative_to(base).as_posix()
            if not path.is_file() or path.suffix.lower() not in (".json", ".yaml", ".yml"):
                continue
            if rel.startswith(SKIP_FOLDERS):
                continue
            try:
                data = _load(path)
            except Exception:
                continue
            if not isinstance(data, dict):
                continue
            version = str(data.get("openapi") or "")
            if not version and "swagger" in data:
                version = "swagger " + str(data["swagger"])
            if not version:
                continue
            found.append(Document(f"{label}/{rel}", path, version, path.stat().st_size))
    return found + hf_documents()


def hf_documents() -> list[Document]:
    """One OpenAPI document per Hugging Face task, written to a temp dir for the session
    (``hf_tasks.py``); rows ``huggingface-tasks/<task>``."""
    if not HF_TASKS.is_dir():
        return []
    out = Path(tempfile.mkdtemp(prefix="conformance-hf-"))
    atexit.register(shutil.rmtree, out, True)
    return [
        Document(f"huggingface-tasks/{path.stem}", path, "3.1.0", path.stat().st_size)
        for path in write_all(HF_TASKS, out)
    ]


def generate(doc: Document, out: Path) -> Built:
    """Run the generator on one document and write its package under ``out``."""
    from ieops_gen.errors import SpecError
    from ieops_gen.pipeline import run
    from ieops_gen.write import write_tree

    built = Built(doc)
    if not doc.version.startswith("3."):
        built.stage, built.reason = "not OpenAPI 3.x", doc.version
        return built
    start = time.perf_counter()
    try:
        try:
            result = run(doc.path, doc.package)
        except SpecError:  # a vendor document: what lenient mode repairs, with warnings
            result = run(doc.path, doc.package, lenient=True)
            built.lenient = True
        write_tree(out / doc.package, result.files)
    except SpecError as exc:
        built.stage = "generate"
        built.reason = "spec error: " + str(exc).splitlines()[0][:300]
    except Exception as exc:  # a generator crash: a finding for the lead
        built.stage = "generate"
        built.reason = f"crash: {type(exc).__name__}: {str(exc)[:300]}"
    else:
        built.result = result
        built.warnings = result.warnings
    built.seconds = time.perf_counter() - start
    return built


def _tool(name: str) -> str:
    path = Path(sys.executable).with_name(name)
    return str(path) if path.exists() else name


def lint(built: list[Built], out: Path) -> None:
    """``ruff check`` and one ``mypy --strict`` over every generated package at once."""
    ok = [b for b in built if b.ok]
    if not ok:
        return
    packages = [b.doc.package for b in ok]
    config = str(ROOT / "pyproject.toml")
    ruff = subprocess.run(
        [
            _tool("ruff"),
            "check",
            "--config",
            config,
            "--no-cache",
            "--output-format",
            "concise",
            *packages,
        ],
        cwd=out,
        capture_output=True,
        text=True,
    )
    _blame(ok, ruff.stdout, "ruff")
    env = {**os.environ, "MYPYPATH": str(ROOT / "runtime")}
    mypy = subprocess.run(
        [
            _tool("mypy"),
            "--strict",
            "--python-version",
            "3.10",
            "--cache-dir",
            str(out / ".mypy_cache"),
            "--no-error-summary",
            "--hide-error-context",
            *[b.doc.package for b in ok if b.ok],
        ],
        cwd=out,
        capture_output=True,
        text=True,
        env=env,
    )
    _blame(ok, mypy.stdout, "mypy")


def _blame(built: list[Built], output: str, stage: str) -> None:
    by_package: dict[str, list[str]] = {}
    for line in output.splitlines():
        head = line.split("/", 1)[0]
        if ": error:" in line or (stage == "ruff" and ":" in line and "/" in line):
            by_package.setdefault(head, []).append(line)
    for b in built:
        lines = by_package.get(b.doc.package)
        if b.ok and lines:
            b.stage = stage
            b.reason = f"{len(lines)} error(s), first: " + lines[0].split("/", 1)[-1][:300]


def import_all(built: Built, out: Path) -> None:
    """Import every generated module of the document's package."""
    if str(out) not in sys.path:
        sys.path.insert(0, str(out))
    try:
        for service in built.result.services:
            for name in ("models", "service", "routes", "client"):
                module = f"{built.doc.package}.{service.module}.{name}"
                built.modules[f"{service.module}.{name}"] = importlib.import_module(module)
    except Exception as exc:
        built.stage = "import"
        built.reason = f"{type(exc).__name__}: {str(exc)[:300]}"
