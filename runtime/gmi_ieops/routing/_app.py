"""``Server``: routes, hooks and built-in endpoints assembled into one ASGI app.

Route endpoints are plain Starlette routes wrapping our own ASGI callables: FastAPI is
kept for what users may add to ``server.app`` and for its docs page, not on the hot path.
"""

from __future__ import annotations

import asyncio
import copy
import inspect
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any, TypedDict

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.types import Scope

from .. import metrics
from ..config import env
from ..lifecycle import Lifecycle
from ..tracing import (
    REQUEST_ID_HEADER,
    TRACE_HEADER,
)
from ..utils import log
from ._definitions import RouterConfig, RouterDef, RouterKind, join_path
from ._dispatch import WEBSOCKET, App, EndpointRoute, RouteTable, concrete_first
from ._errors import ErrorInfo, error_for_exception
from ._http import HTTPEndpoint
from ._openapi import build_openapi
from ._responses import ErrorFormat, error_format, json_response
from ._runtime import RouteRuntime
from ._websocket import WebSocketEndpoint, upgrade_required

Hook = Callable[[], Any] | Callable[[], Awaitable[Any]]
Hooks = Hook | Sequence[Hook] | None

_logger = log.get_logger("server")


class ServerOptions(TypedDict, total=False):
    """The keyword options of :class:`Server` that ``create_server``/``create_app``/``serve``
    of a generated ``routes.py`` pass on (``routers`` and ``openapi`` they set themselves)."""

    router_config: RouterConfig | None
    prefix: str
    on_startup: Hooks
    on_shutdown: Hooks
    enable_cors: bool
    app_name: str | None
    version: str


def _hook_list(hooks: Hooks) -> list[Hook]:
    if hooks is None:
        return []
    if callable(hooks):
        return [hooks]
    return list(hooks)


async def _run_hook(hook: Hook) -> None:
    result = hook()
    if inspect.isawaitable(result):
        await result


class Server:
    """The seed's ``Server``: groups of :class:`RouterDef` under a prefix, plus hooks."""

    def __init__(
        self,
        routers: dict[str, list[RouterDef]] | None = None,
        router_config: RouterConfig | None = None,
        prefix: str = "",
        on_startup: Hooks = None,
        on_shutdown: Hooks = None,
        enable_cors: bool = False,
        app_name: str | None = None,
        openapi: dict[str, Any] | None = None,
        version: str = "0.1.0",
    ) -> None:
        self.routers: dict[str, list[RouterDef]] = {
            group: list(defs) for group, defs in (routers or {}).items()
        }
        self.router_config = router_config or RouterConfig()
        self.prefix = prefix
        self.on_startup = _hook_list(on_startup)
        self.on_shutdown = _hook_list(on_shutdown)
        self.enable_cors = enable_cors
        self.app_name = app_name
        self.openapi_document = openapi
        self.version = version
        self.lifecycle = Lifecycle()
        self._app: App | None = None
        self._runtime: RouteRuntime | None = None
        self._openapi_cache: tuple[int, dict[str, Any]] | None = None
        self._limiter_source: Callable[[], tuple[int, int, int]] | None = None
        self._startup: asyncio.Future[None] | None = None

    # -- building -------------------------------------------------------------------------

    def add_routes(self, group: str, routes: list[RouterDef]) -> None:
        if self._app is not None:
            raise RuntimeError("routes must be added before server.app is built")
        self.routers.setdefault(group, []).extend(routes)

    def resolved_routes(self) -> list[tuple[str, RouterDef]]:
        """Each route with its full path: prefix + "/" + group + "/" + path."""
        return [
            (join_path(self.prefix, group, route.path), route)
            for group, routes in self.routers.items()
            for route in routes
        ]

    @property
    def name(self) -> str:
        return self.app_name or env.app.name

    @property
    def runtime(self) -> RouteRuntime:
        if self._runtime is None:
            self._runtime = RouteRuntime.from_env()
        return self._runtime

    @property
    def app(self) -> App:
        """The ASGI app, built on first access (reading the environment then)."""
        if self._app is None:
            self._app = self._build()
        return self._app

    def _build(self) -> App:
        app = App(
            title=self.name,
            version=self.version,
            lifespan=self._lifespan,
            openapi_url=None,
            docs_url=None,
            redoc_url=None,
        )
        app.errors = self.error_format
        app.add_exception_handler(StarletteHTTPException, _http_exception_handler)
        app.add_exception_handler(RequestValidationError, _validation_exception_handler)
        app.add_exception_handler(Exception, _unhandled_exception_handler)
        routes: list[BaseRoute] = [
            Route("/health", self._health, methods=["GET"], include_in_schema=False),
            Route("/ready", self._ready, methods=["GET"], include_in_schema=False),
            Route("/openapi.json", self._openapi, methods=["GET"], include_in_schema=False),
            Route("/docs", self._docs, methods=["GET"], include_in_schema=False),
        ]
        wanted = env.api.metrics
        if metrics.enabled(wanted):
            routes.append(Route("/metrics", _metrics, methods=["GET"], include_in_schema=False))
            app.metrics = metrics.available()
            if not app.metrics:
                _logger.warning("IEOPS_METRICS is on but %s", metrics.MISSING)
        seen: set[tuple[str, str]] = set()
        resolved = sorted(self.resolved_routes(), key=lambda item: concrete_first(item[0]))
        for path, route in resolved:
            key = (path, "WS" if route.kind is RouterKind.WS else route.method.value)
            if key in seen:
                raise ValueError(f"two routes for {key[1]} {path}")
            seen.add(key)
            routes.append(self._route(path, route))
        routes.extend(
            self._upgrade_twin(path, route)
            for path, route in resolved
            if route.kind is RouterKind.WS and (path, "GET") not in seen
        )
        _explicit_head(routes, seen)
        app.router.routes.extend(routes)
        app.fast_routes = self._fast_routes(routes)
        app.access_log = env.log.access
        app.server = self
        if self.enable_cors:
            origins = [o.strip() for o in env.api.cors_origins.split(",") if o.strip()]
            app.add_middleware(
                CORSMiddleware,
                allow_origins=origins,
                allow_methods=["*"],
                allow_headers=["*"],
                expose_headers=[TRACE_HEADER, REQUEST_ID_HEADER],
            )
        return app

    @staticmethod
    def _fast_routes(routes: list[BaseRoute]) -> RouteTable:
        table = RouteTable()
        for route in routes:
            if isinstance(route, Route) and isinstance(route.app, HTTPEndpoint):
                for method in route.methods or ():
                    table.add(method, route.path, route.app)
            elif isinstance(route, WebSocketRoute) and isinstance(route.app, WebSocketEndpoint):
                table.add(WEBSOCKET, route.path, route.app)
        return table

    @property
    def error_format(self) -> ErrorFormat:
        """How the app's own errors (404s, user routes) are written: ``RouterConfig.
        error_format``, else the one format all routes that name one share (a generated
        service's), else the seed's. Each route writes its own in its own format."""
        if self.router_config.error_format is not None:
            return error_format(self.router_config.error_format)
        named = {route.error_format for _, route in self.resolved_routes() if route.error_format}
        return error_format(named.pop() if len(named) == 1 else None)

    def protocol_error_body(self, status: int, error_type: str, message: str, tid: str) -> bytes:
        """A refusal of the protocol layer (431, 408, 503) in the app's error format."""
        return self.error_format.refusal_body(status, error_type, message, tid)

    def _upgrade_twin(self, path: str, route: RouterDef) -> BaseRoute:
        """A plain ``GET`` on a WebSocket path: ``426``, not the 404 of no such path."""
        errors = error_format(route.error_format or self.router_config.error_format)
        return EndpointRoute(
            path, upgrade_required(errors), methods=["GET"], include_in_schema=False
        )

    def _route(self, path: str, route: RouterDef) -> BaseRoute:
        if route.kind is RouterKind.WS:
            return WebSocketRoute(path, WebSocketEndpoint(route, self.router_config, self.runtime))
        endpoint = HTTPEndpoint(route, self.router_config, self.runtime)
        return EndpointRoute(path, endpoint, methods=[route.method.value])

    @asynccontextmanager
    async def _lifespan(self, app: FastAPI) -> AsyncIterator[None]:
        await self._start()
        try:
            yield
        finally:
            self.lifecycle.draining = True
            await self.runtime.close_batchers()
            for hook in self.on_shutdown:
                try:
                    await _run_hook(hook)
                except Exception:
                    _logger.exception("shutdown hook %r failed", hook)
            self.runtime.shutdown()
            if self._limiter_source is not None:
                metrics.unwatch_limiter(self._limiter_source)

    @property
    def lifespan(self) -> Callable[[Any], Any]:
        """The app's lifespan (startup hooks, then shutdown hooks), for a parent app that
        mounts this one: ``FastAPI(lifespan=server.lifespan)`` runs both with the parent's."""
        return self._lifespan

    async def _start(self) -> None:
        if self._startup is None:
            self._startup = asyncio.ensure_future(self._run_startup())
        await asyncio.shield(self._startup)

    async def _run_startup(self) -> None:
        limiter = self.runtime.limiter

        def load() -> tuple[int, int, int]:
            return limiter.in_flight, limiter.waiting, limiter.limit

        self._limiter_source = load
        metrics.watch_limiter(load)
        for hook in self.on_startup:
            await _run_hook(hook)
        self.lifecycle.started = True
        _logger.info("startup hooks finished")

    async def start_lazily(self, scope: Scope) -> bool:
        """A mounted app gets no lifespan events: its first request (``/ready`` included)
        runs the startup hooks, and requests wait for them. ``/ready`` and ``/health``
        answer at once (``/ready`` 503 until the hooks finished). False when the hooks
        failed: the request is answered 503."""
        if self._startup is None:
            self._startup = asyncio.ensure_future(self._run_startup())
        path, root = scope.get("path", ""), scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root) :]
        if path in ("/ready", "/health"):
            return True
        try:
            await asyncio.shield(self._startup)
        except Exception:
            _logger.exception("startup hooks failed")
            return False
        return True

    # -- built-in endpoints ---------------------------------------------------------------

    async def _health(self, request: Request) -> Response:
        return json_response({"status": "ok"})

    async def _ready(self, request: Request) -> Response:
        lifecycle = self.lifecycle
        if lifecycle.ready:
            limiter = self.runtime.limiter
            if limiter.saturated:
                # Every slot is held by a handler thread that outlived its request.
                body = {"status": "saturated", "stuck": limiter.stuck, "limit": limiter.limit}
                return json_response(body, status_code=503)
            stalled = self.runtime.stalled_routes()
            if stalled:
                # A batched route's model call has outlived its callers' timeout.
                return json_response({"status": "saturated", "stalled": stalled}, status_code=503)
            return json_response({"status": "ready"})
        state = "draining" if lifecycle.draining else "starting"
        return json_response({"status": state}, status_code=503)

    async def _openapi(self, request: Request) -> Response:
        document = self.openapi()
        root_path = request.scope.get("root_path", "").rstrip("/")
        if root_path:
            # Mounted under a prefix: "try it out" in /docs must call prefix + path.
            servers = [s for s in document.get("servers") or () if s.get("url") != root_path]
            document = {**document, "servers": [{"url": root_path}, *servers]}
        return json_response(document)

    async def _docs(self, request: Request) -> Response:
        page: HTMLResponse = get_swagger_ui_html(openapi_url="openapi.json", title=self.name)
        return page

    def openapi(self) -> dict[str, Any]:
        """The served document: the bundled one (or one built from the routes), plus the
        FastAPI routes and routers a user added to ``server.app``."""
        app = self.app
        if self._openapi_cache is not None and self._openapi_cache[0] == len(app.routes):
            return self._openapi_cache[1]
        if self.openapi_document is not None:
            document = copy.deepcopy(self.openapi_document)
        else:
            document = build_openapi(self.name, self.version, self.resolved_routes())
        extra = get_openapi(title=self.name, version=self.version, routes=app.routes)
        if extra.get("paths"):
            paths = document.setdefault("paths", {})
            for path, item in extra["paths"].items():
                paths.setdefault(path, {}).update(item)
            components = document.setdefault("components", {})
            for kind, entries in extra.get("components", {}).items():
                components.setdefault(kind, {}).update(entries)
        self._openapi_cache = (len(app.routes), document)
        return document


async def _metrics(request: Request) -> Response:
    if not metrics.available():
        body = {"message": metrics.MISSING, "type": "metrics_unavailable"}
        return json_response(body, status_code=503)
    return Response(metrics.exposition(), media_type=metrics.CONTENT_TYPE)


# -- error handlers for everything outside our own endpoints (404s, user FastAPI routes) ---


def _error_response(request: Request, info: ErrorInfo) -> Response:
    errors: ErrorFormat = getattr(request.app, "errors", None) or error_format(None)
    return errors.response(request, info)


async def _http_exception_handler(request: Request, exc: Exception) -> Response:
    return _error_response(request, error_for_exception(exc))


async def _validation_exception_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    details = json.loads(json.dumps(list(exc.errors()), default=str))
    info = ErrorInfo(422, "validation_error", "invalid request", details)
    return _error_response(request, info)


async def _unhandled_exception_handler(request: Request, exc: Exception) -> Response:
    return _error_response(request, error_for_exception(exc))


__all__ = ["Server", "ServerOptions"]


def _explicit_head(routes: list[BaseRoute], declared: set[tuple[str, str]]) -> None:
    """Starlette answers ``HEAD`` on every ``GET`` route; where the spec declares its own
    ``HEAD`` operation on the path (invokeai's image and video files), that one answers it:
    the ``GET`` route gives ``HEAD`` up, on the fast table and in Starlette's router alike."""
    for route in routes:
        if (
            isinstance(route, Route)
            and route.methods
            and "GET" in route.methods
            and (route.path, "HEAD") in declared
        ):
            route.methods.discard("HEAD")
