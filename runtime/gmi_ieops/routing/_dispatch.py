"""The fast path: our own routes are found by a dict (or a regex) before FastAPI's stack.

FastAPI wraps every request in several middlewares (errors, telemetry, body limits, exit
stacks) and a linear route scan; for a small inference route that costs as much as the
route itself. Our endpoints handle their own errors, so while the app has no user
middleware (CORS included) requests for them skip that stack. Everything else — built-in
routes, routes users add to ``server.app``, 404s — goes through FastAPI as usual.
"""

from __future__ import annotations

import contextlib
import functools
import re
from typing import Any
from urllib.parse import unquote

from fastapi import FastAPI
from starlette.convertors import Convertor
from starlette.routing import PARAM_REGEX, Match, Route, compile_path
from starlette.types import ASGIApp, Receive, Scope, Send

from .. import metrics
from ..tracing import accept_ids, current_trace_id, incoming_ids
from ..utils import log
from ._access import access_logged
from ._errors import ErrorInfo
from ._responses import JSON, STARTUP_FAILED, ErrorFormat, error_format, start

_logger = log.get_logger("server")

WEBSOCKET = "WEBSOCKET"
ROUTE_KEY = "ieops.route"
"""Where the fast path leaves the template of the route it matched (for metrics)."""

_VARIABLE = re.compile(r"{([^{}/]*)}")


def concrete_first(path: str) -> tuple[int, ...]:
    """A sort key that puts a concrete segment before a templated one: OpenAPI matches
    concrete paths before templated counterparts (``/releases/latest`` before
    ``/releases/{version}``, whatever the declaration order), and a segment with literal
    text around its variables before a bare variable (``{slug}-{id}`` before ``{slug}``,
    which would match all it does). Stable sorting keeps the declared order of the rest."""
    return tuple(_segment_rank(segment) for segment in path.split("/"))


def _segment_rank(segment: str) -> int:
    if "{" not in segment:
        return 0
    return 2 if _VARIABLE.fullmatch(segment) else 1


def compile_template(
    path: str,
) -> tuple[re.Pattern[str], dict[str, Convertor[Any]], dict[str, str]]:
    """Starlette's ``compile_path`` for any OpenAPI template: a variable that is not an
    identifier (portkey's ``{sub-type}``) would stay literal text, so it is compiled under a
    stand-in name; the last map gives the spec's name of each stand-in."""
    names: dict[str, str] = {}

    def stand_in(found: re.Match[str]) -> str:
        if PARAM_REGEX.fullmatch(found.group(0)):  # what compile_path reads as a variable
            return found.group(0)
        name = f"ieops_var_{len(names)}"
        names[name] = found.group(1)
        return "{" + name + "}"

    regex, _, convertors = compile_path(_VARIABLE.sub(stand_in, path))
    return regex, convertors, names


def _named(params: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    return {names.get(k, k): v for k, v in params.items()} if names else params


class RouteTable:
    """Endpoints by (method, path): static paths in a dict, templated ones by regex."""

    def __init__(self) -> None:
        self._static: dict[tuple[str, str], ASGIApp] = {}
        self._templated: list[
            tuple[str, re.Pattern[str], dict[str, Convertor[Any]], dict[str, str], ASGIApp]
        ] = []
        self._paths: dict[int, str] = {}

    def template(self, endpoint: ASGIApp) -> str:
        """The path (template) ``endpoint`` was added with."""
        return self._paths.get(id(endpoint), "")

    def add(self, method: str, path: str, endpoint: ASGIApp) -> None:
        self._paths[id(endpoint)] = path
        if "{" not in path:
            self._static[(method, path)] = endpoint
            return
        regex, convertors, names = compile_template(path)
        self._templated.append((method, regex, convertors, names, endpoint))

    def __bool__(self) -> bool:
        return bool(self._static or self._templated)

    def match(
        self, method: str, path: str, raw_path: bytes | None = None
    ) -> tuple[ASGIApp, dict[str, Any] | None] | None:
        """The endpoint and its path parameters.

        Templated paths are matched on the raw (still percent-encoded) path when there is
        one, so a parameter may hold an encoded ``/`` (``org%2Fmodel`` → ``org/model``).
        """
        endpoint = self._static.get((method, path))
        if endpoint is not None:
            return endpoint, None
        encoded = raw_path.decode("latin-1") if raw_path else None
        for route_method, regex, convertors, names, endpoint in self._templated:
            if route_method != method:
                continue
            found = regex.match(encoded) if encoded is not None else None
            values = (
                {name: unquote(value) for name, value in found.groupdict().items()}
                if found is not None
                else None
            )
            if values is None:
                found = regex.match(path)
                if found is None:
                    continue
                values = found.groupdict()
            params = {name: convertors[name].convert(value) for name, value in values.items()}
            return endpoint, _named(params, names)
        return None


class EndpointRoute(Route):
    """A Starlette route for our endpoints that, like :class:`RouteTable`, matches templated
    paths on the raw path, so the slow path (behind user middleware) agrees with the fast,
    and reads every template variable as the table does (:func:`compile_template`)."""

    def __init__(self, path: str, endpoint: Any, **kwargs: Any) -> None:
        super().__init__(path, endpoint, **kwargs)
        self.path_regex, self.param_convertors, self.names = compile_template(path)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, child = self._matches(scope)
        if self.names and "path_params" in child:
            child["path_params"] = _named(child["path_params"], self.names)
        return match, child

    def _matches(self, scope: Scope) -> tuple[Match, Scope]:
        raw = scope.get("raw_path")
        if scope["type"] == "http" and raw and self.param_convertors and not scope.get("root_path"):
            found = self.path_regex.match(raw.decode("latin-1"))
            if found is not None:
                params = {
                    name: self.param_convertors[name].convert(unquote(value))
                    for name, value in found.groupdict().items()
                }
                child = {
                    "endpoint": self.endpoint,
                    "path_params": {**scope.get("path_params", {}), **params},
                }
                if self.methods and scope["method"] not in self.methods:
                    return Match.PARTIAL, child
                return Match.FULL, child
        return super().matches(scope)


class App(FastAPI):
    """``server.app``: a FastAPI app whose own routes take the fast path when they can."""

    fast_routes: RouteTable
    access_log: bool = False
    metrics: bool = False
    """Requests are measured for ``/metrics`` (``gmi_ieops.metrics``)."""
    errors: ErrorFormat = error_format(None)
    """How the app's own errors are written (404s, user routes); see ``responses.py``."""
    server: Any = None
    """The :class:`~gmi_ieops.routing._app.Server` that built this app."""

    def openapi(self) -> dict[str, Any]:
        """The served ``/openapi.json``: the bundled document plus the user's routes."""
        if self.server is None:
            return super().openapi()
        document: dict[str, Any] = self.server.openapi()
        return document

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        server = self.server
        if (
            server is not None
            and not server.lifecycle.started
            and scope["type"] != "lifespan"
            and not await server.start_lazily(scope)
        ):
            await _startup_failed(scope, send, self.errors)
            return
        if scope["type"] == "lifespan" or not (self.access_log or self.metrics):
            await self._dispatch(scope, receive, send)
            return
        app: ASGIApp = self._dispatch
        if self.metrics and scope["type"] == "http":
            app = functools.partial(metrics.measured, self._dispatch, self.route_template)
        if self.access_log:
            await access_logged(app, scope, receive, send)
            return
        await app(scope, receive, send)

    def route_template(self, scope: Scope) -> str:
        """The path template of the route that served ``scope`` ("" when none did): the
        fast path leaves it in the scope; Starlette's router leaves the endpoint."""
        found = scope.get(ROUTE_KEY)
        if isinstance(found, str):
            return found
        endpoint = scope.get("endpoint")
        if endpoint is None:
            return ""
        routes = self.routes
        if self._templates is None or self._templates[0] != len(routes):
            paths = {id(r.endpoint): r.path for r in routes if isinstance(r, Route)}
            self._templates = (len(routes), paths)
        return self._templates[1].get(id(endpoint), "")

    _templates: tuple[int, dict[int, str]] | None = None

    async def _dispatch(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http" or kind == "websocket":
            table = getattr(self, "fast_routes", None)
            if table and not self.user_middleware and not scope.get("root_path"):
                method = scope["method"] if kind == "http" else WEBSOCKET
                found = table.match(method, scope["path"], scope.get("raw_path"))
                if found is not None:
                    endpoint, params = found
                    scope["app"] = self
                    if self.metrics:
                        scope[ROUTE_KEY] = table.template(endpoint)
                    if params is not None:
                        scope["path_params"] = params
                    await _guarded(endpoint, scope, receive, send, self.errors)
                    return
        await super().__call__(scope, receive, send)


async def _startup_failed(scope: Scope, send: Send, errors: ErrorFormat) -> None:
    if scope["type"] != "http":
        await send(STARTUP_FAILED.message())
        return
    headers = dict(scope["headers"])
    trace_id = accept_ids(*incoming_ids(headers))[0]
    info = ErrorInfo(503, "starting", "the worker's startup hooks failed; see its log")
    body = errors.encode(info, trace_id)
    await send(start(errors.status(info), JSON, trace_id))  # no length: chunked, as it was
    await send({"type": "http.response.body", "body": body})


async def _guarded(
    endpoint: ASGIApp, scope: Scope, receive: Receive, send: Send, errors: ErrorFormat
) -> None:
    """Our endpoints answer their own errors; this catches a bug in them, as FastAPI would."""
    try:
        await endpoint(scope, receive, send)
    except Exception:
        _logger.exception("unhandled error in the runtime")
        if scope["type"] != "http":
            return
        headers = dict(scope["headers"])
        trace_id = current_trace_id.get() or accept_ids(*incoming_ids(headers))[0]
        info = ErrorInfo(500, "internal_error", "internal server error")
        body = errors.encode(info, trace_id)
        with contextlib.suppress(Exception):  # fails if the response had already started
            await send(start(errors.status(info), JSON, trace_id))
            await send({"type": "http.response.body", "body": body})
