"""The seed-compatible entry point: ``from gmi_ieops.handler import Server, Handler, ...``.

Importing it also turns on ``gmifs://`` paths in ``open()`` (see ``gmi_ieops.storage``).
"""

from .. import storage  # noqa: F401  (turns on gmifs:// in open(), as the seed did)
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
from ..routing.binary import BinaryBody, StoredFile
from ..routing.forms import UrlencodedSpec
from ..routing.uploads import BinarySpec, FilePart, FormSpec, UploadFile
from ..serving.runner import Handler
from ..tracing import generate_trace_id

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
