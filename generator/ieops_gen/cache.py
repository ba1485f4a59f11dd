"""A no-change rerun skips the work: ``ieops-gen`` remembers what its last good run read and
wrote, and when neither has changed it answers without loading a spec or importing the
model generator (the rerun ``scripts/test.sh`` does on every run takes ~0.1 s instead of
seconds).

The fingerprint covers everything the output depends on: every file under the schemas
folder (or the one document) and under each ``--ref-root``, the options, the generator's own
sources and templates, and the versions of the libraries that shape the output. The stamp
also holds a hash of the output folder as written, so a hand edit of a generated file (or a
file removed) is a miss and the full run reports it. Stamps live outside the project, in
``$IEOPS_GEN_CACHE_DIR`` (default ``$XDG_CACHE_HOME/ieops-gen``, else
``~/.cache/ieops-gen``), one per output folder; ``--no-cache`` bypasses them. A cache that
cannot be read or written is no error: the run just does the work.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

_VERSIONED = ("datamodel-code-generator", "pydantic", "jinja2", "PyYAML", "ruff")
_MAX_FILES = 5000
_MAX_BYTES = 256 * 2**20
_SOURCES = Path(__file__).resolve().parent


@dataclass
class Stamp:
    inputs: str
    output: str
    files: int
    warnings: list[str] = field(default_factory=list)


def directory() -> Path:
    explicit = os.environ.get("IEOPS_GEN_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "ieops-gen"


def _stamp_path(out: Path) -> Path:
    key = hashlib.sha256(os.path.abspath(out).encode()).hexdigest()[:32]
    return directory() / f"{key}.json"


def _files(root: Path) -> Iterator[Path]:
    if root.is_file():
        yield root
        return
    for folder, dirs, names in os.walk(root):
        # Byte code is written by whoever imports the package, whenever: never an input.
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(names):
            yield Path(folder) / name


class _Digest:
    """sha256 over (name, bytes) pairs, refusing inputs too large to be worth caching."""

    def __init__(self) -> None:
        self.hash = hashlib.sha256()
        self.files = 0
        self.bytes = 0

    def add(self, name: str, data: bytes) -> None:
        self.files += 1
        self.bytes += len(data)
        if self.files > _MAX_FILES or self.bytes > _MAX_BYTES:
            raise _TooBig
        self.hash.update(f"{name}\0{len(data)}\0".encode())
        self.hash.update(data)

    def tree(self, label: str, root: Path) -> None:
        for path in _files(root):
            rel = os.path.relpath(path, root) if root.is_dir() else path.name
            mode = os.lstat(path).st_mode
            if stat.S_ISLNK(mode):
                self.add(f"{label}/{rel}", b"symlink\0" + os.readlink(path).encode())
            elif stat.S_ISREG(mode):
                self.add(f"{label}/{rel}", path.read_bytes())
            else:  # a FIFO or a device is never read (it could block): only its kind counts
                self.add(f"{label}/{rel}", f"special\0{stat.S_IFMT(mode)}".encode())


class _TooBig(Exception):
    pass


def _inputs(schemas: Path, ref_roots: Iterable[Path], options: dict[str, object]) -> str | None:
    digest = _Digest()
    try:
        digest.add("options", json.dumps(options, sort_keys=True, default=str).encode())
        for name in _VERSIONED:
            try:
                version = importlib.metadata.version(name)
            except importlib.metadata.PackageNotFoundError:
                version = "-"
            digest.add(f"version/{name}", version.encode())
        digest.tree("generator", _SOURCES)
        digest.tree("schemas", schemas)
        for n, root in enumerate(ref_roots):
            digest.tree(f"ref-root-{n}", root)
    except (OSError, _TooBig):
        return None
    return digest.hash.hexdigest()


def _output(out: Path) -> str | None:
    if not out.is_dir() or out.is_symlink():
        return None
    digest = _Digest()
    try:
        digest.tree("out", out)
    except (OSError, _TooBig):
        return None
    return digest.hash.hexdigest()


@dataclass
class Cache:
    """The stamp of one output folder, for one set of inputs and options."""

    out: Path
    inputs: str | None

    @classmethod
    def of(
        cls, schemas: Path, out: Path, ref_roots: Iterable[Path], options: dict[str, object]
    ) -> Cache:
        return cls(out, _inputs(schemas, ref_roots, options))

    def lookup(self) -> Stamp | None:
        """The stamp when inputs and output are both as the last good run left them."""
        if self.inputs is None:
            return None
        try:
            raw = json.loads(_stamp_path(self.out).read_text(encoding="utf-8"))
            stamp = Stamp(**raw)
        except (OSError, ValueError, TypeError):
            return None
        if stamp.inputs != self.inputs or stamp.output != _output(self.out):
            return None
        return stamp

    def store(self, files: int, warnings: list[str]) -> None:
        output = _output(self.out)
        if self.inputs is None or output is None:
            return
        stamp = Stamp(self.inputs, output, files, list(warnings))
        path = _stamp_path(self.out)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            temp = path.with_name(f".{path.name}.{os.getpid()}")
            temp.write_text(json.dumps(stamp.__dict__), encoding="utf-8")
            os.replace(temp, path)
        except OSError:
            pass
