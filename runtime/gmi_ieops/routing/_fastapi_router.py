"""Typed routes as a FastAPI ``APIRouter``, includable in any FastAPI app.

``api_router(routes)`` gives each HTTP route a :class:`FastRoute`: FastAPI matches it and
documents it (the spec's operation, see ``operation_docs``), but a request is served by
the runtime's own endpoint (``model_validate_json`` in, ``model_dump_json`` out, limits,
timeouts, trace ids), not by FastAPI's per-request dependency injection. Only when the
including app attaches FastAPI dependencies to the route (``include_router(...,
dependencies=[...])``) does a request go through FastAPI first, so that they run; the
runtime's endpoint answers after them. WebSocket routes are :class:`FastWebSocketRoute`
(FastAPI's ``APIWebSocketRoute``, so include-level dependencies run before the handshake
too), each with an HTTP ``GET`` twin that documents the spec's operation and answers
``426``.

The fast path in someone else's app: FastAPI's per-request telemetry check, middleware
stack and route scan cost as much as a small route itself. When a :class:`FastRoute` with
a static path has answered once through them (so FastAPI chose it for that method and
path), it registers itself in a table the app consults first (``_FastDispatch``); later
requests for that method and path go straight to the endpoint. Apps with user middleware
(CORS included), ``Host`` routes, a ``root_path`` or OpenTelemetry on never get the
table: there FastAPI decides every time.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute, APIWebSocketRoute
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Host
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket

from ._definitions import RouterConfig, RouterDef, RouterKind, join_path
from ._dispatch import RouteTable, _guarded, concrete_first
from ._http import HTTPEndpoint
from ._openapi import build_openapi
from ._operation_docs import operation_for
from ._responses import error_format
from ._runtime import RouteRuntime
from ._websocket import WebSocketEndpoint, upgrade_required

_ENDPOINT = "ieops_endpoint"
"""The attribute of a documented endpoint function that holds the runtime's endpoint."""


class _Documented(Response):
    """The response class FastAPI documents: no media type, so it adds no content of its
    own to an operation (the spec's operation says what the route answers)."""

    media_type = None


class _Forward(Response):
    """What the FastAPI-side endpoint returns: answering it runs the runtime's endpoint."""

    def __init__(self, endpoint: HTTPEndpoint) -> None:
        super().__init__()
        self.endpoint = endpoint

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.endpoint(scope, receive, send)
        if self.background is not None:
            await self.background()


def _documented(endpoint: HTTPEndpoint, name: str) -> Callable[[Request], Awaitable[Response]]:
    """A FastAPI endpoint function for ``endpoint``: FastAPI sees one ``Request`` parameter
    (nothing to document or inject) and the runtime's endpoint travels on an attribute, so
    it survives FastAPI copying routes when a router is included."""

    async def forward(request: Request) -> Response:
        return _Forward(endpoint)

    forward.__name__ = name
    forward.__qualname__ = name
    setattr(forward, _ENDPOINT, endpoint)
    return forward


class FastRoute(APIRoute):
    """An ``APIRoute`` that FastAPI matches and documents, served by the runtime."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, endpoint, **kwargs)
        fast = getattr(endpoint, _ENDPOINT, None)
        if not isinstance(fast, HTTPEndpoint):
            raise TypeError(f"FastRoute({path!r}) needs an endpoint made by api_router()")
        self.fast_endpoint = fast

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        context = self._context(scope)
        dependant = getattr(context, "dependant", None)
        if (self.methods and scope["method"] not in self.methods) or getattr(
            dependant, "dependencies", None
        ):
            await super().handle(scope, receive, send)  # FastAPI's 405, or the dependencies
            return
        path = getattr(context, "path", None) or self.path
        if "{" not in path and not scope.get("root_path"):
            dispatch = _FastDispatch.of(scope.get("app"))
            if dispatch is not None:
                dispatch.add(scope["method"], path, self.fast_endpoint)
        await self.fast_endpoint(scope, receive, send)

    def _context(self, scope: Scope) -> Any:
        """This route as included where the request came in (its prefix, dependencies):
        FastAPI >= 0.165 keeps that in the scope; earlier versions copied the route."""
        context = (scope.get("fastapi") or {}).get("effective_route_context")
        if context is None or getattr(context, "original_route", None) is not self:
            return self
        return context


class FastWebSocketRoute(APIWebSocketRoute):
    """A WebSocket operation as FastAPI's ``APIWebSocketRoute``, served by the runtime.

    FastAPI copies an ``APIWebSocketRoute`` with the including router's dependencies
    (``include_router(..., dependencies=[...])``) and runs them before calling the
    endpoint, as for HTTP routes; a plain Starlette ``WebSocketRoute`` would be copied
    without them. Without dependencies the runtime's endpoint is called directly.
    """

    def __init__(self, path: str, endpoint: WebSocketEndpoint, *, name: str) -> None:
        async def session(websocket: WebSocket) -> None:
            # the connection as FastAPI received it: nothing has been read or sent yet
            await endpoint(websocket.scope, websocket._receive, websocket._send)

        session.__name__ = session.__qualname__ = name
        super().__init__(path, session, name=name)
        self.fast_endpoint = endpoint

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        context = (scope.get("fastapi") or {}).get("effective_route_context")
        if getattr(context, "original_route", None) is self or self.dependant.dependencies:
            await super().handle(scope, receive, send)  # the dependencies, then the session
            return
        await self.fast_endpoint(scope, receive, send)


_DISPATCH = "_ieops_fast_dispatch"


class _FastDispatch:
    """A FastAPI app's table of the fast routes FastAPI already chose, consulted first."""

    def __init__(self) -> None:
        self.table = RouteTable()
        self.added: set[tuple[str, str]] = set()

    @classmethod
    def of(cls, app: Any) -> _FastDispatch | None:
        """The app's dispatcher, installed on first use; None where it must not be.

        Installing it gives the app a subclass of its own class whose ``__call__`` looks
        in the table before FastAPI's own (telemetry check, middleware stack, router):
        only for a ``FastAPI`` whose class does not override ``__call__``, without user
        middleware, ``Host`` routes, a ``root_path`` or FastAPI's OpenTelemetry enabled
        (checked once: telemetry set up after the first request leaves these routes out).
        """
        found = getattr(app, _DISPATCH, None)
        if found is not None:
            return found or None
        if not isinstance(app, FastAPI) or type(app).__call__ is not FastAPI.__call__:
            return None
        telemetry = getattr(app, "_native_telemetry", None)
        if (
            app.user_middleware
            or app.root_path
            or any(isinstance(route, Host) for route in app.router.routes)
            or (telemetry is not None and telemetry.enabled())
        ):
            setattr(app, _DISPATCH, False)
            return None
        dispatch = cls()
        setattr(app, _DISPATCH, dispatch)
        app.__class__ = _fast_class(type(app))
        return dispatch

    def add(self, method: str, path: str, endpoint: HTTPEndpoint) -> None:
        if (method, path) not in self.added:
            self.added.add((method, path))
            self.table.add(method, path, endpoint)


_FAST_CLASSES: dict[type[Any], type[Any]] = {}


def _fast_class(base: type[Any]) -> type[Any]:
    """``base`` with a ``__call__`` that serves the dispatcher's routes first."""
    fast = _FAST_CLASSES.get(base)
    if fast is not None:
        return fast
    base_call = base.__call__

    async def __call__(self: Any, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope.get("root_path"):
            found = self.__dict__[_DISPATCH].table.match(scope["method"], scope["path"])
            if found is not None:
                scope["app"] = self
                endpoint = found[0]
                await _guarded(endpoint, scope, receive, send, endpoint.errors)
                return
        await base_call(self, scope, receive, send)

    namespace = {"__call__": __call__, "__module__": base.__module__, "__doc__": base.__doc__}
    fast = type(base.__name__, (base,), namespace)
    fast.__qualname__ = base.__qualname__
    _FAST_CLASSES[base] = fast
    return fast


def api_router(
    routes: Sequence[RouterDef],
    *,
    openapi: dict[str, Any] | None = None,
    prefix: str = "",
    config: RouterConfig | None = None,
    runtime: RouteRuntime | None = None,
    title: str = "ieops",
    version: str = "0.1.0",
) -> APIRouter:
    """An ``APIRouter`` serving ``routes`` on the runtime's fast path.

    ``openapi`` is the bundled document; each route is documented by its operation there
    (``paths[route.path][method]``), else by one built from the route's models.
    ``runtime`` holds the limits (in-flight requests, thread pool, timeouts); by default
    one from the environment, read now, shared by these routes only.
    """
    config = config or RouterConfig()
    runtime = runtime or RouteRuntime.from_env()

    @asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        try:
            yield
        finally:
            runtime.shutdown()

    router = APIRouter(lifespan=lifespan)
    for route in sorted(routes, key=lambda r: concrete_first(join_path(prefix, "", r.path))):
        path = join_path(prefix, "", route.path)
        router.routes.extend(_routes(path, route, config, runtime, openapi, title, version))
    return router


def _routes(
    path: str,
    route: RouterDef,
    config: RouterConfig,
    runtime: RouteRuntime,
    document: dict[str, Any] | None,
    title: str,
    version: str,
) -> list[BaseRoute]:
    method = route.method.value
    operation = operation_for(document, route.path, method) if document else None
    if operation is None:
        built = build_openapi(title, version, [(route.path, route)])
        operation = operation_for(built, route.path, method) or {}
    name = route.operation_id or getattr(route.handler, "__name__", "") or "operation"
    documentation: dict[str, Any] = {
        "methods": [method],
        "name": name,
        "operation_id": operation.get("operationId") or route.operation_id,
        "summary": operation.get("summary") or route.summary,
        "description": operation.get("description") or route.description or "",
        "tags": list(operation.get("tags") or route.tags),
        "response_class": _Documented,
        "openapi_extra": operation,
    }
    if route.kind is RouterKind.WS:
        # FastAPI documents no WebSockets: the spec's GET operation is documented by an
        # HTTP route that tells a plain GET to upgrade (the WebSocket route comes first).
        socket = FastWebSocketRoute(path, WebSocketEndpoint(route, config, runtime), name=name)
        answer = upgrade_required(error_format(route.error_format or config.error_format))
        return [socket, APIRoute(path, answer, **documentation)]
    endpoint = HTTPEndpoint(route, config, runtime)
    return [
        FastRoute(path, _documented(endpoint, name), status_code=route.status_code, **documentation)
    ]


__all__ = ["FastRoute", "FastWebSocketRoute", "api_router"]
