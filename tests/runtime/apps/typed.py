"""Typed routes written by hand, as generated code will write them (docs/typed-routes.md)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Literal

from gmi_ieops.handler import (
    Handler,
    HTTPMethod,
    RequestContext,
    RouterDef,
    RouterKind,
    Server,
    WebSocketSession,
)
from pydantic import BaseModel, Field


class ChatRequest(BaseModel):
    prompt: str = Field(min_length=1)
    max_tokens: int = Field(default=3, ge=1, le=50)
    stream: bool = False


class ChatResponse(BaseModel):
    text: str
    trace_id: str


class ChatChunk(BaseModel):
    index: int
    token: str


class ItemParams(BaseModel):
    item_id: int
    verbose: bool = False
    api_key: str | None = Field(default=None, alias="X-Api-Key")


class Item(BaseModel):
    id: int
    verbose: bool
    key: str | None


class Ping(BaseModel):
    kind: Literal["ping"]
    n: int


class Pong(BaseModel):
    kind: Literal["pong"] = "pong"
    n: int


class Service:
    async def chat(self, body: ChatRequest, context: RequestContext) -> ChatResponse:
        context.logger.info("chat for %s", body.prompt)
        return ChatResponse(text=body.prompt * body.max_tokens, trace_id=context.trace_id)

    async def chat_stream(self, body: ChatRequest) -> AsyncIterator[ChatChunk]:
        for i in range(body.max_tokens):
            yield ChatChunk(index=i, token=body.prompt)

    def sync_events(self, body: ChatRequest) -> Iterator[ChatChunk]:
        for i in range(body.max_tokens):
            yield ChatChunk(index=i, token=body.prompt.upper())

    def item(self, item_id: int, verbose: bool, api_key: str | None) -> Item:
        return Item(id=item_id, verbose=verbose, key=api_key)

    async def bad_response(self, body: ChatRequest) -> ChatResponse:
        return {"text": 1}  # type: ignore[return-value]

    async def pingpong(
        self, session: WebSocketSession[Ping, Pong], context: RequestContext
    ) -> None:
        async for message in session:
            await session.send(Pong(n=message.n + 1))


service = Service()
server = Server(
    routers={
        "": [
            RouterDef(
                path="/v1/chat",
                handler=service.chat,
                stream_handler=service.chat_stream,
                stream_flag="stream",
                request_model=ChatRequest,
                response_model=ChatResponse,
                event_model=ChatChunk,
            ),
            RouterDef(
                path="/v1/events",
                handler=service.sync_events,
                kind=RouterKind.SSE,
                request_model=ChatRequest,
                event_model=ChatChunk,
            ),
            RouterDef(
                path="/v1/items/{item_id}",
                handler=service.item,
                method=HTTPMethod.GET,
                params_model=ItemParams,
                param_in={"item_id": "path", "verbose": "query", "api_key": "header"},
                response_model=Item,
            ),
            RouterDef(
                path="/v1/bad",
                handler=service.bad_response,
                request_model=ChatRequest,
                response_model=ChatResponse,
            ),
            RouterDef(
                path="/v1/ws",
                handler=service.pingpong,
                kind=RouterKind.WS,
                ws_receive_model=Ping,
                ws_send_model=Pong,
            ),
        ]
    }
)

if __name__ == "__main__":
    Handler(server=server).serve()
