"""``format: byte`` is base64-encoded binary (OpenAPI): the models hold the decoded
``bytes`` (``Base64Bytes``) and write them back as the same base64 text. Before they were
``Base64Str``, which also decodes the bytes as UTF-8 text: any other bytes (kubeflow's
``MetadataProtoValue.proto_value``, a serialised protobuf) were refused with a 422."""

from __future__ import annotations

import base64
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.generated import models_of

_DOC = {
    "openapi": "3.0.3",
    "info": {"title": "t", "version": "1"},
    "paths": {},
    "components": {
        "schemas": {
            "Value": {
                "type": "object",
                "required": ["proto_value"],
                "properties": {
                    "proto_value": {"type": "string", "format": "byte"},
                    "short": {"type": "string", "format": "byte", "maxLength": 12},
                },
            }
        }
    },
}


_MODELS: list[object] = []


@settings(max_examples=50, deadline=None)
@given(data=st.binary(max_size=64))
def test_any_bytes_round_trip(tmp_path_factory: object, data: bytes) -> None:
    if not _MODELS:
        root = tmp_path_factory.mktemp("byte")  # type: ignore[attr-defined]
        _MODELS.append(models_of(root, "byte_format", _DOC))
    models = _MODELS[0]
    text = base64.b64encode(data).decode()
    value = models.Value.model_validate({"proto_value": text})  # type: ignore[attr-defined]
    assert value.proto_value == data
    assert json.loads(value.model_dump_json(exclude_unset=True)) == {"proto_value": text}
