"""The OpenAPI document of a server's routes, for ``/openapi.json`` and ``/docs``.

Typed routes describe their models; untyped (seed) routes describe a free-form object.
A bundled document (what ``ieops-gen`` writes) is served as it is instead.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from ._definitions import RouterDef, RouterKind
from ._responses import SEED


def build_openapi(title: str, version: str, routes: list[tuple[str, RouterDef]]) -> dict[str, Any]:
    models: list[type[BaseModel]] = []
    for _, route in routes:
        for model in (route.request_model, route.response_model, route.event_model):
            if model is not None and model not in models:
                models.append(model)
    refs, schemas = models_json_schema(
        [(model, "validation") for model in models], ref_template="#/components/schemas/{model}"
    )

    def ref(model: type[BaseModel] | None) -> dict[str, Any]:
        if model is None:
            return {"type": "object"}
        return refs[(model, "validation")]

    paths: dict[str, dict[str, Any]] = {}
    for path, route in routes:
        operation: dict[str, Any] = {
            "summary": route.summary or route.path or path,
            "operationId": route.operation_id or _operation_id(path, route),
            "responses": {},
        }
        if route.description:
            operation["description"] = route.description
        if route.tags:
            operation["tags"] = route.tags
        if route.kind is RouterKind.WS:
            operation["description"] = "WebSocket route (upgrade with GET)."
        elif route.method.value not in ("GET", "HEAD", "DELETE"):
            body: dict[str, Any] = {}
            if route.urlencoded is None or route.urlencoded.json:
                body["application/json"] = {"schema": ref(route.request_model)}
            if route.urlencoded is not None:
                body["application/x-www-form-urlencoded"] = {"schema": ref(route.request_model)}
            operation["requestBody"] = {
                "required": route.request_model is not None and route.body_required,
                "content": body,
            }
        content: dict[str, Any] = {}
        if route.kind is RouterKind.SSE or route.stream_handler is not None:
            content["text/event-stream"] = {"schema": ref(route.event_model)}
        if route.kind is RouterKind.API:
            content["application/json"] = {"schema": ref(route.response_model)}
            if route.response_media is not None:  # a file, or JSON or a file (files.md)
                content[route.response_media] = {"schema": {"type": "string", "format": "binary"}}
                if route.response_model is None:
                    del content["application/json"]
        operation["responses"][str(route.status_code)] = {
            "description": "Success",
            "content": content,
        }
        operation["responses"]["default"] = {
            "description": "Error",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }
        method = "get" if route.kind is RouterKind.WS else route.method.value.lower()
        paths.setdefault(path, {})[method] = operation
    components = dict(schemas.get("$defs", {}))
    components["Error"] = SEED.schema()
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "paths": paths,
        "components": {"schemas": components},
    }


def _operation_id(path: str, route: RouterDef) -> str:
    name = getattr(route.handler, "__name__", "") or path.strip("/").replace("/", "_")
    return f"{name}_{route.method.value.lower()}"
