"""WebSocket routes: the seed's message mode, raw mode, and typed sessions.

- Raw mode: the handler has a parameter annotated ``WebSocket``; it gets the socket,
  unaccepted, and owns the conversation.
- Message mode (untyped): every text message is a JSON object, merged like the seed's
  query dict; the handler's result (or each item it yields) is sent back as JSON.
- Typed: the handler gets a :class:`WebSocketSession` that validates both directions.

Errors are sent as ``{"error": {"message", "type", "trace_id"}}`` (or the route's error
format; every message, error and close reason is rendered by ``responses.py``) and the
session goes on.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from ..tracing import bind_ids, id_headers, incoming_ids, unbind_ids
from ..utils import log
from ._callables import kind_of, signature_of
from ._context import RequestContext
from ._definitions import RouterConfig, RouterDef
from ._errors import ErrorInfo, RequestError, error_for_exception, validation_details
from ._request import headers_of, loads_json, parse_params, query_params
from ._responses import NOT_UTF8, OVERLOADED, ErrorFormat, error_format, json_text, policy_violation
from ._runtime import RouteRuntime
from ._streams import as_async_iterator

_logger = log.get_logger("websocket")

In = TypeVar("In", bound=BaseModel)
Out = TypeVar("Out", bound=BaseModel)


class WebSocketSession(Generic[In, Out]):
    """A typed conversation: receive ``In`` messages, send ``Out`` messages."""

    def __init__(
        self,
        websocket: WebSocket,
        receive_model: type[In],
        send_model: type[Out],
        trace_id: str,
        errors: ErrorFormat | None = None,
    ) -> None:
        self.websocket = websocket
        self.receive_model = receive_model
        self.send_model = send_model
        self.trace_id = trace_id
        self.errors = errors or error_format(None)

    async def receive(self) -> In:
        """The next valid message; invalid ones are answered with an error and skipped.

        Raises ``WebSocketDisconnect`` when the client closes.
        """
        while True:
            text = await receive_text(self.websocket)
            try:
                if "NaN" in text or "Infinity" in text:
                    loads_json(text, "message")  # pydantic's parser would accept them
                return self.receive_model.model_validate_json(text)
            except RequestError as exc:
                await self.send_error(error_for_exception(exc))
            except ValidationError as exc:
                details = validation_details(exc)
                if details and details[0].get("type") == "json_invalid":
                    message = f"message is not valid JSON: {details[0].get('msg', '')}"
                    await self.send_error(ErrorInfo(400, "invalid_json", message))
                    continue
                info = ErrorInfo(422, "validation_error", "invalid message", details)
                await self.send_error(info)

    async def send(self, message: Out) -> None:
        if not isinstance(message, self.send_model):
            message = self.send_model.model_validate(message)
        await self.websocket.send_text(json_text(message))

    async def send_error(self, info: ErrorInfo) -> None:
        await self.websocket.send_text(self.errors.message(info, self.trace_id))

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        if self.websocket.application_state is not WebSocketState.DISCONNECTED:
            await self.websocket.close(code, reason)

    def __aiter__(self) -> AsyncIterator[In]:
        return self._messages()

    async def _messages(self) -> AsyncIterator[In]:
        try:
            while True:
                yield await self.receive()
        except WebSocketDisconnect:
            return


class WebSocketEndpoint:
    """One WebSocket route's ASGI app."""

    def __init__(
        self,
        route: RouterDef,
        config: RouterConfig,
        runtime: RouteRuntime,
    ) -> None:
        self.route = route
        self.runtime = runtime
        # The route's own error format, else its server's (RouterConfig.error_format).
        self.errors = error_format(route.error_format or config.error_format)
        self.kind = kind_of(route.handler)
        self.signature = signature_of(route.handler)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = headers_of(scope)
        trace_id, token, rtoken = bind_ids(*incoming_ids(headers))
        websocket = WebSocket(scope, receive, send)
        limiter = self.runtime.limiter
        try:
            if not await limiter.acquire():
                await websocket.close(*OVERLOADED)
                return
            try:
                await self._run(websocket, scope, trace_id)
            except WebSocketDisconnect:
                pass
            finally:
                limiter.release()
        finally:
            unbind_ids(token, rtoken)

    async def _run(self, websocket: WebSocket, scope: Scope, trace_id: str) -> None:
        route = self.route
        if self.signature.websocket_param is not None:
            await route.handler(**{self.signature.websocket_param: websocket})
            return
        if route.ws_receive_model is not None and route.ws_send_model is not None:
            await self._run_typed(websocket, scope, trace_id)
            return
        await websocket.accept(headers=id_headers(trace_id))
        await self._run_messages(websocket, scope, trace_id)

    async def _run_typed(self, websocket: WebSocket, scope: Scope, trace_id: str) -> None:
        route = self.route
        assert route.ws_receive_model is not None and route.ws_send_model is not None
        candidates: dict[str, Any] = {}
        try:
            if route.params_model is not None:
                params = parse_params(
                    route.params_model, route.param_in, scope, headers_of(scope), route.param_style
                )
                candidates.update({n: getattr(params, n) for n in route.params_model.model_fields})
        except RequestError as exc:
            await _refuse(websocket, trace_id, exc, self.errors)
            return
        await websocket.accept(headers=id_headers(trace_id))
        session: WebSocketSession[Any, Any] = WebSocketSession(
            websocket, route.ws_receive_model, route.ws_send_model, trace_id, self.errors
        )
        candidates["session"] = session
        candidates["context"] = RequestContext(
            trace_id,
            websocket,
            client_gone=lambda: websocket.client_state is WebSocketState.DISCONNECTED,
            pool_runner=self.runtime.run_sync,
        )
        try:
            await route.handler(**self.signature.select(candidates))
        except WebSocketDisconnect:
            return
        except Exception as exc:
            await session.send_error(error_for_exception(exc))
            await session.close(1011)
            return
        await session.close()

    async def _run_messages(self, websocket: WebSocket, scope: Scope, trace_id: str) -> None:
        base: dict[str, Any] = dict(scope.get("path_params") or {})
        base.update(query_params(scope))
        while True:
            text = await receive_text(websocket)
            try:
                message = loads_json(text, "message")
                if not isinstance(message, dict):
                    raise RequestError(422, "validation_error", "messages must be JSON objects")
            except RequestError as exc:
                await _send_error(websocket, trace_id, error_for_exception(exc), self.errors)
                continue
            query = {**base, **message, "trace_id": trace_id}
            try:
                await self._answer(websocket, query)
            except WebSocketDisconnect:
                raise
            except Exception as exc:
                await _send_error(websocket, trace_id, error_for_exception(exc), self.errors)

    async def _answer(self, websocket: WebSocket, query: dict[str, Any]) -> None:
        result = await self.runtime.call(self.kind, self.route.handler, query)
        if self.kind.is_generator or hasattr(result, "__aiter__"):
            async for item in as_async_iterator(result, self.runtime.pool):
                await websocket.send_text(json_text(item))
        elif result is not None:
            await websocket.send_text(json_text(result))


async def receive_text(websocket: WebSocket) -> str:
    """The next message as text: a binary one must be UTF-8 (else close 1007 with a reason).

    Messages over uvicorn's ``ws_max_size`` (16 MiB) are closed with 1009 by the protocol.
    """
    message = await websocket.receive()
    if message["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(message.get("code", 1000), message.get("reason"))
    text: str | None = message.get("text")
    if text is not None:
        return text
    data: bytes = message.get("bytes") or b""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        await websocket.close(*NOT_UTF8)
        raise WebSocketDisconnect(NOT_UTF8.code) from None


async def _refuse(
    websocket: WebSocket, trace_id: str, exc: RequestError, errors: ErrorFormat
) -> None:
    """A handshake with bad parameters: the error envelope, never a bare 403.

    Where the server can answer the handshake with an HTTP response (the ASGI
    ``websocket.http.response`` extension; uvicorn has it), that is a 422 with the usual
    envelope; otherwise the socket is accepted and closed with 1008 and the reason.
    """
    info = error_for_exception(exc)
    if "websocket.http.response" in (websocket.scope.get("extensions") or {}):
        await websocket.send_denial_response(errors.denial(info, trace_id))
        return
    await websocket.accept(headers=id_headers(trace_id))
    await websocket.close(*policy_violation(exc.message))


async def _send_error(
    websocket: WebSocket, trace_id: str, info: ErrorInfo, errors: ErrorFormat
) -> None:
    await websocket.send_text(errors.message(info, trace_id))


def upgrade_required(errors: ErrorFormat) -> Callable[[Request], Awaitable[Response]]:
    """The answer to a plain HTTP request on a WebSocket operation, in the route's format:
    ``426`` with ``Upgrade: websocket`` (a 404 would say there is no such operation)."""
    info = ErrorInfo(
        426,
        "upgrade_required",
        "this operation is a WebSocket: connect with Upgrade: websocket",
        headers={"Upgrade": "websocket", "Connection": "Upgrade"},
    )

    async def answer(request: Request) -> Response:
        return errors.response(request, info)

    return answer
