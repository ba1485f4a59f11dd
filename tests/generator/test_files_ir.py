"""Files in the IR (media.py): forms, binary bodies and binary responses are typed routes."""

from __future__ import annotations

from pathlib import Path

from ieops_gen.ir import Operation
from ieops_gen.pipeline import run

ROOT = Path(__file__).resolve().parents[2]
FILES = ROOT / "tests" / "conformance" / "specs" / "files.yaml"


def _ops() -> dict[str, Operation]:
    (service,) = run(FILES, "files").services
    assert service.skipped == []
    return {op.method_name: op for op in service.operations}


def test_multipart_form_fields_and_files() -> None:
    op = _ops()["upload_file"]
    assert op.body_kind == "form" and op.body_model == "UploadFileForm"
    parts = {
        p.name: (p.python_name, p.repeated, p.required, p.content_types) for p in op.form_files
    }
    assert parts == {
        "file": ("file", False, True, ()),
        "attachments": ("attachments", True, False, ()),  # octet-stream in the list: any
    }


def test_content_media_type_file_without_fields() -> None:
    op = _ops()["set_avatar"]
    assert op.body_kind == "form" and op.body_model is None
    assert [(p.name, p.content_types) for p in op.form_files] == [("image", ("image/png",))]


def test_binary_body_and_binary_responses() -> None:
    ops = _ops()
    image = ops["put_image"]
    assert (image.body_kind, image.body_media) == ("binary", ["image/png", "image/jpeg"])
    assert ops["speak"].response_media == "audio/mpeg"
    assert ops["transcribe"].response_media == "text/plain"
    assert ops["transcribe"].body_kind == "binary"


def test_binary_or_sse_is_chosen_by_accept() -> None:
    op = _ops()["create_speech"]
    assert op.kind == "api" and op.response_media == "application/octet-stream"
    assert op.stream_method_name == "create_speech_stream" and op.event_model == "SpeechEvent"


def test_generated_signatures() -> None:
    files = run(FILES, "files").files
    service = files["files/service.py"]
    assert "file: UploadFile," in service and "attachments: list[UploadFile]," in service
    assert ") -> BinaryBody:" in service
    client = files["files/client.py"]
    assert "file: FileInput," in client and "def speak_stream(" in client
    assert "-> ByteStream:" in client and "-> AsyncByteStream:" in client
    assert "def transcribe(" in client and ") -> str:" in client
    assert "def create_speech_download(" in client and "def create_speech_stream(" in client
