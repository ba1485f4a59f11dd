"""The ASGI endpoint of an API or SSE route: limit, read, call the handler, answer."""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import AsyncIterator, Callable
from typing import Any

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from ..tracing import bind_ids, id_headers, incoming_ids, unbind_ids
from ..utils import log
from ._accept import negotiate, quality
from ._binary import send_binary
from ._callables import Signature, kind_of, signature_of
from ._compat import timeout_after, uncancel_current_task
from ._context import RequestContext
from ._definitions import RouterConfig, RouterDef, RouterKind, route_timeout
from ._disconnect import DisconnectWatcher
from ._errors import ErrorInfo, RequestError, error_for_exception
from ._forms import parse_body
from ._limiter import Slot, current_slot
from ._request import (
    ClientDisconnected,
    Headers,
    check_json_content_type,
    headers_of,
    parse_json_object,
    parse_model,
    parse_params,
    read_body,
    seed_query,
    text,
)
from ._responses import (
    DONE_FRAME,
    EVENT_STREAM,
    data_frame,
    encode_json,
    error_format,
    location_header,
    send_empty,
    send_final,
    send_json,
    start,
)
from ._runtime import RouteRuntime
from ._streams import aclose, as_async_iterator
from ._uploads import FormSpec, Received, receive_upload

_logger = log.get_logger("handler")

_BODYLESS = frozenset({"GET", "HEAD", "DELETE", "OPTIONS"})
_YIELD_EVERY = 8
"""Events a stream sends between two turns it gives the event loop (a turn per event cost
a sixth of a fast stream's throughput; eight events are still microseconds)."""


class _Target:
    """One callable a route may run (the handler, or the stream handler)."""

    def __init__(self, fn: Callable[..., Any]) -> None:
        self.fn = fn
        self.kind = kind_of(fn)
        self.signature: Signature = signature_of(fn)


class HTTPEndpoint:
    """One route's ASGI app, mounted as a plain Starlette ``Route``."""

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
        self.timeout = route_timeout(route, config, runtime.default_timeout)
        self.handler = _Target(route.handler)
        self.stream_handler = _Target(route.stream_handler) if route.stream_handler else None
        self.streams = route.kind is RouterKind.SSE
        if route.kind is RouterKind.API and self.handler.kind.is_generator:
            raise TypeError(
                f"route {route.path!r}: the handler {route.handler!r} is a generator; "
                "use kind=RouterKind.SSE to stream its items"
            )
        self.sse_headers = [
            (name.lower().encode("latin-1"), value.encode("latin-1"))
            for name, value in config.sse_headers.items()
        ]
        self.reads_body = route.method.value not in _BODYLESS or route.request_model is not None
        self.typed = route.typed
        # A typed route without a response model answers no content: no body at all.
        self.no_content = route.response_media is None and (
            route.empty_response or (route.typed and route.response_model is None)
        )
        fields = route.upload.fields_model if isinstance(route.upload, FormSpec) else None
        self.stream_field = _field_for(route.request_model or fields, route.stream_flag)
        # JSON or a binary type for one status (docs/files.md): the result and Accept decide.
        self.offers: tuple[str, ...] | None = (
            ("application/json", route.response_media)
            if route.response_media is not None and route.response_model is not None
            else None
        )
        self.batch_runner = (
            functools.partial(runtime.batch, route.operation_id or route.path, route.batch)
            if route.batch is not None
            else None
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = headers_of(scope)
        trace_id, token, rtoken = bind_ids(*incoming_ids(headers))
        try:
            await self._serve(scope, receive, send, headers, trace_id)
        except asyncio.CancelledError:
            if not self.runtime.stopping:
                raise
            # Cut at the drain deadline (the server logs one line for all of them).
            uncancel_current_task()
            await self._send_error_quietly(send, trace_id, _SHUTDOWN)
        except Exception as exc:  # a bug in the runtime: still the envelope, with the id
            _logger.error("unhandled error in the runtime", exc_info=exc)
            await self._send_error_quietly(send, trace_id, ErrorInfo(500, "internal_error", _BUG))
        finally:
            unbind_ids(token, rtoken)

    async def _serve(
        self, scope: Scope, receive: Receive, send: Send, headers: Headers, trace_id: str
    ) -> None:
        # The body is read before a slot is taken: a client that is slow to send it (or
        # never does) holds a connection, never the worker's capacity.
        try:
            body = await self._read_body(receive, headers)
        except ClientDisconnected:
            return
        except RequestError as exc:
            await self.errors.send(send, error_for_exception(exc), trace_id)
            return
        if self.batch_runner is not None:
            # A batched route is admitted by the items its batcher queues (503 beyond
            # MODEL_BATCH_QUEUE_SIZE), not by request slots: a request waiting for its
            # batch holds no thread; the batch's one model call does.
            await self._handle(scope, receive, send, headers, body, trace_id)
            return
        limiter = self.runtime.limiter
        if not (limiter.try_acquire() or await limiter.acquire()):
            await self.errors.send(send, _overloaded(limiter.limit), trace_id)
            return
        slot = Slot(limiter)
        slot_token = current_slot.set(slot)
        try:
            await self._handle(scope, receive, send, headers, body, trace_id)
        finally:
            current_slot.reset(slot_token)
            slot.end()
            if isinstance(body, Received):
                body.close()

    async def _read_body(self, receive: Receive, headers: Headers) -> bytes | Received:
        """The body within ``API_BODY_TIMEOUT`` (408 and the connection closed after it);
        an upload (docs/files.md) parsed into spooled files within ``API_UPLOAD_TIMEOUT``."""
        upload = self.route.upload
        if (
            upload is None
            and b"content-length" not in headers
            and b"transfer-encoding" not in headers
        ):
            return b""  # HTTP/1.1: no body
        supervisor = self.runtime.supervisor
        limits = self.runtime.upload_limits
        seconds = self.runtime.body_timeout if upload is None else limits.timeout
        record = supervisor.enter(receive, seconds, watch=False)
        try:
            if upload is not None:
                return await receive_upload(receive, headers, upload, limits)
            return await read_body(receive, headers, self.runtime.max_body_size)
        except asyncio.CancelledError:
            if record.stop_reason != "timeout":
                raise
            uncancel_current_task()
            variable = "API_BODY_TIMEOUT" if upload is None else "API_UPLOAD_TIMEOUT"
            raise RequestError(
                408,
                "request_timeout",
                f"the request body did not arrive within {seconds:g} s ({variable})",
                headers={"Connection": "close"},
            ) from None
        finally:
            supervisor.leave(record)

    async def _handle(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        headers: Headers,
        body: bytes | Received,
        trace_id: str,
    ) -> None:
        try:
            if (
                self.reads_body
                and body
                and not isinstance(body, Received)
                and self.route.urlencoded is None
            ):
                check_json_content_type(headers)
            accept = text(headers.get(b"accept"))
            if self.offers is not None and negotiate(accept, self.offers) is None:
                raise _not_acceptable(accept, self.offers)
            target, args, kwargs = self._prepare(scope, headers, body, trace_id)
        except RequestError as exc:
            await self.errors.send(send, error_for_exception(exc), trace_id)
            return
        if target is self.stream_handler or self.streams:
            await self._stream(scope, receive, send, trace_id, target, args, kwargs)
        else:
            await self._respond(scope, receive, send, trace_id, accept, target, args, kwargs)

    # -- arguments ------------------------------------------------------------------------

    def _prepare(
        self, scope: Scope, headers: Headers, body: bytes | Received, trace_id: str
    ) -> tuple[_Target, tuple[Any, ...], dict[str, Any]]:
        route = self.route
        if isinstance(body, Received):
            return self._prepare_upload(scope, headers, body, trace_id)
        if not self.typed:
            payload = parse_json_object(body) if body else None
            target = self.handler
            if self.stream_handler is not None and self._wants_stream(headers, payload):
                target = self.stream_handler
            args = (
                (seed_query(scope, payload, trace_id),) if target.signature.positional_count else ()
            )
            return target, args, {}
        candidates: dict[str, Any] = {}
        model: BaseModel | None = None
        if route.request_model is not None:
            if not body and not route.body_required:
                model = None  # an optional body left out (docs/typed-routes.md)
            elif route.urlencoded is not None:
                model = parse_body(route.request_model, body, headers, route.urlencoded)
            else:
                model = parse_model(route.request_model, body)
            candidates["body"] = model
        if route.params_model is not None:
            params = parse_params(
                route.params_model, route.param_in, scope, headers, route.param_style
            )
            for name in route.params_model.model_fields:
                candidates[name] = getattr(params, name)
        target = self.handler
        if self.stream_handler is not None and self._wants_stream(headers, model):
            target = self.stream_handler
        if target.signature.accepts("context"):
            candidates["context"] = RequestContext(
                trace_id,
                Request(scope),
                client_gone=_not_gone,
                pool_runner=self.runtime.run_sync,
                batch_runner=self.batch_runner,
            )
        return target, (), target.signature.select(candidates)

    def _prepare_upload(
        self, scope: Scope, headers: Headers, body: Received, trace_id: str
    ) -> tuple[_Target, tuple[Any, ...], dict[str, Any]]:
        """Keywords of an upload route: ``body`` (fields or the binary body), file parts."""
        route = self.route
        candidates: dict[str, Any] = dict(body.arguments)
        if route.params_model is not None:
            params = parse_params(
                route.params_model, route.param_in, scope, headers, route.param_style
            )
            for name in route.params_model.model_fields:
                candidates[name] = getattr(params, name)
        target = self.handler
        # JSON or SSE for one upload (OpenAI's /audio/transcriptions): chosen as for a JSON
        # body, by Accept or by the stream flag among the form's fields.
        if self.stream_handler is not None and self._wants_stream(headers, candidates.get("body")):
            target = self.stream_handler
        if target.signature.accepts("context"):
            candidates["context"] = RequestContext(
                trace_id, Request(scope), client_gone=_not_gone, pool_runner=self.runtime.run_sync
            )
        return target, (), target.signature.select(candidates)

    def _wants_stream(self, headers: Headers, payload: Any) -> bool:
        accept = headers.get(b"accept")
        if accept and b"text/event-stream" in accept:
            return True
        flag = self.route.stream_flag
        if flag is None or payload is None:
            return False
        if isinstance(payload, dict):
            value = payload.get(flag)
        else:  # a model: the flag is its wire name, the attribute its field name
            value = getattr(payload, self.stream_field or flag, None)
        return bool(value)

    async def _call(self, target: _Target, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        return await self.runtime.call(target.kind, target.fn, *args, **kwargs)

    # -- JSON -----------------------------------------------------------------------------

    async def _respond(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        trace_id: str,
        accept: str | None,
        target: _Target,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> None:
        supervisor = self.runtime.supervisor
        record = supervisor.enter(receive, self.timeout)
        _bind_client_gone(kwargs, record.client_gone)
        try:
            result = await self._call(target, args, kwargs)
        except asyncio.CancelledError:
            reason = record.stop_reason
            if reason is None:
                raise
            uncancel_current_task()
            if reason == "disconnect":
                _logger.info("client disconnected; handler cancelled")
                return
            await self.errors.send(send, error_for_exception(TimeoutError()), trace_id)
            return
        except Exception as exc:
            await self.errors.send(send, error_for_exception(exc), trace_id)
            return
        finally:
            supervisor.leave(record)
        if isinstance(result, Response):
            _name_response(result, trace_id)
            await result(scope, receive, send)
            return
        if self.route.redirect:
            if not isinstance(result, str) or not result:
                got = type(result).__name__
                problem = TypeError(f"a redirect's handler returns the target URL, got {got}")
                await self.errors.send(send, error_for_exception(problem), trace_id)
                return
            await send_empty(send, self.route.status_code, trace_id, location_header(result))
            return
        if self.no_content and result is None:
            await send_empty(send, self.route.status_code, trace_id)
            return
        if self.offers is not None:
            sent = _media_of_result(result, self.offers[1])
            if quality(accept, sent) <= 0:
                info = error_for_exception(_not_acceptable(accept, (sent,), answered=True))
                await self.errors.send(send, info, trace_id)
                return
        if self.route.response_media is not None and not isinstance(result, BaseModel):
            await self._send_binary(send, trace_id, result)
            return
        try:
            payload = self._encode_result(result)
        except Exception as exc:
            await self.errors.send(send, error_for_exception(exc), trace_id)
            return
        await send_json(send, self.route.status_code, payload, trace_id)

    async def _send_binary(self, send: Send, trace_id: str, result: Any) -> None:
        """A binary or text response; an error before its first byte is the envelope."""
        started = False

        async def tracking(message: Any) -> None:
            nonlocal started
            started = True
            await send(message)

        try:
            await send_binary(
                tracking, self.route.status_code, self.route.response_media or "", result, trace_id
            )
        except Exception as exc:
            if not started:
                await self.errors.send(send, error_for_exception(exc), trace_id)
                return
            _logger.warning("binary response cut: %s", exc)
            await send_final(send, b"")

    def _encode_result(self, result: Any) -> bytes:
        model = self.route.response_model
        if model is not None and not isinstance(result, model):
            result = model.model_validate(result)
        return encode_json(result)

    # -- SSE ------------------------------------------------------------------------------

    async def _stream(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        trace_id: str,
        target: _Target,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> None:
        watcher = DisconnectWatcher(receive).start()
        _bind_client_gone(kwargs, watcher.client_gone)
        started = False
        events: AsyncIterator[Any] | None = None
        try:
            async with timeout_after(self.timeout):
                result = await self._call(target, args, kwargs)
                if isinstance(result, Response):
                    watcher.stop()
                    _name_response(result, trace_id)
                    await result(scope, receive, send)
                    return
                events = as_async_iterator(result, self.runtime.pool)
                sent = 0
                async for item in events:
                    frame = data_frame(self._event(item))
                    if not started:
                        await send(start(200, EVENT_STREAM, trace_id, self.sse_headers))
                        started = True
                    await send({"type": "http.response.body", "body": frame, "more_body": True})
                    sent += 1
                    if not sent % _YIELD_EVERY:
                        # Let the disconnect watcher and other requests run even when the
                        # handler never awaits anything itself.
                        await asyncio.sleep(0)
            if not started:
                await send(start(200, EVENT_STREAM, trace_id, self.sse_headers))
            watcher.stop()
            await send({"type": "http.response.body", "body": DONE_FRAME, "more_body": False})
        except asyncio.CancelledError:
            if not watcher.gone:
                if not self.runtime.stopping:
                    raise
                # The drain deadline passed: say so before closing.
                uncancel_current_task()
                if started:
                    await send_final(send, self.errors.frame(_SHUTDOWN, trace_id))
                else:
                    await self._send_error_quietly(send, trace_id, _SHUTDOWN)
                return
            uncancel_current_task()
            _logger.info("client disconnected; stream stopped")
        except Exception as exc:
            watcher.stop()
            info = error_for_exception(exc)
            if started:
                frame = self.errors.frame(info, trace_id)
                await send({"type": "http.response.body", "body": frame, "more_body": False})
            else:
                await self.errors.send(send, info, trace_id)
        finally:
            watcher.stop()
            if events is not None:
                await aclose(events)

    async def _send_error_quietly(self, send: Send, trace_id: str, info: ErrorInfo) -> None:
        """Best effort: the response may have started, or the connection be gone."""
        with contextlib.suppress(Exception):
            await self.errors.send(send, info, trace_id)

    def _event(self, item: Any) -> Any:
        model = self.route.event_model
        if model is not None and not isinstance(item, (model, str, bytes)):
            return model.model_validate(item)
        return item


def _media_of_result(result: Any, binary: str) -> str:
    """What a result of a JSON-or-binary operation is sent as."""
    if isinstance(result, BaseModel):
        return "application/json"
    media = getattr(result, "media_type", None)  # a StoredFile may name its own type
    return media if isinstance(media, str) and media else binary


def _not_acceptable(
    accept: str | None, offered: tuple[str, ...], answered: bool = False
) -> RequestError:
    what = "the handler answered" if answered else "the operation offers"
    return RequestError(
        406,
        "not_acceptable",
        f"{what} {' or '.join(offered)}; the request's Accept is {accept!r}",
    )


def _not_gone() -> bool:
    return False


def _bind_client_gone(kwargs: dict[str, Any], client_gone: Callable[[], bool]) -> None:
    context = kwargs.get("context")
    if context is not None:
        context.client_gone = client_gone


_SHUTDOWN = ErrorInfo(
    503,
    "server_shutdown",
    "the worker stopped before the request finished (GRACEFUL_SHUTDOWN_TIME passed)",
    headers={"Connection": "close"},
)
_BUG = "internal server error"


def _overloaded(limit: int) -> ErrorInfo:
    return ErrorInfo(
        503,
        "overloaded",
        f"the worker is at its limit of {limit} requests in flight; retry shortly",
        headers={"Retry-After": "1"},
    )


def _field_for(model: type[BaseModel] | None, wire: str | None) -> str | None:
    """The field name of ``model`` whose wire name (alias) is ``wire``."""
    if model is None or wire is None:
        return None
    for name, info in model.model_fields.items():
        if (info.alias or name) == wire:
            return name
    return None


def _name_response(response: Response, trace_id: str) -> None:
    """A handler's own ``Response`` gets the request's ids too."""
    for name, value in id_headers(trace_id):
        response.headers[name.decode()] = value.decode()
