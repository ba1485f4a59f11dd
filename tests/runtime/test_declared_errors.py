"""``DeclaredErrors``: the runtime's errors in the bodies a spec declares for their status."""

from __future__ import annotations

import json

from gmi_ieops.handler import RouterDef
from gmi_ieops.routing._errors import ErrorInfo
from gmi_ieops.routing._responses import error_format
from gmi_ieops.typed import DeclaredErrors, ErrorField, ErrorType

TGI = {"error": ErrorField.MESSAGE, "error_type": ErrorType({"validation_error": "Validation"})}
PETSTORE = {"code": ErrorField.STATUS, "message": ErrorField.MESSAGE}
ERRORS = DeclaredErrors({"422": TGI, "4XX": None, "default": PETSTORE})


def test_a_status_picks_its_body_as_openapi_picks_its_response() -> None:
    invalid = ErrorInfo(422, "validation_error", "inputs: Field required", [{"loc": ["x"]}])
    assert ERRORS.body(invalid, "t") == {
        "error": "inputs: Field required",
        "error_type": "Validation",
    }
    malformed = ErrorInfo(400, "invalid_json", "not JSON")  # 4XX: the envelope fits it
    assert ERRORS.body(malformed, "t") == {
        "message": "not JSON",
        "type": "invalid_json",
        "trace_id": "t",
    }
    timeout = ErrorInfo(504, "timeout_error", "too slow")
    assert ERRORS.body(timeout, "t") == {"code": 504, "message": "too slow"}


def test_unmapped_types_are_written_as_they_are_or_as_otherwise() -> None:
    assert ErrorType({"overloaded": "Overloaded"}).of("timeout_error") == "timeout_error"
    assert ErrorType({}, otherwise="Backend").of("timeout_error") == "Backend"


def test_stream_frames_and_websocket_messages_carry_the_declared_body() -> None:
    info = ErrorInfo(504, "timeout_error", "too slow")
    frame = ERRORS.frame(info, "t")
    assert frame.startswith(b"event: error\ndata: ")
    assert json.loads(frame.split(b"data: ", 1)[1]) == {"code": 504, "message": "too slow"}
    assert json.loads(ERRORS.message(info, "t")) == {"error": {"code": 504, "message": "too slow"}}


def test_a_bare_message_body_and_details() -> None:
    bare = DeclaredErrors({"default": ErrorField.MESSAGE})
    assert bare.body(ErrorInfo(500, "internal_error", "boom"), "t") == "boom"
    listed = DeclaredErrors({"422": {"detail": ErrorField.DETAILS, "id": ErrorField.TRACE_ID}})
    assert listed.body(ErrorInfo(422, "validation_error", "m", [1]), "t") == {
        "detail": [1],
        "id": "t",
    }
    assert listed.body(ErrorInfo(422, "validation_error", "m"), "t") == {"detail": [], "id": "t"}


def test_a_route_takes_a_format_object() -> None:
    async def handler() -> dict[str, str]:
        return {}

    route = RouterDef(path="/x", handler=handler, error_format=ERRORS)
    assert error_format(route.error_format) is ERRORS
