"""Every ``type`` with every ``format`` the model layer knows (datamodel-code-generator's
table, read here so a format it learns joins the test): the models read each value the
schema admits and write back the same JSON value. A format is an annotation in JSON Schema
unless the models can assert it faithfully, so a Python type that changes the value's JSON
kind or refuses values of its type is a wire disagreement. Found on OpenAI's
``Response.created_at`` (``type: number, format: unixtime``: an ``int`` that refused every
fractional time); the same table wrote a ``number`` with ``format: date-time`` as an ISO
string, a ``number`` with ``format: decimal`` as a JSON string, a ``string`` with
``format: integer`` as a JSON number, a ``format: password`` as ``"**********"``, a
``format: path`` as ``"."`` for ``""``, refused every number carrying ``format: hostname``,
and failed the build for ``format: ulid`` (a package the generated code may not import)."""

from __future__ import annotations

import datetime
import decimal
import json
import math
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from datamodel_code_generator.parser.schema_version import get_data_formats
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ieops_gen.pipeline import run
from pydantic import TypeAdapter

from tests.conformance.schemas import strategy
from tests.support.generated import models_of

_TYPES = ("integer", "number", "string")
_KNOWN = sorted({fmt for formats in get_data_formats(is_openapi=True).values() for fmt in formats})
_FORMATS = [fmt for fmt in _KNOWN if fmt != "default"] + ["email", "made-up"]
_PAIRS = [(kind, fmt) for kind in _TYPES for fmt in dict.fromkeys(_FORMATS)]
# a string format whose values have several spellings of one value ("1E+3" for "1e3", a
# "Z" for "+00:00"): the model writes one of them, which it reads back as the same value
_SPELLINGS = {"date", "date-time", "time", "duration", "decimal", "uri", "ipv6", "byte"}


def _field(index: int) -> str:
    return f"v{index}"


_DOC: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "formats", "version": "1"},
    "paths": {},
    "components": {
        "schemas": {
            "Values": {
                "type": "object",
                "properties": {
                    _field(i): {"type": kind, "format": fmt} for i, (kind, fmt) in enumerate(_PAIRS)
                },
            }
        }
    },
}


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    return models_of(tmp_path_factory.mktemp("formats"), "format_types", _DOC)


def _same_json_value(
    kind: str, fmt: str, sent: Any, written: Any, models: ModuleType, name: str
) -> bool:
    if kind == "integer":
        return type(written) is int and written == sent
    if kind == "number":
        return (
            isinstance(written, (int, float))
            and not isinstance(written, bool)
            and math.isclose(written, sent)
        )
    if not isinstance(written, str):
        return False
    if fmt in _SPELLINGS:
        read = models.Values.model_validate({name: written})
        return bool(
            getattr(read, name) == getattr(models.Values.model_validate({name: sent}), name)
        )
    return bool(written == sent)


@pytest.mark.parametrize(("index", "kind", "fmt"), [(i, k, f) for i, (k, f) in enumerate(_PAIRS)])
@settings(max_examples=25, database=None, suppress_health_check=list(HealthCheck), deadline=None)
@given(data=st.data())
def test_every_value_a_formatted_schema_admits_is_read_and_written_back_as_sent(
    models: ModuleType, index: int, kind: str, fmt: str, data: st.DataObject
) -> None:
    name = _field(index)
    schema = {"type": kind, "format": fmt}
    sent = data.draw(strategy(_DOC, schema), label="sent")
    value = models.Values.model_validate_json(json.dumps({name: sent}))
    written = json.loads(value.model_dump_json(by_alias=True, exclude_unset=True))[name]
    assert _same_json_value(kind, fmt, sent, written, models, name), (schema, sent, written)


def test_a_format_needing_a_package_is_read_as_a_plain_string_with_a_warning(
    tmp_path: Path,
) -> None:
    spec = tmp_path / "ids.json"
    doc = json.loads(json.dumps(_DOC))
    doc["components"]["schemas"]["Values"]["properties"] = {
        "id": {"type": "string", "format": "ulid"}
    }
    spec.write_text(json.dumps(doc))
    result = run(spec, "ids")
    assert any("format 'ulid' read as a plain string" in w for w in result.warnings), (
        result.warnings
    )
    assert not any(
        line.startswith(("import ulid", "from ulid "))
        for text in result.files.values()
        for line in text.splitlines()
    )


def test_the_standard_formats_keep_their_python_types(models: ModuleType) -> None:
    """What a faithful format buys is kept: the service sees a ``datetime``, not text."""
    fields = models.Values.model_fields
    expected = {
        ("string", "date-time"): datetime.datetime,
        ("string", "date"): datetime.date,
        ("string", "duration"): datetime.timedelta,
        ("string", "decimal"): decimal.Decimal,
    }
    for (kind, fmt), python_type in expected.items():
        annotation = fields[_field(_PAIRS.index((kind, fmt)))].annotation
        value = {"date-time": "2020-01-01T00:00:00Z", "date": "2020-01-01", "duration": "PT1S"}
        parsed = TypeAdapter(annotation).validate_python(value.get(fmt, "1.5"))
        assert isinstance(parsed, python_type), (kind, fmt, annotation)
