"""The harness's schema checker reads a 3.0 document as the generated models do."""

from __future__ import annotations

from typing import Any

import pytest

from .schemas import Checker


def _doc(schema: dict[str, Any]) -> dict[str, Any]:
    return {"openapi": "3.0.0", "info": {}, "paths": {}, "components": {"schemas": {"S": schema}}}


@pytest.mark.parametrize(
    ("value", "ok"), [("a", True), (3, True), (None, True), (1.5, False), ([], False)]
)
def test_a_type_list_in_a_30_document_is_a_union(value: Any, ok: bool) -> None:
    """cortex-cpp (3.0.0) writes ``type: [string, integer, "null"]``; the 3.0 validator
    raised TypeError on it."""
    checker = Checker(_doc({"type": ["string", "integer", "null"]}))
    assert (checker.errors("/components/schemas/S", value) == []) is ok
