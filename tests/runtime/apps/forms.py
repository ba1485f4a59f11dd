"""Urlencoded bodies and JSON-or-binary responses, written by hand as generated code writes them."""

from __future__ import annotations

from typing import Any

from gmi_ieops.handler import BinaryBody, Handler, HTTPMethod, RequestContext, RouterDef, Server
from gmi_ieops.typed import UrlencodedSpec
from pydantic import BaseModel, Field


class Filter(BaseModel):
    color: str | None = None
    size: int | None = None


class LoginForm(BaseModel):
    username: str = Field(min_length=1)
    remember: bool = False
    scopes: list[str] | None = None
    meta: dict[str, Any] | None = None
    ids: list[int] | None = None
    filter: Filter | None = None
    pipes: list[str] | None = None


class Echo(BaseModel):
    form: dict[str, Any]
    fields_set: list[str]


class Video(BaseModel):
    id: str
    status: str


class VideoParams(BaseModel):
    id: str


async def login(body: LoginForm) -> Echo:
    return Echo(form=body.model_dump(mode="json"), fields_set=sorted(body.model_fields_set))


async def video(id: str, context: RequestContext) -> Video | BinaryBody:
    """The content when the caller asks for it; the JSON description otherwise."""
    if id == "wrong":  # a handler that ignores Accept: the runtime answers 406
        return Video(id=id, status="ready")
    if context.negotiate("application/json", "video/mp4") == "video/mp4":
        return b"MP4" + id.encode()
    return Video(id=id, status="ready")


styles = {"ids": ("form", False), "filter": ("deepObject", True), "pipes": ("pipeDelimited", False)}
server = Server(
    routers={
        "": [
            RouterDef(
                "/login",
                login,
                request_model=LoginForm,
                urlencoded=UrlencodedSpec(styles),
                response_model=Echo,
            ),
            RouterDef(
                "/both",
                login,
                request_model=LoginForm,
                urlencoded=UrlencodedSpec(styles, json=True),
                response_model=Echo,
            ),
            RouterDef(
                "/videos/{id}",
                video,
                method=HTTPMethod.GET,
                params_model=VideoParams,
                param_in={"id": "path"},
                response_model=Video,
                response_media="video/mp4",
            ),
        ]
    }
)

if __name__ == "__main__":
    Handler(server=server).serve()
