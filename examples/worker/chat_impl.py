"""The native chat service (the seed's protocol): an example implementation.

Written once by ieops-gen as a stub, then filled in by hand: it echoes the last message
one character per frame, over SSE and over a WebSocket.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from gmi_ieops.handler import RequestContext, WebSocketSession

from generated.chat.models import (
    ChatFrame,
    ChatReply,
    ChatRequest,
    ChatResult,
    Lang,
    Role,
    StopReason,
)
from generated.chat.routes import serve
from generated.chat.service import NativeChatService


def _frames(request: ChatRequest, prefix: str = "") -> list[ChatFrame]:
    text = prefix + request.messages[-1].content
    frames = [
        ChatFrame(results=[ChatResult(content=char, role=Role.assistant)], stopped=False)
        for char in text[: request.max_tokens]
    ]
    frames.append(ChatFrame(stopped=True, stop_reasons=[StopReason.end]))
    return frames


class NativeChatServiceImpl(NativeChatService):
    """Implements :class:`NativeChatService` with an echo model."""

    async def chat_stream(
        self,
        *,
        x_session_id: str | None,
        body: ChatRequest,
        context: RequestContext,
    ) -> AsyncIterator[ChatFrame]:
        context.logger.info("chat stream (session %s)", x_session_id or "-")
        for frame in _frames(body):
            if await context.is_disconnected():
                return
            yield frame

    async def chat_complete(self, *, body: ChatRequest, context: RequestContext) -> ChatReply:
        return ChatReply(message=body.messages[-1].content)

    async def chat_socket(
        self,
        *,
        lang: Lang,
        session: WebSocketSession[ChatRequest, ChatFrame],
        context: RequestContext,
    ) -> None:
        prefix = "你说: " if lang is Lang.zh else ""
        async for request in session:
            for frame in _frames(request, prefix):
                await session.send(frame)


if __name__ == "__main__":
    serve(NativeChatServiceImpl())
