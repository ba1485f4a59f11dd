"""Routes and the app: declarations, endpoints, wire formats, errors."""

from .app import Server, ServerOptions
from .callables import CallableKind, kind_of
from .context import RequestContext
from .definitions import BatchConfig, HTTPMethod, RouterConfig, RouterDef, RouterKind
from .errors import RequestError
from .fastapi_router import FastRoute, api_router
from .responses import error_body, format_error_response
from .runtime import RouteRuntime
from .service import load_openapi, require_operations, unimplemented_operations
from .websocket import WebSocketSession

__all__ = [
    "BatchConfig",
    "CallableKind",
    "FastRoute",
    "HTTPMethod",
    "RequestContext",
    "RequestError",
    "RouteRuntime",
    "RouterConfig",
    "RouterDef",
    "RouterKind",
    "Server",
    "ServerOptions",
    "WebSocketSession",
    "api_router",
    "error_body",
    "format_error_response",
    "kind_of",
    "load_openapi",
    "require_operations",
    "unimplemented_operations",
]
