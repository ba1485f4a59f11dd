"""The seed-compatible entry point: ``from gmi_ieops.handler import Server, Handler, ...``.

Importing it also turns on ``gmifs://`` paths in ``open()`` (see ``gmi_ieops.storage``).

Each name is imported on first access (PEP 562): ``import gmi_ieops.handler`` costs the
storage hook alone, and FastAPI, uvicorn, pydantic and the rest load with the first name
that needs them (``Server``, ``Handler``, ...), not before. ``from gmi_ieops.handler import
X`` works for every name in ``__all__`` as it always did.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import (
    _lazy,
    storage,  # noqa: F401  (turns on gmifs:// in open(), as the seed did)
)

if TYPE_CHECKING:
    from ..lifecycle import request_shutdown
    from ..routing import (
        BatchConfig,
        FastRoute,
        HTTPMethod,
        RequestContext,
        RequestError,
        RouterConfig,
        RouterDef,
        RouterKind,
        RouteRuntime,
        Server,
        ServerOptions,
        WebSocketSession,
        api_router,
        error_body,
        format_error_response,
        load_openapi,
        require_operations,
        unimplemented_operations,
    )
    from ..routing._binary import BinaryBody, StoredFile
    from ..routing._forms import UrlencodedSpec
    from ..routing._uploads import BinarySpec, FilePart, FormSpec, UploadFile
    from ..serving.runner import Handler
    from ..tracing import generate_trace_id

_ROUTING = "..routing"
_LAZY: dict[str, str] = {
    "BatchConfig": _ROUTING,
    "BinaryBody": "..routing._binary",
    "BinarySpec": "..routing._uploads",
    "FastRoute": _ROUTING,
    "FilePart": "..routing._uploads",
    "FormSpec": "..routing._uploads",
    "HTTPMethod": _ROUTING,
    "Handler": "..serving.runner",
    "RequestContext": _ROUTING,
    "RequestError": _ROUTING,
    "RouteRuntime": _ROUTING,
    "RouterConfig": _ROUTING,
    "RouterDef": _ROUTING,
    "RouterKind": _ROUTING,
    "Server": _ROUTING,
    "ServerOptions": _ROUTING,
    "StoredFile": "..routing._binary",
    "UploadFile": "..routing._uploads",
    "UrlencodedSpec": "..routing._forms",
    "WebSocketSession": _ROUTING,
    "api_router": _ROUTING,
    "error_body": _ROUTING,
    "format_error_response": _ROUTING,
    "generate_trace_id": "..tracing",
    "load_openapi": _ROUTING,
    "request_shutdown": "..lifecycle",
    "require_operations": _ROUTING,
    "unimplemented_operations": _ROUTING,
}


if not TYPE_CHECKING:  # the type checker reads the imports above, and flags a typo
    __getattr__, __dir__ = _lazy.exports(__name__, _LAZY)


__all__ = [
    "BatchConfig",
    "BinaryBody",
    "BinarySpec",
    "FastRoute",
    "FilePart",
    "FormSpec",
    "HTTPMethod",
    "Handler",
    "RequestContext",
    "RequestError",
    "RouteRuntime",
    "RouterConfig",
    "RouterDef",
    "RouterKind",
    "Server",
    "ServerOptions",
    "StoredFile",
    "UploadFile",
    "UrlencodedSpec",
    "WebSocketSession",
    "api_router",
    "error_body",
    "format_error_response",
    "generate_trace_id",
    "load_openapi",
    "request_shutdown",
    "require_operations",
    "unimplemented_operations",
]
