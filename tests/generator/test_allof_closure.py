"""``allOf`` of drawn parts, each a ``$ref``'d component or inline, each declaring some
properties, requiring some, closed (``additionalProperties: false``) or open: the served
``openapi.json`` admits exactly the objects the models admit (3.1; a 3.0 document cannot
close the whole, so there it admits at least those). Session 10 fixed the shape the sweep
found (AssemblyAI's closed ``TranscriptOptionalParams`` beside a part requiring
``audio_url``) with examples; this draws the family."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conformance.schemas import Checker
from tests.support.generated import models_of, takes
from tests.support.objects import object_schemas

_NAMES = ["a", "b", "c"]
_NUMBER = itertools.count()


@st.composite
def _documents(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    version = draw(st.sampled_from(["3.0.3", "3.1.0"]))
    parts = draw(st.lists(object_schemas(_NAMES), min_size=1, max_size=3))
    schemas: dict[str, Any] = {}
    members: list[dict[str, Any]] = []
    for index, part in enumerate(parts):
        if draw(st.booleans()):
            schemas[f"Part{index}"] = part
            members.append({"$ref": f"#/components/schemas/Part{index}"})
        else:
            members.append(part)
    schemas["Whole"] = {"allOf": members}
    doc = {"openapi": version, "info": {"title": "a", "version": "1"}, "paths": {}}
    doc["components"] = {"schemas": schemas}
    return version, doc


_INSTANCES = st.lists(
    st.dictionaries(st.sampled_from([*_NAMES, "z"]), st.just("v")), min_size=1, max_size=8
)


@settings(max_examples=60, database=None, suppress_health_check=list(HealthCheck), deadline=None)
@given(case=_documents(), instances=_INSTANCES)
def test_the_served_whole_admits_what_the_models_admit(
    tmp_path_factory: Any, case: tuple[str, dict[str, Any]], instances: list[dict[str, str]]
) -> None:
    version, doc = case
    name = f"closure{next(_NUMBER)}"
    root: Path = tmp_path_factory.mktemp(name)
    models = models_of(root, name, doc)
    served = json.loads((root / name / name / "openapi.json").read_text())
    checker = Checker(served)
    for instance in instances:
        taken = takes(models.Whole, instance)
        valid = not checker.errors("/components/schemas/Whole", instance)
        shown = json.dumps([doc["components"], instance, taken, served["components"]])
        if version.startswith("3.0"):
            assert valid or not taken, shown
        else:
            assert valid == taken, shown
