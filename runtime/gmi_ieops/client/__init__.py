"""The client runtime that generated ``Client`` / ``AsyncClient`` classes subclass.

Shared logic lives here once: Unix-socket/TCP transport, timeouts, safe retries, trace
ids, typed errors, SSE decoding and typed WebSocket sessions. It imports no server code
(FastAPI, uvicorn, Starlette), so callers of a worker need only httpx, pydantic and
websockets. See docs/client.md.
"""

from ._async import AsyncBaseClient
from ._sync import BaseClient
from ._wire import Styled, Untyped, cookie_header, set_stream_flag, styled, untyped
from .errors import (
    APIConnectionError,
    APIStatusError,
    BadRequestError,
    ClientError,
    GatewayTimeoutError,
    IEOPSError,
    NotFoundError,
    OverloadedError,
    RateLimitError,
    RequestTimeoutError,
    RequestValidationError,
    ResponseValidationError,
    ServerError,
    WebSocketClosedError,
)
from .fields import body_from_fields
from .files import (
    AsyncByteStream,
    ByteStream,
    FileInput,
    binary_body,
    form_body,
    form_fields,
)
from .forms import urlencoded_body
from .options import CallOptions, RetryPolicy, Timeout
from .response import APIResponse
from .sse import ServerSentEvent, SSEDecoder
from .streams import AsyncEventStream, EventStream
from .websocket import AsyncWebSocketClientSession, WebSocketClientSession

__all__ = [
    "APIConnectionError",
    "APIResponse",
    "APIStatusError",
    "AsyncBaseClient",
    "AsyncByteStream",
    "AsyncEventStream",
    "AsyncWebSocketClientSession",
    "BadRequestError",
    "BaseClient",
    "ByteStream",
    "CallOptions",
    "ClientError",
    "EventStream",
    "FileInput",
    "GatewayTimeoutError",
    "IEOPSError",
    "NotFoundError",
    "OverloadedError",
    "RateLimitError",
    "RequestTimeoutError",
    "RequestValidationError",
    "ResponseValidationError",
    "RetryPolicy",
    "SSEDecoder",
    "ServerError",
    "ServerSentEvent",
    "Styled",
    "Timeout",
    "Untyped",
    "WebSocketClientSession",
    "WebSocketClosedError",
    "binary_body",
    "body_from_fields",
    "cookie_header",
    "form_body",
    "form_fields",
    "set_stream_flag",
    "styled",
    "untyped",
    "urlencoded_body",
]
