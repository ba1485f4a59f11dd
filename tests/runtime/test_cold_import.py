"""``import gmi_ieops.handler`` is cheap (issue 16, cold start): the server stack loads with
the first name that needs it, and every public name still imports as before."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = (
    "fastapi",
    "starlette",
    "pydantic",
    "uvicorn",
    "multiprocessing",
    "httpx",
    "anyio",
    "prometheus_client",
    "torch",
    "gmi_ieops.routing",
    "gmi_ieops.serving",
    "gmi_ieops.registry",
    "gmi_ieops.storage.filesystem",
    "gmi_ieops.storage.nfs",
)


def _modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport json, sys; print(json.dumps(sorted(sys.modules)))"],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "", "PYTHONPATH": ":".join(sys.path)},
    )
    assert out.returncode == 0, out.stderr
    return set(json.loads(out.stdout.splitlines()[-1]))


def test_import_handler_loads_no_server_stack() -> None:
    loaded = _modules_after("import gmi_ieops.handler")
    assert "gmi_ieops.storage.intercept" in loaded  # the open() hook is still installed
    assert sorted(m for m in HEAVY if m in loaded) == []


def test_import_gmi_ieops_loads_nothing_heavy() -> None:
    loaded = _modules_after("import gmi_ieops")
    assert sorted(m for m in HEAVY if m in loaded) == []


def test_every_public_name_imports_and_is_the_original() -> None:
    import gmi_ieops.handler as handler
    from gmi_ieops import lifecycle, routing, tracing
    from gmi_ieops.routing import _binary as binary
    from gmi_ieops.routing import _forms as forms
    from gmi_ieops.routing import _uploads as uploads
    from gmi_ieops.serving import runner

    origins = {
        "Handler": runner,
        "BinaryBody": binary,
        "StoredFile": binary,
        "UrlencodedSpec": forms,
        "BinarySpec": uploads,
        "FilePart": uploads,
        "FormSpec": uploads,
        "UploadFile": uploads,
        "generate_trace_id": tracing,
        "request_shutdown": lifecycle,
    }
    for name in handler.__all__:
        value = getattr(handler, name)
        assert value is getattr(origins.get(name, routing), name), name
    assert set(handler.__all__) <= set(dir(handler))
    namespace: dict[str, object] = {}
    exec("from gmi_ieops.handler import *", namespace)
    assert set(handler.__all__) <= set(namespace)


def test_unknown_names_raise_attribute_error() -> None:
    import gmi_ieops.handler as handler

    with pytest.raises(AttributeError, match="no_such_name"):
        handler.no_such_name  # type: ignore[attr-defined]  # noqa: B018  (the point)
    with pytest.raises(ImportError):
        exec("from gmi_ieops.handler import no_such_name", {})


def test_the_seed_names_bring_the_server_stack() -> None:
    loaded = _modules_after("from gmi_ieops.handler import Handler, RouterDef, Server")
    assert {"fastapi", "uvicorn", "gmi_ieops.routing._app", "gmi_ieops.serving.runner"} <= loaded
