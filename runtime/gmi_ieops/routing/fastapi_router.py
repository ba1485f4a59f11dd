"""Typed routes as a FastAPI ``APIRouter``, includable in any FastAPI app.

``api_router(routes)`` gives each HTTP route a :class:`FastRoute`: FastAPI matches it and
documents it (the spec's operation, see ``operation_docs``), but a request is served by
the runtime's own endpoint (``model_validate_json`` in, ``model_dump_json`` out, limits,
timeouts, trace ids), not by FastAPI's per-request dependency injection. Only when the
including app attaches FastAPI dependencies to the route (``include_router(...,
dependencies=[...])``) does a request go through FastAPI first, so that they run; the
runtime's endpoint answers after them. WebSocket routes are plain Starlette routes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, WebSocketRoute
from starlette.types import Receive, Scope, Send

from .definitions import RouterConfig, RouterDef, RouterKind, join_path
from .http import HTTPEndpoint
from .openapi import build_openapi
from .operation_docs import operation_for
from .runtime import RouteRuntime
from .websocket import WebSocketEndpoint

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
        if (self.methods and scope["method"] not in self.methods) or self._has_dependencies(scope):
            await super().handle(scope, receive, send)  # FastAPI's 405, or the dependencies
            return
        await self.fast_endpoint(scope, receive, send)

    def _has_dependencies(self, scope: Scope) -> bool:
        """Whether FastAPI dependencies apply to this route where it is included."""
        context = (scope.get("fastapi") or {}).get("effective_route_context")
        if context is None or getattr(context, "original_route", None) is not self:
            context = self
        dependant = getattr(context, "dependant", None)
        return bool(getattr(dependant, "dependencies", None))


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
    for route in routes:
        path = join_path(prefix, "", route.path)
        router.routes.append(_route(path, route, config, runtime, openapi, title, version))
    return router


def _route(
    path: str,
    route: RouterDef,
    config: RouterConfig,
    runtime: RouteRuntime,
    document: dict[str, Any] | None,
    title: str,
    version: str,
) -> BaseRoute:
    if route.kind is RouterKind.WS:
        return WebSocketRoute(path, WebSocketEndpoint(route, config, runtime))
    endpoint = HTTPEndpoint(route, config, runtime)
    method = route.method.value
    operation = operation_for(document, route.path, method) if document else None
    if operation is None:
        built = build_openapi(title, version, [(route.path, route)])
        operation = operation_for(built, route.path, method) or {}
    name = route.operation_id or getattr(route.handler, "__name__", "") or "operation"
    return FastRoute(
        path,
        _documented(endpoint, name),
        methods=[method],
        name=name,
        operation_id=operation.get("operationId") or route.operation_id,
        summary=operation.get("summary") or route.summary,
        description=operation.get("description") or route.description or "",
        tags=list(operation.get("tags") or route.tags),
        status_code=route.status_code,
        response_class=_Documented,
        openapi_extra=operation,
    )


__all__ = ["FastRoute", "api_router"]
