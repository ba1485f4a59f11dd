"""What every generated ``routes.py`` needs to bind a service implementation, written once.

A generated module keeps only what differs between services (its ``RouterDef`` list and its
table of operations) and calls these helpers for the rest, so a fix here reaches every
generated service without regenerating it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any


def load_openapi(path: str | Path) -> dict[str, Any]:
    """The OpenAPI document bundled at ``path``, served verbatim at ``/openapi.json``."""
    path = Path(path)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileNotFoundError(
            f"the OpenAPI document {path} is missing; run ieops-gen to regenerate it"
        ) from None
    except ValueError as exc:
        raise ValueError(f"the OpenAPI document {path} is not valid JSON: {exc}") from None
    if not isinstance(document, dict):
        raise ValueError(f"the OpenAPI document {path} is not a JSON object")
    return document


def unimplemented_operations(service: object, operations: Mapping[str, str]) -> list[str]:
    """The ``operations`` (method name → route) that ``service`` lacks, as ``name (route)``.

    A method counts as missing when it is absent, not callable, or still abstract (an
    instance of an ABC cannot exist with abstract methods, but a duck-typed object can).
    """
    missing = []
    for name, route in operations.items():
        method = getattr(service, name, None)
        if not callable(method) or getattr(method, "__isabstractmethod__", False):
            missing.append(f"{name} ({route})")
    return missing


def require_operations(service: object, interface: str, operations: Mapping[str, str]) -> None:
    """Refuse, before any route is built, a ``service`` that lacks one of ``operations``.

    The error names the class, the interface and each missing method with its route, so
    the fix is obvious from the message alone.
    """
    missing = unimplemented_operations(service, operations)
    if missing:
        raise TypeError(
            f"{type(service).__name__} does not implement {interface}: add {', '.join(missing)}"
        )


__all__ = ["load_openapi", "require_operations", "unimplemented_operations"]
