"""The runtime helpers every generated ``routes.py`` calls (``gmi_ieops.typed``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from gmi_ieops.typed import load_openapi, require_operations, unimplemented_operations

from generated.chat import routes as chat_routes

OPERATIONS = {"ask": "POST /ask", "listen": "GET /ws"}


class Complete:
    async def ask(self) -> None: ...

    async def listen(self) -> None: ...


class Partial:
    async def ask(self) -> None: ...

    listen = "not a method"


def test_unimplemented_operations_names_each_missing_method_with_its_route() -> None:
    assert unimplemented_operations(Complete(), OPERATIONS) == []
    assert unimplemented_operations(Partial(), OPERATIONS) == ["listen (GET /ws)"]
    assert unimplemented_operations(object(), OPERATIONS) == [
        "ask (POST /ask)",
        "listen (GET /ws)",
    ]


def test_require_operations_refuses_with_a_clear_message() -> None:
    require_operations(Complete(), "AskService", OPERATIONS)
    with pytest.raises(TypeError) as info:
        require_operations(Partial(), "AskService", OPERATIONS)
    assert str(info.value) == "Partial does not implement AskService: add listen (GET /ws)"


def test_load_openapi_reads_the_bundled_document() -> None:
    document = load_openapi(chat_routes.OPENAPI_PATH)
    assert document == json.loads(chat_routes.OPENAPI_PATH.read_text(encoding="utf-8"))
    assert set(document["paths"]) == {"/chat/stream", "/chat/complete", "/chat/ws"}


def test_load_openapi_names_the_file_it_could_not_use(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"missing.json is missing; run ieops-gen"):
        load_openapi(tmp_path / "missing.json")
    broken = tmp_path / "broken.json"
    broken.write_text("{", encoding="utf-8")
    with pytest.raises(ValueError, match=r"broken.json is not valid JSON"):
        load_openapi(broken)
    listed = tmp_path / "list.json"
    listed.write_text("[]", encoding="utf-8")
    with pytest.raises(ValueError, match=r"list.json is not a JSON object"):
        load_openapi(str(listed))


def test_generated_routes_use_the_shared_helpers() -> None:
    # the generated module keeps its public name, now a thin call into the runtime
    assert chat_routes.missing_operations(Complete()) == [
        "chat_stream (POST /chat/stream)",
        "chat_complete (POST /chat/complete)",
        "chat_socket (GET /chat/ws)",
    ]
