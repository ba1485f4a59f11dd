"""Routes and the app: declarations, endpoints, wire formats, errors."""

from ._app import Server, ServerOptions
from ._binary import BinaryBody, StoredFile
from ._callables import CallableKind, kind_of
from ._context import RequestContext
from ._definitions import BatchConfig, HTTPMethod, RouterConfig, RouterDef, RouterKind
from ._errors import RequestError
from ._fastapi_router import FastRoute, api_router
from ._forms import UrlencodedSpec
from ._responses import (
    DeclaredErrors,
    ErrorField,
    ErrorType,
    error_body,
    error_schema,
    format_error_response,
)
from ._runtime import RouteRuntime
from ._service import load_openapi, require_operations, unimplemented_operations
from ._uploads import BinarySpec, FilePart, FormSpec, UploadFile
from ._websocket import WebSocketSession

__all__ = [
    "BatchConfig",
    "BinaryBody",
    "BinarySpec",
    "CallableKind",
    "DeclaredErrors",
    "ErrorField",
    "ErrorType",
    "FastRoute",
    "FilePart",
    "FormSpec",
    "HTTPMethod",
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
    "error_schema",
    "format_error_response",
    "kind_of",
    "load_openapi",
    "require_operations",
    "unimplemented_operations",
]
