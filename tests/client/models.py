"""Stand-ins for generated models."""

from __future__ import annotations

import enum

from pydantic import BaseModel, ConfigDict, Field


class Color(str, enum.Enum):
    RED = "red"
    BLUE = "blue"


class EchoRequest(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    prompt: str
    max_tokens: int | None = Field(default=None, alias="maxTokens")
    temperature: float = 1.0


class EchoResponse(BaseModel):
    name: str
    query: list[list[str]]
    body: dict[str, object] | None
    raw_body: str
    trace_id: str
    accept: str | None
    x_custom: str | None


class Item(BaseModel):
    id: str
    price: float


class Attempts(BaseModel):
    attempts: int


class Token(BaseModel):
    index: int
    text: str


class ClientMessage(BaseModel):
    text: str


class ServerMessage(BaseModel):
    echo: str
    n: int
