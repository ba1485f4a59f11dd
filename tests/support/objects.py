"""Hypothesis strategies for the object schemas the ``allOf`` families combine."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hypothesis import strategies as st


@st.composite
def object_schemas(draw: st.DrawFn, names: Sequence[str]) -> dict[str, Any]:
    """An object declaring some of ``names`` as strings, requiring some, closed or open."""
    declared = sorted(draw(st.sets(st.sampled_from(names), min_size=1, max_size=3)))
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {name: {"type": "string"} for name in declared},
    }
    required = sorted(draw(st.sets(st.sampled_from(declared))))
    if required:
        schema["required"] = required
    if draw(st.booleans()):
        schema["additionalProperties"] = False
    return schema
