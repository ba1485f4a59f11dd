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


def test_import_typed_loads_no_server_stack() -> None:
    """A generated ``models.py`` imports ``gmi_ieops.typed`` for its JSON Schema check,
    and a client program imports that ``models.py``."""
    loaded = _modules_after("import gmi_ieops.typed")
    assert sorted(m for m in HEAVY if m in loaded) == []
    assert "gmi_ieops.storage" not in loaded  # no open() hook: that is the handler's
    loaded = _modules_after("from gmi_ieops.typed import JsonSchemaCheck")
    assert sorted(m for m in HEAVY if m in loaded and m != "pydantic") == []


@pytest.mark.parametrize("package", ["gmi_ieops.handler", "gmi_ieops.typed"])
def test_every_public_name_imports_and_is_the_original(package: str) -> None:
    import importlib

    from gmi_ieops import lifecycle, routing, schema, tracing
    from gmi_ieops.serving import runner

    module = importlib.import_module(package)
    origins = {
        "Handler": runner,
        "JsonSchemaCheck": schema,
        "generate_trace_id": tracing,
        "request_shutdown": lifecycle,
    }
    for name in module.__all__:
        value = getattr(module, name)
        assert value is getattr(origins.get(name, routing), name), name
    assert set(module.__all__) <= set(dir(module))
    namespace: dict[str, object] = {}
    exec(f"from {package} import *", namespace)
    assert set(module.__all__) == set(namespace) - {"__builtins__"}


def test_the_seed_readme_names_import_from_handler() -> None:
    """Every name the predecessor's README imports from ``gmi_ieops.handler``, plus the
    request context and the WebSocket session, is in its surface."""
    import gmi_ieops.handler as handler

    seed = {"Server", "Handler", "RouterDef", "RouterConfig", "RouterKind", "HTTPMethod"}
    seed |= {"generate_trace_id", "format_error_response", "RequestContext", "WebSocketSession"}
    assert seed <= set(handler.__all__)


def test_unknown_names_raise_attribute_error() -> None:
    import gmi_ieops.handler as handler

    with pytest.raises(AttributeError, match="no_such_name"):
        handler.no_such_name  # type: ignore[attr-defined]  # noqa: B018  (the point)
    with pytest.raises(ImportError):
        exec("from gmi_ieops.handler import no_such_name", {})


def test_the_seed_names_bring_the_server_stack() -> None:
    loaded = _modules_after("from gmi_ieops.handler import Handler, RouterDef, Server")
    assert {"fastapi", "uvicorn", "gmi_ieops.routing._app", "gmi_ieops.serving.runner"} <= loaded
