"""Generate one document in-process and import its models (generator tests)."""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from ieops_gen.pipeline import run
from ieops_gen.write import write_tree
from pydantic import TypeAdapter, ValidationError


def models_of(root: Path, name: str, doc: dict[str, Any] | str) -> ModuleType:
    """``doc`` (a dict, or YAML/JSON text) written as ``root/<name>.json`` and generated
    into the package ``root/<name>``: its ``models`` module, imported."""
    spec = root / f"{name}.json"
    spec.write_text(doc if isinstance(doc, str) else json.dumps(doc))
    write_tree(root / name, run(spec, name).files)
    sys.path.insert(0, str(root))
    try:
        return importlib.import_module(f"{name}.{name}.models")
    finally:
        sys.path.remove(str(root))


def takes(model: Any, value: Any) -> bool:
    """Whether ``model`` (a class, or the alias of a union of them) validates ``value``
    (the models' side of "admits what the served document admits")."""
    try:
        TypeAdapter(model).validate_python(value)
    except ValidationError:
        return False
    return True
