"""A ``pattern`` means what ECMA-262 says, in the models as in every JSON Schema validator.

``\\d`` and ``\\w`` are ASCII classes in ECMA-262; Python's ``re`` and Rust's ``regex``
(pydantic's engine) read them as Unicode ones. Hugging Face's cron ``schedule`` pattern
(``\\d+``) took ``"੮"`` in the models, which the models' JSON Schema check and every other
validator refuse (the sweep counted the refusals as model gaps). The family: patterns
built of those classes, inside and outside brackets, negated or not, beside escapes and
literals; strings of ASCII and non-ASCII digits, letters and marks. A model accepts a
string exactly when jsonschema-rs (an ECMA-262 engine) does, and the served document keeps
the pattern as written."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import jsonschema_rs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.generated import models_of, takes

_NUMBER = itertools.count()

_CLASSES = [r"\d", r"\w", r"\D", r"\W", r"[\d]", r"[^\d]", r"[\w-]", r"[a\d_]", r"[^\w ]"]
_ATOMS = st.sampled_from([*_CLASSES, r"\\d", "a", "5", r"\.", ".", r"\s", r"[é]"])
_QUANTIFIERS = st.sampled_from(["", "+", "*", "?", "{2}"])
_TEXT = st.text(alphabet="a5Z_-. é੮٣ßⅨ\\d", max_size=5)


@st.composite
def _patterns(draw: st.DrawFn) -> str:
    parts = draw(st.lists(st.tuples(_ATOMS, _QUANTIFIERS), min_size=1, max_size=3))
    body = "".join(atom + quantifier for atom, quantifier in parts)
    return draw(st.sampled_from([f"^{body}$", body]))


@settings(max_examples=30, database=None, suppress_health_check=list(HealthCheck), deadline=None)
@given(pattern=_patterns(), texts=st.lists(_TEXT, min_size=1, max_size=10))
def test_a_pattern_admits_in_the_models_what_ecma_262_admits(
    tmp_path_factory: Any, pattern: str, texts: list[str]
) -> None:
    doc = {"openapi": "3.1.0", "info": {"title": "p", "version": "1"}, "paths": {}}
    field = {"type": "string", "pattern": pattern}
    doc["components"] = {
        "schemas": {"Value": {"type": "object", "properties": {"s": field}, "required": ["s"]}}
    }
    name = f"ecma{next(_NUMBER)}"
    root: Path = tmp_path_factory.mktemp(name)
    models = models_of(root, name, doc)
    served = json.loads((root / name / name / "openapi.json").read_text())
    assert served["components"]["schemas"]["Value"]["properties"]["s"]["pattern"] == pattern
    for text in texts:
        taken = takes(models.Value, {"s": text})
        assert taken == jsonschema_rs.is_valid(field, text), (pattern, text)
