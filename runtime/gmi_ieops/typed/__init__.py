"""What generated code needs from the runtime, apart from the seed API it shares with users.

``ieops-gen`` writes ``routes.py`` (and, for schemas pydantic cannot express, ``models.py``)
against these names: the per-router runtime, the FastAPI router builder, the checks of a
service against its OpenAPI document, the error bodies a spec declares, the upload specs
of typed routes and the JSON Schema check. A handler author imports ``gmi_ieops.handler``
(the seed API, ``RequestContext``, the WebSocket session, the upload and file types); only
one who writes typed routes by hand, as ``ieops-gen`` would (docs/typed-routes.md), needs
this module. Keeping the two apart is what
lets ``gmi_ieops.handler`` stay the seed's surface.

Like ``gmi_ieops.handler`` each name is imported on first access (PEP 562), so importing
this package loads nothing else: a generated ``models.py`` that a client imports for its
``JsonSchemaCheck`` loads no server. Unlike ``gmi_ieops.handler`` it does not turn on
``gmifs://`` paths in ``open()``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import _lazy

if TYPE_CHECKING:
    from ..routing import (
        BinarySpec,
        DeclaredErrors,
        ErrorField,
        ErrorType,
        FastRoute,
        FilePart,
        FormSpec,
        RouteRuntime,
        UrlencodedSpec,
        api_router,
        error_schema,
        load_openapi,
        require_operations,
        unimplemented_operations,
    )
    from ..schema import JsonSchemaCheck

_ROUTING = "..routing"
_LAZY: dict[str, str] = {
    "BinarySpec": _ROUTING,
    "DeclaredErrors": _ROUTING,
    "ErrorField": _ROUTING,
    "ErrorType": _ROUTING,
    "FastRoute": _ROUTING,
    "FilePart": _ROUTING,
    "FormSpec": _ROUTING,
    "JsonSchemaCheck": "..schema",
    "RouteRuntime": _ROUTING,
    "UrlencodedSpec": _ROUTING,
    "api_router": _ROUTING,
    "error_schema": _ROUTING,
    "load_openapi": _ROUTING,
    "require_operations": _ROUTING,
    "unimplemented_operations": _ROUTING,
}


if not TYPE_CHECKING:  # the type checker reads the imports above, and flags a typo
    __getattr__, __dir__ = _lazy.exports(__name__, _LAZY)


__all__ = [
    "BinarySpec",
    "DeclaredErrors",
    "ErrorField",
    "ErrorType",
    "FastRoute",
    "FilePart",
    "FormSpec",
    "JsonSchemaCheck",
    "RouteRuntime",
    "UrlencodedSpec",
    "api_router",
    "error_schema",
    "load_openapi",
    "require_operations",
    "unimplemented_operations",
]
