"""Urlencoded bodies and JSON-or-binary responses in the IR and the generated signatures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from ieops_gen.pipeline import run

ROOT = Path(__file__).resolve().parents[2]
FORMS = ROOT / "tests" / "conformance" / "specs" / "forms.yaml"


def _ops(path: Path = FORMS) -> dict[str, Any]:
    (service,) = run(path, "forms").services
    assert service.skipped == []
    return {op.method_name: op for op in service.operations}


def test_urlencoded_only_body_is_a_model_sent_as_a_form() -> None:
    op = _ops()["login"]
    assert (op.body_kind, op.body_model, op.urlencoded) == ("urlencoded", "LoginRequest", True)
    assert op.form_styles == {"ids": ("form", False), "filter": ("deepObject", True)}


def test_json_and_urlencoded_of_one_schema_accepts_both() -> None:
    op = _ops()["put_settings"]
    assert (op.body_kind, op.body_model, op.urlencoded) == ("json", "Settings", True)


def test_json_or_binary_response() -> None:
    op = _ops()["get_video_content"]
    assert (op.response_model, op.response_media) == ("Video", "video/mp4")


def test_generated_signatures() -> None:
    files = run(FORMS, "forms").files
    assert ") -> Video | BinaryBody:" in files["forms/service.py"]
    routes = files["forms/routes.py"]
    assert "urlencoded=UrlencodedSpec(json=True)," in routes
    assert '"filter": ("deepObject", True),' in routes
    client = files["forms/client.py"]
    assert "body=urlencoded_body(body, " in client and "username: str," in client
    assert "def get_video_content_download(" in client and 'accept="video/mp4",' in client


def test_other_forms_are_not_taken(tmp_path: Path) -> None:
    """A form whose schema is not an object has no pairs to map: skipped, as before; a
    form whose schema differs from the JSON one is not read (JSON only)."""
    doc = yaml.safe_load(FORMS.read_text())
    doc["paths"]["/login"]["post"]["requestBody"]["content"] = {
        "application/x-www-form-urlencoded": {"schema": {"type": "string"}}
    }
    settings = doc["paths"]["/settings/{user}"]["put"]["requestBody"]["content"]
    settings["application/x-www-form-urlencoded"]["schema"] = {"$ref": "#/components/schemas/Meta"}
    path = tmp_path / "forms.yaml"
    path.write_text(yaml.safe_dump(doc))
    (service,) = run(path, "forms").services
    assert [s.split(":")[0] for s in service.skipped] == ["POST /login"]
    (op,) = [o for o in service.operations if o.method_name == "put_settings"]
    assert (op.body_model, op.urlencoded) == ("Settings", False)
