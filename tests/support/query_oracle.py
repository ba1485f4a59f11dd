"""What the tests expect of an untyped value (of a free-form exploded query object, or an
untyped or mixed query parameter), written
once for the property tests and the conformance round trip (``docs/generator.md``,
"Object parameters in the query")."""

from __future__ import annotations

from typing import Any

import pydantic_core


def untyped(value: Any) -> Any:
    """A string that is JSON text arrives as that JSON value (``"5"`` arrives as 5);
    everything else as sent."""
    if isinstance(value, str):
        try:
            return pydantic_core.from_json(value, allow_inf_nan=False)
        except ValueError:
            return value
    return value


def container(value: Any) -> Any:
    """A union of an object with scalars or arrays: a string that is an array's or an
    object's JSON text arrives as that value; everything else as sent."""
    if isinstance(value, str) and value[:1] in ("[", "{"):
        return untyped(value)
    return value
