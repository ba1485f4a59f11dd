"""Route declarations: what a worker author writes (seed-compatible), plus typed fields."""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel

if TYPE_CHECKING:
    from ._forms import UrlencodedSpec
    from ._uploads import UploadSpec
from ._responses import ErrorFormat, error_format

ParamLocation = Literal["path", "query", "header", "cookie"]


class RouterKind(str, enum.Enum):
    """How a route answers: one JSON body, a Server-Sent Events stream, or a WebSocket."""

    API = "api"
    SSE = "sse"
    WS = "ws"


class HTTPMethod(str, enum.Enum):
    GET = "GET"
    POST = "POST"
    PUT = "PUT"
    PATCH = "PATCH"
    DELETE = "DELETE"
    HEAD = "HEAD"
    OPTIONS = "OPTIONS"


DEFAULT_SSE_HEADERS: Mapping[str, str] = {
    "Cache-Control": "no-cache",
    "X-Accel-Buffering": "no",
}


QUEUE_BATCHES = 16
"""A batched route's queue holds this many batches' worth of items by default."""


@dataclass(frozen=True)
class BatchConfig:
    """Batch concurrent calls of a route's model (see docs/batching.md).

    A field left ``None`` comes from the environment (``MODEL_BATCH_MAX_SIZE``,
    ``MODEL_BATCH_MAX_WAIT_MS``, ``MODEL_BATCH_QUEUE_SIZE``). The handler batches by
    calling ``context.batch(fn, items)``; sizes count items, not requests.
    """

    max_size: int | None = None
    """Items per model call."""
    max_wait_ms: float | None = None
    """How long a batch waits to fill once the model is free."""
    queue_size: int | None = None
    """Items that may wait for a batch; beyond, 503 (default: 16 x ``max_size``)."""

    def __post_init__(self) -> None:
        if self.max_size is not None and not (
            isinstance(self.max_size, int) and 1 <= self.max_size <= 65536
        ):
            raise ValueError(f"BatchConfig.max_size must be 1..65536, got {self.max_size!r}")
        if self.max_wait_ms is not None and not (
            isinstance(self.max_wait_ms, (int, float)) and 0 <= self.max_wait_ms <= 60_000
        ):
            raise ValueError(
                f"BatchConfig.max_wait_ms must be 0..60000 ms, got {self.max_wait_ms!r}"
            )
        if self.queue_size is not None and not (
            isinstance(self.queue_size, int) and self.queue_size >= 0
        ):
            raise ValueError(f"BatchConfig.queue_size must be >= 0, got {self.queue_size!r}")

    def resolve(
        self, max_size: int, max_wait_ms: float, queue_size: int | None
    ) -> tuple[int, float, int]:
        """``(max_size, max_wait_ms, queue_size)``: this route's values over the defaults
        given (the environment's); the queue derived from the batch size when unset."""
        size = self.max_size if self.max_size is not None else max_size
        wait = self.max_wait_ms if self.max_wait_ms is not None else max_wait_ms
        queue = self.queue_size if self.queue_size is not None else queue_size
        return size, float(wait), queue if queue is not None else QUEUE_BATCHES * size


@dataclass
class RouterConfig:
    """Defaults shared by every route of a :class:`Server`."""

    timeout: float | None = None
    """Seconds; ``None`` means ``MODEL_TIMEOUT``."""
    sse_headers: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_SSE_HEADERS))
    error_format: str | ErrorFormat | None = None
    """How errors are written (``"ieops"``, the seed's, ``"openai"``, or a format such as
    :class:`~gmi_ieops.typed.DeclaredErrors`), for routes that do
    not say and for the app's own errors (404s); ``None``: the routes' common format, else
    ``"ieops"`` (see docs/runtime.md)."""


@dataclass
class RouterDef:
    """One route. The seed's fields come first; the rest make it a typed route."""

    path: str
    handler: Callable[..., Any]
    kind: RouterKind = RouterKind.API
    method: HTTPMethod = HTTPMethod.POST
    summary: str | None = None
    timeout: float | None = None

    # Typed routes (see docs/typed-routes.md); all optional.
    request_model: type[BaseModel] | None = None
    body_required: bool = True
    """With ``False`` (OpenAPI ``requestBody.required: false``) a request without a body (no
    ``Content-Length``, or 0) calls the handler with ``body=None``; a body that is sent is
    validated as before."""
    response_model: type[BaseModel] | None = None
    event_model: type[BaseModel] | None = None
    stream_handler: Callable[..., Any] | None = None
    stream_flag: str | None = None
    params_model: type[BaseModel] | None = None
    param_in: dict[str, ParamLocation] = field(default_factory=dict)
    param_style: dict[str, tuple[str, bool]] = field(default_factory=dict)
    """OpenAPI ``(style, explode)`` of the parameters that do not use their location's
    defaults (query: ``form`` exploded; path and header: ``simple``)."""
    ws_receive_model: type[BaseModel] | None = None
    ws_send_model: type[BaseModel] | None = None
    # Files (docs/files.md): a multipart or binary request body, a binary/text response.
    upload: UploadSpec | None = None
    """The body is ``multipart/form-data`` (:class:`FormSpec`) or binary (:class:`BinarySpec`)."""
    urlencoded: UrlencodedSpec | None = None
    """``request_model`` comes as ``application/x-www-form-urlencoded`` (and as JSON too
    when :attr:`UrlencodedSpec.json`), chosen by ``Content-Type`` (forms.py)."""
    response_media: str | None = None
    """The success response is binary or text of this type (the handler returns
    ``BinaryBody``). With a ``response_model`` too, the operation offers both: a model
    result is sent as JSON, anything else as this type, each only if ``Accept`` allows it."""
    status_code: int = 200
    empty_response: bool = False
    """The operation answers no content (the handler returns ``None``): no body is sent."""
    redirect: bool = False
    """The answer is a redirect: the handler returns the target URL (``str``), sent as
    ``Location`` with ``status_code`` (a 3xx) and no body (docs/generator.md, "Redirects")."""
    operation_id: str | None = None
    description: str | None = None
    tags: list[str] = field(default_factory=list)
    batch: BatchConfig | None = None
    """Batch concurrent calls (``context.batch``); the route is then admitted by the
    items its batcher queues, not by in-flight request slots."""
    error_format: str | ErrorFormat | None = None
    """How this route's errors are written (``"ieops"``, ``"openai"`` or a format such as
    :class:`~gmi_ieops.typed.DeclaredErrors`); ``None``: the
    server's (``RouterConfig.error_format``). Generated routes carry their spec's."""

    def __post_init__(self) -> None:
        self.kind = RouterKind(self.kind)
        if not isinstance(self.method, HTTPMethod):
            self.method = HTTPMethod(str(self.method).upper())
        if self.kind is RouterKind.WS:
            self.method = HTTPMethod.GET
        error_format(self.error_format)  # an unknown name fails here, not at the first error
        if not callable(self.handler):
            raise TypeError(f"RouterDef({self.path!r}): handler {self.handler!r} is not callable")
        if self.stream_handler is not None and self.kind is not RouterKind.API:
            raise ValueError(
                f"RouterDef({self.path!r}): stream_handler is for API routes that can also stream"
            )
        if self.batch is not None and (
            self.kind is not RouterKind.API or self.stream_handler is not None
        ):
            raise ValueError(
                f"RouterDef({self.path!r}): batch is for API routes that answer one JSON body"
            )

    @property
    def typed(self) -> bool:
        """Whether the handler gets typed keyword arguments instead of the seed's dict."""
        return (
            any(
                model is not None
                for model in (
                    self.request_model,
                    self.response_model,
                    self.event_model,
                    self.params_model,
                    self.ws_receive_model,
                    self.ws_send_model,
                )
            )
            or self.upload is not None
            or self.response_media is not None
        )


def join_path(prefix: str, group: str, path: str) -> str:
    """``prefix + "/" + group + "/" + path``, without doubled or trailing slashes."""
    parts = [part.strip("/") for part in (prefix, group, path)]
    joined = "/" + "/".join(part for part in parts if part)
    if path.endswith("/") and joined != "/":
        joined += "/"  # "/datasets/" is its own route: keep what the spec (and client) says
    return joined


def route_timeout(route: RouterDef, config: RouterConfig, default: float) -> float:
    """``RouterDef.timeout`` > ``RouterConfig.timeout`` > ``MODEL_TIMEOUT``."""
    for candidate in (route.timeout, config.timeout):
        if candidate is not None:
            return float(candidate)
    return default


__all__ = [
    "DEFAULT_SSE_HEADERS",
    "QUEUE_BATCHES",
    "BatchConfig",
    "HTTPMethod",
    "ParamLocation",
    "RouterConfig",
    "RouterDef",
    "RouterKind",
    "join_path",
    "route_timeout",
]
